"""Block Kit messages: the lead card a rep accepts from their phone, and the posts managers act on.

Every builder is a pure function of domain objects (`storage.model`), the routing config and `now`,
and returns a `Rendered`: the notification `text` and the `blocks` as plain dicts, ready for
``chat.postMessage`` / ``chat.update`` / ``chat.postEphemeral``.

Guarantees, for any lead content:

* every string a lead, a user or a file supplied is escaped (`bot.text.inline`), so ``<!channel>``
  in a company name pings nobody; the only ``<…>`` tokens are Leadrelay's own mentions and dates;
* every text is cut to fit Block Kit's limits, and no message has more than 50 blocks;
* buttons carry the ids of `bot.ids` and, in ``value``, the offer id (Accept, Reassign) or the lead id
  (Take, Assign) as a string.

Cards put what a rep decides on first (company, contact, size, region) and keep lines short.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.ids import REASSIGN_REASONS, Action
from bot.text import duration, escape, inline, mention, slack_date, truncate
from routing import Lead, RoutingConfig
from storage.model import SYSTEM, AuditEntry, EndReason, LeadRecord, LeadState, LeadView, Offer, OfferState

__all__ = [
    "Rendered",
    "backlog_digest",
    "backlog_digest_details",
    "button",
    "claimed_blocks",
    "context",
    "contexts",
    "escalation",
    "escalation_resolved",
    "lead_actions",
    "lead_line",
    "lead_title",
    "leads_list",
    "offer_closed",
    "offer_dm",
    "offer_headline",
    "offer_row",
    "packed",
    "plain",
    "reminder",
    "section",
    "state_phrase",
    "thread_note",
]

# Block Kit's limits (the stand-in's `blockkit` checks the same numbers).
SECTION_TEXT = 3000
HEADER_TEXT = 150

# What reads well on a phone; all well inside the limits above, even together in one section.
_NAME = 150  # a company, a person, a title
_LIST_NAME = 80  # the same in one-line lists
_VALUE = 300  # a field's value
_KEY = 60  # an extra field's label, a segment, an SLA name
_SUMMARY = 500  # why the lead came to this rep
_NOTE = 200  # a person's note on a reassignment
_TEXT = 500  # the notification text
_EXTRAS_SHOWN = 10  # one section of fields
_LIST_OFFERS = 15  # /leads: two blocks each
_LIST_LINES = 10  # /leads: recently claimed
_DIGEST_TEAMS = 20
_DIGEST_CHUNK = 40  # leads per thread reply: one block each
_TRIED_SHOWN = 10

_TAKEABLE = frozenset({LeadState.ASSIGNED, LeadState.ESCALATED, LeadState.QUEUED})
_STATE_PHRASES = {
    LeadState.RECEIVED: "not routed yet",
    LeadState.NURTURE: "in nurture",
    LeadState.ASSIGNED: "offered to a rep",
    LeadState.CLAIMED: "claimed",
    LeadState.ESCALATED: "waiting for a manager",
    LeadState.QUEUED: "waiting for a manager",
}


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message: `text` is the notification and fallback text (mrkdwn, escaped, never empty) and
    `blocks` the Block Kit blocks as dicts. Raises ValueError for an empty `text`."""

    text: str
    blocks: list[dict[str, Any]]

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a message needs a non-empty text")


# --- the lead card ---------------------------------------------------------------------------------


def offer_dm(view: LeadView, offer: Offer, config: RoutingConfig, now: datetime) -> Rendered:
    """The DM offering `view`'s lead to `offer.rep_id`: the card, why them, the deadline, and the
    **Accept** (``Action.ACCEPT``) and **Reassign…** (``Action.REASSIGN``) buttons, valued ``offer.id``.

    The notification text names the lead and the time left at `now`, which is what a lock screen shows.
    """
    blocks = [
        *_card(view.lead, extras=True),
        context(_why(offer, config)),
        section(_deadline(offer, config)),
        _offer_buttons(offer),
    ]
    text = f"🔔 New lead: {_who(view.lead.lead)} · accept within {duration(offer.due_at - now)}"
    return _rendered(text, blocks)


