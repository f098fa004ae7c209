"""What became of a lead's offers, in the words both the rep's DM and the team channel use: who accepted,
who had it next, where it went when nobody did, and why it was passed on."""

from __future__ import annotations

from bot.ids import REASSIGN_REASONS
from bot.render.kit import KEY_CHARS
from bot.text import inline, mention, slack_date
from routing import RoutingConfig
from storage.model import AuditEntry, LeadRecord, LeadState, LeadView, Offer


def accepted(offer: Offer, config: RoutingConfig, rep: str) -> str:
    """ "✅ Accepted by `rep` at …", or "… for `rep` by @x" when someone accepted on their behalf."""
    at = slack_date(offer.claimed_at or offer.ended_at or offer.assigned_at)
    by = offer.claimed_by
    if by is None or by == offer.rep_id:
        return f"✅ Accepted by {rep} {at}"
    return f"✅ Accepted for {rep} by {mention(config, by)} {at}"


def next_offer(view: LeadView, offer: Offer) -> Offer | None:
    """The offer made after `offer` (ids grow with time), if any."""
    return next((later for later in view.offers if later.id > offer.id), None)


def fate_line(record: LeadRecord, config: RoutingConfig, rep_id: str) -> str | None:
    """Where the lead went when no offer followed `rep_id`'s: managers, nurture, or someone took it."""
    if record.state in (LeadState.ESCALATED, LeadState.QUEUED):
        return "sent to the managers"
    if record.state is LeadState.NURTURE:
        return "moved to nurture"
    if record.state is LeadState.CLAIMED and record.claimed_by and record.claimed_by != rep_id:
        return f"taken by {mention(config, record.claimed_by)}"
    return None


def audit_entry(view: LeadView, offer_id: int, to_state: str) -> AuditEntry | None:
    """The latest audit entry about `offer_id` that moved to `to_state`."""
    return next((e for e in reversed(view.history) if e.offer_id == offer_id and e.to_state == to_state), None)


def reason_label(reason: str) -> str:
    """A reassignment reason as people read it: the label of a known reason, else the text, escaped."""
    return REASSIGN_REASONS.get(reason) or inline(reason, KEY_CHARS * 2)
