"""Value objects the engine takes and returns: the lead, the routing state and the decision.

All are frozen and keyword-only. `RoutingState` is a snapshot that storage reads in one round;
`Decision` is everything storage must persist, including the rotation update that keeps round robin
and weighted distribution fair across restarts and replicas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True, slots=True, kw_only=True)
class Lead:
    """An inbound lead as intake validated it. `extra` keeps any other fields the source sent."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    company: str | None = None
    domain: str | None = None
    title: str | None = None
    phone: str | None = None
    country: str | None = None
    employees: int | None = None
    industry: str | None = None
    source: str | None = None
    intent: str | None = None
    score: float | None = None
    created_at: datetime | None = None
    extra: Mapping[str, str | int | float | bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _aware("created_at", self.created_at)

    @property
    def display_name(self) -> str:
        if self.full_name:
            return self.full_name
        parts = [part for part in (self.first_name, self.last_name) if part]
        return " ".join(parts) or self.email or "Unknown contact"


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open interval [start, end) of absence, both aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _aware("start", self.start)
        _aware("end", self.end)
        if self.end <= self.start:
            raise ValueError("a window must end after it starts")

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class RepState:
    """What changes at run time about one rep; defaults describe a rep with no history."""

    open_load: int = 0
    assigned_today: int = 0
    last_assigned_at: datetime | None = None
    pto: tuple[Window, ...] = ()
    capacity_override: int | None = None
    paused: bool = False
    won: int = 0
    closed: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolMember:
    """A rep's standing in one pool: when they were last served, how many they got, their credit.

    `last_turn` is the pool's turn number when this rep was last picked (0: never), which is what makes
    round robin keep a skipped rep's place. `credit` is the weighted strategy's calibration: leads the
    rep is deemed to have had while absent, so a return from PTO brings no burst.
    """

    last_turn: int = 0
    assigned: int = 0
    credit: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolState:
    """A pool's rotation. `members` must hold exactly the members stored so far, not defaults for the
    whole team: a team member missing here is new to the pool, and weighted pools calibrate newcomers
    (see `strategies.joining_credits`)."""

    turn: int = 0
    members: Mapping[str, PoolMember] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingState:
    """The snapshot `route` decides on. Reps and pools missing from the maps have default state."""

    reps: Mapping[str, RepState] = field(default_factory=dict)
    pools: Mapping[str, PoolState] = field(default_factory=dict)
    tried: frozenset[str] = frozenset()
    # The lead was held off hours (`off_hours: hold`) and is being released now: reps whose shift
    # starts within the hold window count as available, and it is never held again. Like `tried`,
    # it belongs to one lead.
    released: bool = False

    def rep(self, rep_id: str) -> RepState:
        return self.reps.get(rep_id, _NO_REP_STATE)

    def pool(self, pool_id: str) -> PoolState:
        return self.pools.get(pool_id, _NO_POOL_STATE)

    def after(self, decision: Decision, now: datetime) -> RoutingState:
        """This state with `decision`'s assignment applied, as storage would persist it.

        The rep's load, day count and last assignment move on; the pool takes the rotation update.
        `tried` and `released` are left as they are: they belong to one lead, not to the team.
        """
        if decision.rep is None:
            return self
        rep = self.rep(decision.rep)
        reps = {
            **self.reps,
            decision.rep: replace(
                rep, open_load=rep.open_load + 1, assigned_today=rep.assigned_today + 1, last_assigned_at=now
            ),
        }
        pools = self.pools
        update = decision.rotation
        if update is not None:
            members = dict(self.pool(update.pool).members)
            for rep_id, credit in update.credits.items():
                old = members.get(rep_id, _NEVER_SERVED)
                members[rep_id] = replace(old, credit=old.credit + credit)
            old = members.get(update.rep, _NEVER_SERVED)
            members[update.rep] = replace(old, last_turn=update.turn, assigned=old.assigned + 1)
            pools = {**self.pools, update.pool: PoolState(turn=update.turn, members=members)}
        return replace(self, reps=reps, pools=pools)


_NO_REP_STATE = RepState()
_NO_POOL_STATE = PoolState()
_NEVER_SERVED = PoolMember()


class Outcome(StrEnum):
    ASSIGNED = "assigned"  # a rep has the offer
    NURTURE = "nurture"  # below the qualification gate: no rep
    QUEUED = "queued"  # nobody at all could take it: the manager queue
    HELD = "held"  # nobody at work and `off_hours: hold`: no rep until `starts_at`, then routed again


class Reason(NamedTuple):
    """One step of the explanation: a stable machine `code` and a sentence for humans.

    A NamedTuple rather than a frozen dataclass: a decision may carry dozens and they are built on
    the hot path, where tuple construction is several times cheaper."""

    code: str
    text: str
    rep: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSentence:
    """How the rep's "why you" says that rule `rule` routed the lead, built once per rule (never per
    decision): `template` has "{}" where the lead's values of `fields` (what the rule read) go."""

    rule: str
    template: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RotationUpdate:
    """What storage applies to the pool after an assignment: the pick takes turn `turn`; credits add."""

    pool: str
    rep: str
    turn: int
    credits: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The engine's answer for one lead. `reasons` run in the order the engine worked."""

    outcome: Outcome
    rep: str | None
    rule: str | None
    pool: str | None
    strategy: str | None
    fallback: bool
    sla: str | None
    due_at: datetime | None
    remind_at: datetime | None
    reasons: tuple[Reason, ...]
    facts: Mapping[str, Any]
    rotation: RotationUpdate | None = None
    # When the lead can first be worked, if not at once: an off-hours rep's shift start (their SLA
    # counts from it), or for a HELD lead the moment it is released and routed again.
    starts_at: datetime | None = None
    because: RuleSentence | None = None  # the routing rule's sentence for `summary`, when a rule routed it

    def __post_init__(self) -> None:
        if (self.outcome is Outcome.ASSIGNED) != (self.rep is not None):
            raise ValueError("an assigned decision names a rep, and only an assigned one does")

    @property
    def caught_by_fallback(self) -> bool:
        """The lead reached the catch-all (no rule routed it): what the seeds' "fallback rate" counts.

        Wider than `fallback`, which also marks a backup or an off-hours pick on a rule's normal path."""
        return self.rule in ("fallback", "manager_queue")

    @property
    def summary(self) -> str:
        """The one sentence a rep sees: why this lead came to them, e.g. "dach rule (country DE,
        employees 120) → round robin in DACH". Built when asked, never on the routing hot path; the
        full trace stays in `reasons` (and the audit)."""
        main: list[str] = []
        ruled = False
        because = self.because
        win_rate: list[str] = []  # what a win rate that ranked the pick was based on: always shown
        for reason in self.reasons:
            if reason.code == "win_rate":
                win_rate.append(reason.text)
                continue
            if reason.code in _DETAIL_CODES or (ruled and reason.code == "strategy"):
                continue  # the rule's sentence already says how its team chose
            if because is not None and reason.code == "rule" and reason.text.startswith(f"rule {because.rule}:"):
                main.append(because.template.format(_values(because.fields, self.facts)))
                ruled = True
            else:
                main.append(reason.text)
        return "; ".join(main[:3] + win_rate) if main else "routed"


def _values(fields: tuple[str, ...], facts: Mapping[str, Any]) -> str:
    """ "country DE, employees 120": the lead's values of the fields a rule read ("any lead" for none)."""
    shown = [f"{field} {_shown(facts[field])}" for field in fields if facts.get(field) not in (None, "")]
    return ", ".join(shown) if shown else "any lead"


def _shown(value: Any) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


# Reasons that belong in the full trace but would clutter the one-line summary.
_DETAIL_CODES = frozenset({"skipped", "enriched", "sla", "no_account"})