def offer_closed(view: LeadView, offer: Offer, config: RoutingConfig, *, headline: str, now: datetime) -> Rendered:
    """The offer DM once the offer is over, for ``chat.update``: the same card, with the deadline and
    buttons replaced by `headline` (trusted mrkdwn, normally from `offer_headline`).

    `now` is accepted for symmetry with `offer_dm`; the closed card does not depend on it.
    """
    blocks = [*_card(view.lead, extras=True), context(_why(offer, config)), context(headline)]
    return _rendered(f"{headline} · {lead_title(view.lead.lead)}", blocks)


def offer_headline(
    view: LeadView, offer: Offer, config: RoutingConfig, viewer_rep_id: str | None, now: datetime
) -> str:
    """One line saying how `offer` ended, addressed to `viewer_rep_id` ("you" when it is the offer's rep).

    Reads the offer's state and end reason, the audit trail (who reassigned it and why, who took it)
    and the lead's later offers (who has it now). Examples: "✅ Accepted by you at …", "✅ Accepted for
    you by @maria at …", "↪️ Reassigned to @bob — Out of territory", "⏰ Expired at … — reassigned to
    @bob", "🙋 Taken by @maria at …". An offer still open reads "⏳ Waiting for you · 3 minutes left".
    """
    rep = "you" if viewer_rep_id == offer.rep_id else mention(config, offer.rep_id)
    end = offer.end_reason
    if end is None and offer.state is OfferState.OPEN:
        return f"⏳ Waiting for {rep} · {duration(offer.due_at - now)} left"
    if end in (None, EndReason.CLAIMED):
        return _accepted(offer, config, rep)
    at = slack_date(offer.ended_at or now)
    following = _next_offer(view, offer)
    fate = _fate(view.lead, config, offer.rep_id)
    if end is EndReason.EXPIRED:
        if following is not None:
            return f"⏰ Expired at {at} — reassigned to {mention(config, following.rep_id)}"
        return f"⏰ Expired at {at}" + (f" — {fate}" if fate else "")
    if end is EndReason.TAKEN:
        return f"🙋 Taken by {_taker(view, offer, config)} at {at}"
    if end in (EndReason.REASSIGNED, EndReason.RELEASED):
        entry = _audit(view, offer.id, end.value)
        actor = entry.actor.id if entry is not None else offer.rep_id
        line = "↪️ Reassigned" if end is EndReason.REASSIGNED else "↩️ Released"
        if actor != offer.rep_id:
            line += f" by {mention(config, actor)}"
        if following is not None:
            line += f" to {mention(config, following.rep_id)}"
        if entry is not None and entry.reason:
            line += f" — {_reason_label(entry.reason)}"
        if following is None and fate:
            line += f" · {fate}"
        return line
    line = f"🚫 Withdrawn at {at}"
    if following is not None:
        return f"{line} — reassigned to {mention(config, following.rep_id)}"
    return line + (f" — {fate}" if fate else "")


def reminder(offer: Offer, view: LeadView, config: RoutingConfig, now: datetime) -> Rendered:
    """A nudge in the offer DM's thread before the SLA runs out: the time left at `now`, the deadline
    and the **Accept** button again. `config` is accepted for symmetry with `offer_dm` and not used."""
    left = duration(offer.due_at - now)
    title = lead_title(view.lead.lead)
    line = f"⏳ *{left} left* to accept *{title}* — accept by {slack_date(offer.due_at)}"
    accept = ActionsBlock(block_id=f"offer_{offer.id}", elements=[_accept_button(offer)])
    return _rendered(f"⏳ {left} left to accept {title}", [section(line), accept])


# --- the team channel ------------------------------------------------------------------------------


def thread_note(
    view: LeadView, config: RoutingConfig, event: str, now: datetime, *, offer_id: int | None = None
) -> Rendered:
    """One line for the lead's thread in the team channel about `event`.

    Known events are those storage reports: ``assigned``, ``claimed``, ``taken``, ``expired``,
    ``reassigned`` and ``released``; any other event is shown by name at `now`. `offer_id` names the
    offer the event is about; by default it is the lead's latest offer that fits the event.
    """
    line = _note(view, config, event, now, _event_offer(view, event, offer_id))
    return _rendered(line, [section(line)])


