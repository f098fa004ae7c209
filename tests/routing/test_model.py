"""The value objects: their invariants, and how a state moves on after a decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing import (
    Decision,
    Lead,
    Outcome,
    PoolMember,
    PoolState,
    Reason,
    RepState,
    RotationUpdate,
    RoutingState,
    Window,
)

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def decision(**changes: object) -> Decision:
    fields: dict[str, object] = {
        "outcome": Outcome.ASSIGNED,
        "rep": "a",
        "rule": "r",
        "pool": "p",
        "strategy": "round_robin",
        "fallback": False,
        "sla": "default",
        "due_at": NOON + timedelta(hours=1),
        "remind_at": None,
        "reasons": (),
        "facts": {},
    }
    return Decision(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_lead_is_called_by_its_full_name_else_first_and_last_else_email() -> None:
    assert Lead(full_name="Ada L", first_name="A", email="a@x.com").display_name == "Ada L"
    assert Lead(first_name="Ada", last_name="Lovelace").display_name == "Ada Lovelace"
    assert Lead(last_name="Lovelace", email="a@x.com").display_name == "Lovelace"
    assert Lead(email="a@x.com").display_name == "a@x.com"
    assert Lead().display_name == "Unknown contact"


def test_times_must_be_aware() -> None:
    with pytest.raises(ValueError, match="created_at must be timezone-aware"):
        Lead(created_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        Window(datetime(2026, 1, 1), NOON)
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        Window(NOON, datetime(2027, 1, 1))
    assert Lead(created_at=NOON).created_at == NOON


def test_a_window_is_half_open_and_must_end_after_it_starts() -> None:
    window = Window(NOON, NOON + timedelta(hours=1))
    assert window.contains(NOON) and window.contains(NOON + timedelta(minutes=59))
    assert not window.contains(NOON + timedelta(hours=1)) and not window.contains(NOON - timedelta(seconds=1))
    with pytest.raises(ValueError, match=r"^a window must end after it starts$"):
        Window(NOON, NOON)


def test_only_an_assigned_decision_names_a_rep() -> None:
    with pytest.raises(ValueError, match=r"^an assigned decision names a rep, and only an assigned one does$"):
        decision(rep=None)
    with pytest.raises(ValueError):
        decision(outcome=Outcome.QUEUED)
    assert decision(outcome=Outcome.NURTURE, rep=None).rep is None


def test_the_seeds_fallback_rate_counts_the_catch_all_only() -> None:
    assert decision(rule="fallback").caught_by_fallback
    assert decision(outcome=Outcome.QUEUED, rep=None, rule="manager_queue").caught_by_fallback
    assert not decision(rule="enterprise", fallback=True).caught_by_fallback


def test_the_summary_skips_detail_and_keeps_three_reasons() -> None:
    reasons = (
        Reason("enriched", "EMEA"),
        Reason("rule", "rule dach"),
        Reason("skipped", "skipped @x"),
        Reason("no_account", "none"),
        Reason("preferred", "preferred de"),
        Reason("strategy", "round robin"),
        Reason("sla", "SLA 1h"),
        Reason("extra", "fourth"),
    )
    assert decision(reasons=reasons).summary == "rule dach; preferred de; round robin"
    assert decision(reasons=(Reason("sla", "SLA 1h"),)).summary == "routed"


def test_after_an_assignment_the_rep_and_the_pool_move_on() -> None:
    state = RoutingState(
        reps={"a": RepState(open_load=2, assigned_today=1), "b": RepState(open_load=7)},
        pools={
            "p": PoolState(turn=4, members={"a": PoolMember(last_turn=2, assigned=3, credit=0.5)}),
            "q": PoolState(turn=9),
        },
        tried=frozenset({"z"}),
    )
    update = RotationUpdate(pool="p", rep="a", turn=5, credits={"a": 0.25, "c": 1.0})
    after = state.after(decision(rotation=update), NOON)
    assert after.rep("a") == RepState(open_load=3, assigned_today=2, last_assigned_at=NOON)
    assert after.rep("b") == RepState(open_load=7)
    assert after.pool("p") == PoolState(
        turn=5,
        members={"a": PoolMember(last_turn=5, assigned=4, credit=0.75), "c": PoolMember(credit=1.0)},
    )
    assert after.pool("q") == PoolState(turn=9) and after.tried == frozenset({"z"})
    assert state.rep("a").open_load == 2  # the old snapshot is untouched


def test_after_a_pick_outside_any_pool_only_the_rep_moves_and_after_no_pick_nothing_does() -> None:
    state = RoutingState(pools={"p": PoolState(turn=4)})
    after = state.after(decision(rep="new", rotation=None), NOON)
    assert after.rep("new") == RepState(open_load=1, assigned_today=1, last_assigned_at=NOON)
    assert after.pools == state.pools
    fresh = RoutingState().after(decision(rotation=RotationUpdate(pool="p", rep="a", turn=1)), NOON)
    assert fresh.pool("p") == PoolState(turn=1, members={"a": PoolMember(last_turn=1, assigned=1)})
    queued = decision(outcome=Outcome.QUEUED, rep=None)
    assert state.after(queued, NOON) is state
