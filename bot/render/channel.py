"""The team channel: one thread per lead with a line for each thing that happened to it, the escalation that
asks a manager to act (and its rewrite once someone did), and the digest that replaces a stream of posts
after an outage; a team's weekly digest and its live threshold alerts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from slack_sdk.models.blocks import (
    Block,
    SectionBlock,
)

from bot.ids import Action
from bot.render.kit import (
    KEY_CHARS,
    SECTION_TEXT,
    Rendered,
    button,
    card,
    context,
    contexts,
    lead_actions,
    lead_line,
    lead_title,
    md,
    packed,
    plain,
    plural,
    rendered,
    section,
    state_phrase,
    team_name,
)
from bot.render.numbers import summary_blocks, summary_text
from bot.render.story import accepted, audit_entry, fate_line, next_offer, reason_label
from bot.text import duration, escape, inline, mention, slack_date, truncate
from reports.numbers import Report
from routing import RoutingConfig
from storage.model import SYSTEM, EndReason, LeadState, LeadView, Offer, OfferState

_NOTE = 200  # a person's note on a reassignment

_DIGEST_TEAMS = 20

_DIGEST_CHUNK = 40  # leads per thread reply: one block each

_TRIED_SHOWN = 10

_TAKEABLE = frozenset({LeadState.ASSIGNED, LeadState.ESCALATED, LeadState.QUEUED})


def thread_note(
    view: LeadView,
    config: RoutingConfig,
    event: str,
    now: datetime,
    *,
    offer_id: int | None = None,
    until: datetime | None = None,
) -> Rendered:
    """One line for the lead's thread in the team channel about `event`.

    Known events are those storage reports: ``assigned``, ``claimed``, ``taken``, ``expired``,
    ``reassigned``, ``released`` and ``held`` (nobody at work, `off_hours: hold`, until `until`); any
    other event is shown by name at `now`. `offer_id` names the offer the event is about; by default it
    is the lead's latest offer that fits the event.
    """
    if event == "held":
        line = f"🌙 Nobody is at work: held until {slack_date(until or now)}, then routed (off_hours: hold)"
        return rendered(line, [section(line)])
    line = _note(view, config, event, now, _event_offer(view, event, offer_id))
    return rendered(line, [section(line)])


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
        *card(record, extras=False),
        *contexts(" · ".join(note for note in notes if note)),
        lead_actions(record.id),
    ]
    return rendered(f"🚨 {asked}: {lead_title(record.lead)} unclaimed for {waited}", blocks)


def escalation_resolved(view: LeadView, config: RoutingConfig, now: datetime) -> Rendered:
    """The escalation post once someone acted, for ``chat.update``: what became of the lead ("🙋 Taken
    by @x at …", "✅ Accepted by @bob at …", "👉 Assigned to @bob by @maria …") and the card, no buttons."""
    status = _lead_status(view, config, now)
    blocks = [section(status), *card(view.lead, extras=False), *contexts(_tried(view, config))]
    return rendered(f"{status} · {lead_title(view.lead.lead)}", blocks)


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
            f"⚠️ *{plural(count, 'lead')} expired while Leadrelay was offline.*\n"
            f"Oldest received {slack_date(oldest)}, {duration(now - oldest)} ago."
        )
    ]
    states = Counter(state_phrase(view.lead.state) for view in unique)
    blocks.append(context(" · ".join(f"{n} {word}" for word, n in states.most_common())))
    teams = Counter(view.lead.team_id for view in unique).most_common()
    lines = [f"• {_team_label(team_id, config)}: {n}" for team_id, n in teams[:_DIGEST_TEAMS]]
    blocks += packed(lines)
    more = len(teams) - _DIGEST_TEAMS
    tail = f"+{plural(more, 'more team')} · " if more > 0 else ""
    blocks.append(context(f"{tail}🧵 Every lead, with a Take button, is in the thread."))
    return rendered(f"⚠️ {plural(count, 'lead')} expired while Leadrelay was offline", blocks)


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
            team = team_name(record.team_id, config)
            text = f"{lead_line(record)} · {team}\n{_lead_status(view, config, now)}"
            take = button("Take", Action.TAKE, str(record.id), primary=True) if record.state in _TAKEABLE else None
            blocks.append(
                SectionBlock(block_id=f"lead_{record.id}", text=md(truncate(text, SECTION_TEXT)), accessory=take)
            )
        replies.append(rendered(span, blocks))
    return replies


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
        line = f"🙋 Taken by {taker} {slack_date(view.lead.claimed_at or now)}"
        if offer is not None and offer.end_reason is EndReason.TAKEN:
            line += f" from {mention(config, offer.rep_id)}"
        return line
    if offer is None:
        return f"ℹ️ {inline(event, KEY_CHARS) or 'update'} {slack_date(now)}"
    rep = mention(config, offer.rep_id)
    if event == "assigned":
        return f"👉 Offered to {rep} (attempt {offer.attempt}) · accept by {slack_date(offer.due_at)}"
    if event == "claimed":
        at = offer.claimed_at or now
        line = accepted(offer, config, rep)
        return f"{line}, {duration(at - offer.assigned_at)} after the offer"
    if event == "expired":
        return f"⏰ Offer to {rep} expired {slack_date(offer.due_at)}; {_now_with(view, offer, config)}"
    if event in (EndReason.REASSIGNED, EndReason.RELEASED):
        entry = audit_entry(view, offer.id, event)
        actor = mention(config, entry.actor.id) if entry is not None else rep
        line = f"↪️ {actor} passed it on" if event == EndReason.REASSIGNED else f"↩️ {actor} released it"
        if entry is not None and entry.reason:
            line += f" — {reason_label(entry.reason)}"
        note = entry.detail.get("note") if entry is not None and entry.detail else None
        if isinstance(note, str) and (note := inline(note, _NOTE)):
            line += f" (“{note}”)"
        return f"{line}; {_now_with(view, offer, config)}"
    return f"ℹ️ {inline(event, KEY_CHARS) or 'update'} {slack_date(now)}: {rep}"