def escalation(
    view: LeadView, config: RoutingConfig, *, manager_id: str | None, level: int, ping: int, now: datetime
) -> Rendered:
    """The post asking a manager to act on an unclaimed lead: who is asked, how long the lead has
    waited since it arrived, the card, who already had it, and the **Take** (``Action.TAKE``) and
    **Assign…** (``Action.ASSIGN``) buttons valued with the lead id.

    `level` (0: the team's manager) and `ping` (1: the first post) are storage's escalation counters;
    a later ping or a higher level says so. With no `manager_id`, the channel is asked.
    """
    record = view.lead
    asked = mention(config, manager_id) if manager_id else "Anyone here"
    waited = duration(now - record.received_at)
    notes = [_tried(view, config)]
    if ping > 1:
        notes.append(f"reminder {ping}")
    if level > 0:
        notes.append(f"escalation level {level}")
    blocks = [
        section(f"🚨 {asked}: *unclaimed for {waited}* — take it or assign a rep"),
        *_card(record, extras=False),
        *contexts(" · ".join(note for note in notes if note)),
        lead_actions(record.id),
    ]
    return _rendered(f"🚨 {asked}: {lead_title(record.lead)} unclaimed for {waited}", blocks)


def escalation_resolved(view: LeadView, config: RoutingConfig, now: datetime) -> Rendered:
    """The escalation post once someone acted, for ``chat.update``: what became of the lead ("🙋 Taken
    by @x at …", "✅ Accepted by @bob at …", "👉 Assigned to @bob by @maria …") and the card, no buttons."""
    status = _lead_status(view, config, now)
    blocks = [section(status), *_card(view.lead, extras=False), *contexts(_tried(view, config))]
    return _rendered(f"{status} · {lead_title(view.lead.lead)}", blocks)


def backlog_digest(views: Sequence[LeadView], config: RoutingConfig, now: datetime) -> Rendered:
    """One post for many leads that expired while Leadrelay was offline: how many, the oldest, where
    they stand now, and the count per team with its manager mentioned. Details go in the thread
    (`backlog_digest_details`). Duplicate leads count once."""
    unique = _unique(views)
    if not unique:
        return plain("No leads waited while Leadrelay was offline.")
    count = len(unique)
    oldest = min(view.lead.received_at for view in unique)
    blocks: list[Block] = [
        section(
            f"⚠️ *{_plural(count, 'lead')} expired while Leadrelay was offline.*\n"
            f"Oldest received {slack_date(oldest)}, {duration(now - oldest)} ago."
        )
    ]
    states = Counter(state_phrase(view.lead.state) for view in unique)
    blocks.append(context(" · ".join(f"{n} {word}" for word, n in states.most_common())))
    teams = Counter(view.lead.team_id for view in unique).most_common()
    lines = [f"• {_team_label(team_id, config)}: {n}" for team_id, n in teams[:_DIGEST_TEAMS]]
    blocks += packed(lines)
    more = len(teams) - _DIGEST_TEAMS
    tail = f"+{_plural(more, 'more team')} · " if more > 0 else ""
    blocks.append(context(f"{tail}🧵 Every lead, with a Take button, is in the thread."))
    return _rendered(f"⚠️ {_plural(count, 'lead')} expired while Leadrelay was offline", blocks)


def backlog_digest_details(views: Sequence[LeadView], config: RoutingConfig, now: datetime) -> list[Rendered]:
    """The thread replies under `backlog_digest`: one line per lead, oldest first, with a **Take**
    button while nobody owns it, in as many messages as the block limit needs. Empty for no leads."""
    unique = sorted(_unique(views), key=lambda view: (view.lead.received_at, view.lead.id))
    replies = []
    for start in range(0, len(unique), _DIGEST_CHUNK):
        chunk = unique[start : start + _DIGEST_CHUNK]
        span = f"Leads {start + 1}–{start + len(chunk)} of {len(unique)}"
        blocks: list[Block] = [context(span)]
        for view in chunk:
            record = view.lead
            team = _team_name(record.team_id, config)
            text = f"{lead_line(record)} · {team}\n{_lead_status(view, config, now)}"
            take = button("Take", Action.TAKE, str(record.id), primary=True) if record.state in _TAKEABLE else None
            blocks.append(
                SectionBlock(block_id=f"lead_{record.id}", text=_md(truncate(text, SECTION_TEXT)), accessory=take)
            )
        replies.append(_rendered(span, blocks))
    return replies


# --- /leads and short replies ----------------------------------------------------------------------


