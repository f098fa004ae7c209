"""The rep's direct messages: the offer with **Accept** and **Reassign**, the same card once the offer is
over (for ``chat.update``), the reminder in its thread before the SLA runs out, and the note that a
manager changed their PTO, capacity or pause."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
)

from bot.render.kit import (
    KEY_CHARS,
    OUTCOME_ICONS,
    OUTCOME_WORDS,
    Rendered,
    accept_button,
    card,
    context,
    lead_title,
    offer_buttons,
    rendered,
    section,
    who,
)
from bot.render.story import accepted, audit_entry, fate_line, next_offer, reason_label
from bot.text import duration, escape, inline, mention, slack_date, truncate
from routing import RoutingConfig
from storage.model import SYSTEM, EndReason, LeadState, LeadView, Offer, OfferState, OutcomeState

_SUMMARY = 500  # why the lead came to this rep


def offer_dm(view: LeadView, offer: Offer, config: RoutingConfig, now: datetime) -> Rendered:
    """The DM offering `view`'s lead to `offer.rep_id`: the card, why them, the deadline, and the
    **Accept** (``Action.ACCEPT``) and **Reassign…** (``Action.REASSIGN``) buttons, valued ``offer.id``.

    The notification text names the lead and the time left at `now`, which is what a lock screen shows.
    """
    blocks = [
        *card(view.lead, extras=True),
        context(_why(offer, config)),
        section(_deadline(offer, config)),
        offer_buttons(offer),
    ]
    text = f"🔔 New lead: {who(view.lead.lead)} · accept within {duration(offer.due_at - now)}"
    return rendered(text, blocks)


def offer_closed(view: LeadView, offer: Offer, config: RoutingConfig, *, headline: str, now: datetime) -> Rendered:
    """The offer DM once the offer is over, for ``chat.update``: the same card, with the deadline and
    buttons replaced by `headline` (trusted mrkdwn, normally from `offer_headline`).

    `now` is accepted for symmetry with `offer_dm`; the closed card does not depend on it.
    """
    blocks = [*card(view.lead, extras=True), context(_why(offer, config)), context(headline)]
    return rendered(f"{headline} · {lead_title(view.lead.lead)}", blocks)


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
        return accepted(offer, config, rep)
    at = slack_date(offer.ended_at or now)
    following = next_offer(view, offer)
    fate = fate_line(view.lead, config, offer.rep_id)
    if end is EndReason.EXPIRED:
        if following is not None:
            return f"⏰ Expired {at} — reassigned to {mention(config, following.rep_id)}"
        return f"⏰ Expired {at}" + (f" — {fate}" if fate else "")
    if end is EndReason.TAKEN:
        return f"🙋 Taken by {_taker(view, offer, config)} {at}"
    if end in (EndReason.REASSIGNED, EndReason.RELEASED):
        entry = audit_entry(view, offer.id, end.value)
        actor = entry.actor.id if entry is not None else offer.rep_id
        line = "↪️ Reassigned" if end is EndReason.REASSIGNED else "↩️ Released"
        if actor != offer.rep_id:
            line += f" by {mention(config, actor)}"
        if following is not None:
            line += f" to {mention(config, following.rep_id)}"
        if entry is not None and entry.reason:
            line += f" — {reason_label(entry.reason)}"
        if following is None and fate:
            line += f" · {fate}"
        return line
    line = f"🚫 Withdrawn {at}"
    if following is not None:
        return f"{line} — reassigned to {mention(config, following.rep_id)}"
    return line + (f" — {fate}" if fate else "")


def reminder(offer: Offer, view: LeadView, config: RoutingConfig, now: datetime) -> Rendered:
    """A nudge in the offer DM's thread before the SLA runs out: the time left at `now`, the deadline
    and the **Accept** button again. `config` is accepted for symmetry with `offer_dm` and not used."""
    left = duration(offer.due_at - now)
    title = lead_title(view.lead.lead)
    line = f"⏳ *{left} left* to accept *{title}* — accept by {slack_date(offer.due_at)}"
    accept = ActionsBlock(block_id=f"offer_{offer.id}", elements=[accept_button(offer)])
    return rendered(f"⏳ {left} left to accept {title}", [section(line), accept])


def outcome_note(view: LeadView, config: RoutingConfig, facts: Mapping[str, Any]) -> Rendered:
    """A reply in the owner's offer DM thread: an outcome of their lead was reported ("🏆 *Acme* won
    (12,000.00)"), saying when it occurred and, for one reported late, that the lead's outcome stays."""
    state = OutcomeState(str(facts["state"]))
    title = lead_title(view.lead.lead)
    amount = facts.get("amount")
    worth = f" ({float(amount):,.2f})" if isinstance(amount, int | float) else ""
    occurred = datetime.fromisoformat(str(facts["occurred_at"]))
    line = f"{OUTCOME_ICONS[state]} *{title}* {OUTCOME_WORDS[state]}{worth} · {slack_date(occurred)}"
    current = view.lead.outcome
    if current is not None and current != state:
        line += f"\nThe lead stays *{OUTCOME_WORDS[current]}*: that was reported as happening later."
    return rendered(f"{title} {OUTCOME_WORDS[state]}", [section(line)])