def _now_with(view: LeadView, offer: Offer, config: RoutingConfig) -> str:
    following = next_offer(view, offer)
    if following is not None:
        return f"now with {mention(config, following.rep_id)} (attempt {following.attempt})"
    return fate_line(view.lead, config, offer.rep_id) or "no other rep yet"


def _lead_status(view: LeadView, config: RoutingConfig, now: datetime) -> str:
    """Where the lead stands now, in one line, from its state and latest offer."""
    record = view.lead
    latest = view.offers[-1] if view.offers else None
    if record.state is LeadState.CLAIMED:
        owner = mention(config, record.claimed_by) if record.claimed_by else "someone"
        at = slack_date(record.claimed_at or now)
        accepted = latest is not None and latest.state is OfferState.CLAIMED and latest.rep_id == record.claimed_by
        return f"✅ Accepted by {owner} {at}" if accepted else f"🙋 Taken by {owner} {at}"
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


def rep_unreachable(config: RoutingConfig, rep_id: str, code: str) -> Rendered:
    """Tell a team's managers that Slack cannot deliver to `rep_id` (Slack's error `code`), and what to check."""
    text = (
        f"⚠️ Slack can't deliver messages to {mention(config, rep_id)} ({escape(code)}). Their new leads go "
        "to others until that is fixed; check their Slack account, or their slack_id in the routing config."
    )
    return Rendered(text=text, blocks=[])


def weekly_digest(report: Report, config: RoutingConfig, team_id: str) -> Rendered:
    """A team's week in numbers, each against the week before; the charts follow in its thread."""
    n = report.current
    tz = config.teams[team_id].tz if team_id in config.teams else None
    last_day = n.until - timedelta(seconds=1)
    days = f"{n.since.astimezone(tz):%a %d %b} – {last_day.astimezone(tz):%a %d %b %Y}"
    title = f"📊 {team_name(team_id, config)}: the week of {days}"
    blocks: list[Block] = [section(f"*{escape(title)}*"), *summary_blocks(report)]
    blocks.append(context("Changes are against the week before. Charts in the thread."))
    return rendered(f"{title}: {summary_text(report)}", blocks)


def threshold_alert(
    config: RoutingConfig, *, team_id: str, raised: bool, reading: str, lead_ids: Sequence[int]
) -> Rendered:
    """A live threshold crossed (`raised`) or back to normal, with the leads behind it."""
    team = team_name(team_id, config)
    text = f"🚨 {team}: {escape(reading)}" if raised else f"✅ {team}: back to normal, {escape(reading)}"
    blocks: list[Block] = [section(f"*{text}*")]
    if raised and lead_ids:
        blocks.append(context("Leads behind it: " + ", ".join(f"#{lead_id}" for lead_id in lead_ids)))
    return rendered(text, blocks)