def leads_list(
    offers_with_views: Sequence[tuple[Offer, LeadView]],
    claimed_views: Sequence[LeadView],
    config: RoutingConfig,
    now: datetime,
) -> Rendered:
    """The ephemeral answer to ``/leads``: the rep's open offers (as given, at most 15, each with its
    own Accept / Reassign buttons) then the leads they claimed recently (at most 10), each list
    ending with "+k more" when cut."""
    count = len(offers_with_views)
    blocks: list[Block] = [section(f"*Your open offers ({count})*" if count else "No open offers right now.")]
    for offer, view in offers_with_views[:_LIST_OFFERS]:
        blocks += offer_row(offer, view, now)
    if count > _LIST_OFFERS:
        blocks.append(context(f"+{count - _LIST_OFFERS} more: accept or reassign these first"))
    blocks.append(DividerBlock())
    blocks += claimed_blocks([view.lead for view in claimed_views], _LIST_LINES)
    text = f"You have {_plural(count, 'open offer')}" if count else "You have no open offers"
    return _rendered(text, blocks)


def plain(text: str) -> Rendered:
    """A one-section reply. `text` is trusted mrkdwn, used as is (cut to the section limit): escape
    anything a lead or a user supplied with `bot.text.escape`, and name people with `bot.text.mention`.
    Raises ValueError for an empty `text`."""
    return _rendered(text, [section(text)])


# --- parts shared with the App Home and the modals ----------------------------------------------------------


def lead_title(lead: Lead) -> str:
    """The lead's name for headlines, escaped, one line: the company, else the contact."""
    return inline(lead.company or "", HEADER_TEXT) or _contact_name(lead, HEADER_TEXT)


def lead_line(record: LeadRecord) -> str:
    """The lead in one short mrkdwn line for lists: "*Acme Corp* — Jane Doe" ("*Jane Doe*" alone)."""
    company = inline(record.lead.company or "", _LIST_NAME)
    name = _contact_name(record.lead, _LIST_NAME)
    return f"*{company}* — {name}" if company else f"*{name}*"


def offer_row(offer: Offer, view: LeadView, now: datetime) -> list[Block]:
    """An open offer in a list (``/leads``, App Home): a line with the deadline, then its Accept /
    Reassign buttons in a block with the unique block_id ``offer_{id}``."""
    left = duration(offer.due_at - now)
    line = f"{lead_line(view.lead)}\n⏳ accept by {slack_date(offer.due_at)} · {left} left"
    if offer.attempt > 1:
        line += f" · attempt {offer.attempt}"
    return [section(line), _offer_buttons(offer)]


def lead_actions(lead_id: int) -> ActionsBlock:
    """**Take** (``Action.TAKE``) and **Assign…** (``Action.ASSIGN``) for a lead nobody owns, valued
    with the lead id, in a block with the unique block_id ``lead_{id}``."""
    return ActionsBlock(
        block_id=f"lead_{lead_id}",
        elements=[
            button("Take", Action.TAKE, str(lead_id), primary=True),
            button("Assign…", Action.ASSIGN, str(lead_id)),
        ],
    )


def claimed_blocks(records: Sequence[LeadRecord], limit: int) -> list[Block]:
    """A "Recently claimed" list: one line per lead (at most `limit`, then "+k more"), in as few
    sections as fit; a context line when there is none."""
    if not records:
        return [context("Nothing claimed recently.")]
    lines = [
        f"• {lead_line(record)} · claimed {slack_date(record.claimed_at)}"
        if record.claimed_at
        else f"• {lead_line(record)} · {state_phrase(record.state)}"
        for record in records[:limit]
    ]
    blocks = packed(["*Recently claimed*", *lines])
    if len(records) > limit:
        blocks.append(context(f"+{len(records) - limit} more"))
    return blocks


def state_phrase(state: LeadState) -> str:
    """A lead state as a short phrase for lists: "offered to a rep", "waiting for a manager", …"""
    return _STATE_PHRASES[state]


def section(text: str) -> SectionBlock:
    """A section of trusted mrkdwn `text`, cut to the limit; Slack adds no links or mentions of its own."""
    return SectionBlock(text=_md(truncate(text, SECTION_TEXT)))


def context(text: str) -> ContextBlock:
    """A context line of trusted mrkdwn `text`, cut to the limit."""
    return ContextBlock(elements=[_md(truncate(text, SECTION_TEXT))])