def lead_returned(view: LeadView, facts: Mapping[str, Any]) -> Rendered:
    """A reply in the offer DM thread of the rep holding the lead: the person came back ("🔁 *Acme* came
    back: filled the pricing form (web)") and was attached here rather than routed to someone else."""
    title = lead_title(view.lead.lead)
    what = escape(truncate(str(facts.get("what", "sent a new submission")), 300))
    source = escape(truncate(str(facts.get("source", "")), 64))
    line = f"🔁 *{title}* came back: {what}" + (f" ({source})" if source else "")
    return rendered(f"{title} came back", [section(line), context("Attached to this lead; not routed again.")])


def settings_changed(config: RoutingConfig, facts: Mapping[str, Any]) -> Rendered:
    """Tell a rep that someone else (`facts["by"]`, their manager) changed their PTO, capacity or pause:
    what it is now, with PTO days in the rep's own zone."""
    rep = config.reps[str(facts["rep_id"])]
    by, change = mention(config, str(facts["by"])), facts["change"]
    if change == "pto":
        first = datetime.fromisoformat(str(facts["starts_at"])).astimezone(rep.tz)
        last = (datetime.fromisoformat(str(facts["ends_at"])) - timedelta(days=1)).astimezone(rep.tz)
        days = f"{first:%a %b} {first.day}" + ("" if last.date() == first.date() else f" to {last:%a %b} {last.day}")
        backup = f" Your new leads go to {mention(config, rep.backup)} meanwhile." if rep.backup else ""
        text = f"🌴 {by} set PTO for you: {days} ({rep.tz.key}).{backup}"
    elif change == "pto_cleared":
        text = f"🌴 {by} cleared your PTO; new leads come to you again."
    elif change == "capacity":
        text = f"📥 {by} set your capacity to {facts['capacity']} open leads."
    elif facts.get("paused"):
        text = f"⏸️ {by} paused your new leads; your open offers stay with you. `/capacity resume` to take leads again."
    else:
        text = f"▶️ {by} resumed your leads; new ones come to you again."
    return rendered(text, [section(text)])


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
        line += f" · {inline(offer.sla, KEY_CHARS)} SLA"
        policy = next((p for p in config.sla if p.name == offer.sla), None)
        if policy is not None:
            line += f" ({duration(policy.within)}{' of working time' if policy.business_hours else ''})"
    return line


def _taker(view: LeadView, offer: Offer, config: RoutingConfig) -> str:
    entry = audit_entry(view, offer.id, LeadState.CLAIMED.value)
    taker = entry.actor.id if entry is not None else view.lead.claimed_by
    return mention(config, taker) if taker else "someone"
