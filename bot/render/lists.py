"""Lists of leads shared by ``/leads`` and the App Home: open offers with their buttons, recent claims."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    DividerBlock,
)

from bot.render.kit import (
    OUTCOME_WORDS,
    Rendered,
    context,
    lead_line,
    offer_buttons,
    packed,
    plural,
    rendered,
    section,
    state_phrase,
)
from bot.text import duration, slack_date
from routing import RoutingConfig
from storage.model import LeadRecord, LeadView, Offer

_LIST_OFFERS = 15  # /leads: two blocks each

_LIST_LINES = 10  # /leads: recently claimed


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
    text = f"You have {plural(count, 'open offer')}" if count else "You have no open offers"
    return rendered(text, blocks)


def offer_row(offer: Offer, view: LeadView, now: datetime) -> list[Block]:
    """An open offer in a list (``/leads``, App Home): a line with the deadline, then its Accept /
    Reassign buttons in a block with the unique block_id ``offer_{id}``."""
    left = duration(offer.due_at - now)
    line = f"{lead_line(view.lead)}\n⏳ accept by {slack_date(offer.due_at)} · {left} left"
    if offer.attempt > 1:
        line += f" · attempt {offer.attempt}"
    return [section(line), offer_buttons(offer)]


def claimed_blocks(records: Sequence[LeadRecord], limit: int) -> list[Block]:
    """A "Recently claimed" list: one line per lead (at most `limit`, then "+k more"), in as few
    sections as fit; a context line when there is none."""
    if not records:
        return [context("Nothing claimed recently.")]
    lines = [
        (
            f"• {lead_line(record)} · claimed {slack_date(record.claimed_at)}"
            if record.claimed_at
            else f"• {lead_line(record)} · {state_phrase(record.state)}"
        )
        + (f" · {OUTCOME_WORDS[record.outcome]}" if record.outcome else "")
        for record in records[:limit]
    ]
    blocks = packed(["*Recently claimed*", *lines])
    if len(records) > limit:
        blocks.append(context(f"+{len(records) - limit} more"))
    return blocks