def contexts(text: str) -> list[Block]:
    """A context block for `text`, none for ""."""
    return [context(text)] if text else []


def packed(lines: Iterable[str]) -> list[Block]:
    """`lines` (trusted mrkdwn) in as few sections as the 3000-character limit allows, in order; a
    line too long for a section alone is cut."""
    sections: list[Block] = []
    current: list[str] = []
    size = -1  # the length of `current` joined by newlines
    for line in (truncate(line, SECTION_TEXT) for line in lines):
        if current and size + 1 + len(line) > SECTION_TEXT:
            sections.append(section("\n".join(current)))
            current, size = [], -1
        current.append(line)
        size += 1 + len(line)
    if current:
        sections.append(section("\n".join(current)))
    return sections


def button(label: str, action: Action, value: str | None = None, *, primary: bool = False) -> ButtonElement:
    """A button with a `bot.ids.Action`; `value` carries the offer or lead id it acts on."""
    return ButtonElement(
        text=PlainTextObject(text=label, emoji=True),
        action_id=action.value,
        value=value,
        style="primary" if primary else None,
    )


# --- private helpers -------------------------------------------------------------------------------


def _md(text: str) -> MarkdownTextObject:
    # verbatim: Slack must not auto-link or auto-mention anything in lead text ("@here", "#general").
    return MarkdownTextObject(text=text, verbatim=True)


def _rendered(text: str, blocks: Sequence[Block]) -> Rendered:
    return Rendered(truncate(text, _TEXT), [block.to_dict() for block in blocks])


def _accept_button(offer: Offer) -> ButtonElement:
    return button("Accept", Action.ACCEPT, str(offer.id), primary=True)


def _offer_buttons(offer: Offer) -> ActionsBlock:
    return ActionsBlock(
        block_id=f"offer_{offer.id}",
        elements=[_accept_button(offer), button("Reassign…", Action.REASSIGN, str(offer.id))],
    )


def _contact_name(lead: Lead, limit: int) -> str:
    return inline(lead.display_name, limit) or "Unknown contact"


def _who(lead: Lead) -> str:
    """Company and contact for a notification: "Acme Corp — Jane Doe", or the contact alone."""
    company = inline(lead.company or "", _LIST_NAME)
    name = _contact_name(lead, _LIST_NAME)
    return f"{company} — {name}" if company else name


def _value(value: object, limit: int) -> str:
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return inline(text, limit)


def _card(record: LeadRecord, *, extras: bool) -> list[Block]:
    """Header (company or contact), the contact, the routing facts, and optionally the extra fields."""
    lead = record.lead
    company = inline(lead.company or "", HEADER_TEXT)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=company or _contact_name(lead, HEADER_TEXT), emoji=True))
    ]
    # With the company in the header, the contact's name leads the next line in bold.
    name = f"*{_contact_name(lead, _NAME)}*" if company else ""
    who = [part for part in (name, inline(lead.title or "", _NAME)) if part]
    reach = [part for part in (inline(lead.email or "", 254), inline(lead.phone or "", 50)) if part]
    contact = "\n".join(line for line in (" · ".join(who), " · ".join(reach)) if line)
    if contact:
        blocks.append(section(contact))
    facts = _fact_fields(record)
    if facts:
        blocks.append(SectionBlock(fields=[_md(field) for field in facts]))
    if extras:
        blocks += _extra_blocks(lead.extra)
    return blocks


def _fact_fields(record: LeadRecord) -> list[str]:
    lead, facts = record.lead, record.facts or {}
    size = ""
    if lead.employees is not None:
        size = _value(lead.employees, _KEY) + " employees"
        if segment := _value(facts.get("segment") or "", _KEY):
            size += f" · {segment}"
    region = " · ".join(
        part
        for part in (
            _value(facts.get("region") or "", _KEY),
            _value(facts.get("country") or lead.country or "", _KEY),
        )
        if part
    )
    pairs = (
        ("Size", size),
        ("Industry", inline(lead.industry or "", _VALUE)),
        ("Region", region),
        ("Source", inline(lead.source or "", _VALUE)),
        ("Score", _value(lead.score, _KEY) if lead.score is not None else ""),
        ("Intent", inline(lead.intent or "", _VALUE)),
    )
    return [f"*{label}*\n{value}" for label, value in pairs if value]


def _extra_blocks(extra: Mapping[str, str | int | float | bool]) -> list[Block]:
    shown: list[str] = []
    hidden = 0
    for key, raw in extra.items():
        value = _value(raw, _VALUE)
        if not value:
            continue
        if len(shown) < _EXTRAS_SHOWN:
            shown.append(f"*{inline(str(key), _KEY) or 'field'}*\n{value}")
        else:
            hidden += 1
    blocks: list[Block] = []
    if shown:
        blocks.append(SectionBlock(fields=[_md(field) for field in shown]))
    if hidden:
        blocks.append(context(f"+{hidden} more"))
    return blocks


def _why(offer: Offer, config: RoutingConfig) -> str:
    if offer.offered_by != SYSTEM.id:
        parts = [f"chosen by {mention(config, offer.offered_by)}"]
    else:
        parts = [inline(offer.summary, _SUMMARY) or "routed"]
    if offer.attempt > 1:
        parts.append(f"attempt {offer.attempt}")
    if offer.fallback:
        parts.append("fallback")
    return "*Why you:* " + " · ".join(parts)


def _deadline(offer: Offer, config: RoutingConfig) -> str:
    line = f"⏳ *Accept by {slack_date(offer.due_at)}*"
    if offer.sla:
        line += f" · {inline(offer.sla, _KEY)} SLA"
        policy = next((p for p in config.sla if p.name == offer.sla), None)
        if policy is not None:
            line += f" ({duration(policy.within)}{' of working time' if policy.business_hours else ''})"
    return line


def _accepted(offer: Offer, config: RoutingConfig, rep: str) -> str:
    at = slack_date(offer.claimed_at or offer.ended_at or offer.assigned_at)
    by = offer.claimed_by
    if by is None or by == offer.rep_id:
        return f"✅ Accepted by {rep} at {at}"
    return f"✅ Accepted for {rep} by {mention(config, by)} at {at}"


def _next_offer(view: LeadView, offer: Offer) -> Offer | None:
    """The offer made after `offer` (ids grow with time), if any."""
    return next((later for later in view.offers if later.id > offer.id), None)


def _fate(record: LeadRecord, config: RoutingConfig, rep_id: str) -> str | None:
    """Where the lead went when no offer followed `rep_id`'s: managers, nurture, or someone took it."""
    if record.state in (LeadState.ESCALATED, LeadState.QUEUED):
        return "sent to the managers"
    if record.state is LeadState.NURTURE:
        return "moved to nurture"
    if record.state is LeadState.CLAIMED and record.claimed_by and record.claimed_by != rep_id:
        return f"taken by {mention(config, record.claimed_by)}"
    return None


def _audit(view: LeadView, offer_id: int, to_state: str) -> AuditEntry | None:
    """The latest audit entry about `offer_id` that moved to `to_state`."""
    return next((e for e in reversed(view.history) if e.offer_id == offer_id and e.to_state == to_state), None)


def _reason_label(reason: str) -> str:
    return REASSIGN_REASONS.get(reason) or inline(reason, _KEY * 2)


def _taker(view: LeadView, offer: Offer, config: RoutingConfig) -> str:
    entry = _audit(view, offer.id, LeadState.CLAIMED.value)
    taker = entry.actor.id if entry is not None else view.lead.claimed_by
    return mention(config, taker) if taker else "someone"


def _event_offer(view: LeadView, event: str, offer_id: int | None) -> Offer | None:
    if offer_id is not None:
        return next((offer for offer in view.offers if offer.id == offer_id), None)
    for offer in reversed(view.offers):
        if event == "assigned" or offer.end_reason == event or (event == "claimed" and offer.claimed_at):
            return offer
    return view.offers[-1] if view.offers else None


def _note(view: LeadView, config: RoutingConfig, event: str, now: datetime, offer: Offer | None) -> str:
    if event == "taken":
        taker = mention(config, view.lead.claimed_by) if view.lead.claimed_by else "someone"
        line = f"🙋 Taken by {taker} at {slack_date(view.lead.claimed_at or now)}"
        if offer is not None and offer.end_reason is EndReason.TAKEN:
            line += f" from {mention(config, offer.rep_id)}"
        return line
    if offer is None:
        return f"ℹ️ {inline(event, _KEY) or 'update'} at {slack_date(now)}"
    rep = mention(config, offer.rep_id)
    if event == "assigned":
        return f"👉 Offered to {rep} (attempt {offer.attempt}) · accept by {slack_date(offer.due_at)}"
    if event == "claimed":
        at = offer.claimed_at or now
        line = _accepted(offer, config, rep)
        return f"{line}, {duration(at - offer.assigned_at)} after the offer"
    if event == "expired":
        return f"⏰ Offer to {rep} expired at {slack_date(offer.due_at)}; {_now_with(view, offer, config)}"
    if event in (EndReason.REASSIGNED, EndReason.RELEASED):
        entry = _audit(view, offer.id, event)
        actor = mention(config, entry.actor.id) if entry is not None else rep
        line = f"↪️ {actor} passed it on" if event == EndReason.REASSIGNED else f"↩️ {actor} released it"
        if entry is not None and entry.reason:
            line += f" — {_reason_label(entry.reason)}"
        note = entry.detail.get("note") if entry is not None and entry.detail else None
        if isinstance(note, str) and (note := inline(note, _NOTE)):
            line += f" (“{note}”)"
        return f"{line}; {_now_with(view, offer, config)}"
    return f"ℹ️ {inline(event, _KEY) or 'update'} at {slack_date(now)}: {rep}"


def _now_with(view: LeadView, offer: Offer, config: RoutingConfig) -> str:
    following = _next_offer(view, offer)
    if following is not None:
        return f"now with {mention(config, following.rep_id)} (attempt {following.attempt})"
    return _fate(view.lead, config, offer.rep_id) or "no other rep yet"


def _lead_status(view: LeadView, config: RoutingConfig, now: datetime) -> str:
    """Where the lead stands now, in one line, from its state and latest offer."""
    record = view.lead
    latest = view.offers[-1] if view.offers else None
    if record.state is LeadState.CLAIMED:
        owner = mention(config, record.claimed_by) if record.claimed_by else "someone"
        at = slack_date(record.claimed_at or now)
        accepted = latest is not None and latest.state is OfferState.CLAIMED and latest.rep_id == record.claimed_by
        return f"✅ Accepted by {owner} at {at}" if accepted else f"🙋 Taken by {owner} at {at}"
    if record.state is LeadState.ASSIGNED and latest is not None:
        rep = mention(config, latest.rep_id)
        if latest.offered_by != SYSTEM.id:
            return f"👉 Assigned to {rep} by {mention(config, latest.offered_by)}, waiting for them to accept"
        return f"👉 Offered to {rep} (attempt {latest.attempt}) · accept by {slack_date(latest.due_at)}"
    if record.state is LeadState.NURTURE:
        return "🌱 Moved to nurture"
    if record.state is LeadState.RECEIVED:
        return "📥 Received, not routed yet"
    return f"🚨 Unclaimed for {duration(now - record.received_at)}"


_PASSED = {EndReason.EXPIRED: "expired", EndReason.REASSIGNED: "passed on", EndReason.RELEASED: "released"}


def _tried(view: LeadView, config: RoutingConfig) -> str:
    """Who already had the lead and let it go, or that nobody could be offered it; "" otherwise."""
    gone = [
        f"{mention(config, offer.rep_id)} ({_PASSED[offer.end_reason]})"
        for offer in view.offers
        if offer.end_reason in _PASSED
    ]
    if not gone:
        return "" if view.offers else "No rep could take it when it arrived"
    more = len(gone) - _TRIED_SHOWN
    return "*Tried:* " + ", ".join(gone[:_TRIED_SHOWN]) + (f" +{more} more" if more > 0 else "")


def _team_name(team_id: str | None, config: RoutingConfig) -> str:
    team = config.teams.get(team_id) if team_id else None
    return escape(team.name) if team is not None else "no team"


def _team_label(team_id: str | None, config: RoutingConfig) -> str:
    team = config.teams.get(team_id) if team_id else None
    if team is None:
        return "*No team*"
    label = f"*{escape(team.name)}*"
    return f"{label} ({mention(config, team.manager)})" if team.manager else label


def _unique(views: Iterable[LeadView]) -> list[LeadView]:
    """`views` without repeats of a lead (the first one stays), in order."""
    first: dict[int, LeadView] = {}
    for view in views:
        first.setdefault(view.lead.id, view)
    return list(first.values())


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
