"""Modals, as ``views.open`` payloads: reassign an offer, assign a lead, set PTO, set capacity, log a lead.

Pure functions returning view dicts. Each modal's ``callback_id`` is a `bot.ids.Modal`, its
``private_metadata`` the id the submission acts on (offer, lead or rep), and every input's block_id
equals its action_id (a `bot.ids.Field`), so a submission reads ``values[field][field]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from itertools import islice
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    EmailInputElement,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import LEAD_INTENTS, REASSIGN_REASONS, Field, Modal
from bot.render.kit import context, lead_line, section
from bot.text import escape, truncate
from routing import RoutingConfig
from routing.config import Rep
from storage.model import LeadView, Offer

__all__ = ["MAX_CAPACITY", "assign_modal", "capacity_modal", "new_lead_modal", "pto_modal", "reassign_modal"]

MAX_CAPACITY = 200
_MAX_OPTIONS = 100  # Block Kit's limit for a static_select
_OPTION_TEXT = 75
_NOTE = 500
_LEAD_TEXT = 150


def reassign_modal(offer: Offer, view: LeadView, config: RoutingConfig) -> dict[str, Any]:
    """Pass an offer on: a required reason (`REASSIGN_REASONS`), an optional note, and an optional
    colleague to suggest. `private_metadata` is the offer id.

    The suggestions are the active reps of the offer's pool when it is a team, else every active rep,
    minus those who already had the lead (storage would skip them), at most 100; the field is left
    out when nobody is left.
    """
    tried = {earlier.rep_id for earlier in view.offers} | {offer.rep_id}
    team = config.teams.get(offer.pool) if offer.pool else None
    pool = team.members if team is not None else tuple(config.reps)
    candidates = [config.reps[rep_id] for rep_id in pool if rep_id not in tried and config.reps[rep_id].active]
    reasons = [Option(value=code, text=_plain(label)) for code, label in REASSIGN_REASONS.items()]
    blocks: list[Block] = [
        section(lead_line(view.lead)),
        InputBlock(
            block_id=Field.REASON.value,
            label="Why pass it on?",
            element=StaticSelectElement(action_id=Field.REASON.value, placeholder="Pick a reason", options=reasons),
        ),
        _note(Field.NOTE, "Note", placeholder="Anything the next rep or your manager should know"),
    ]
    if candidates:
        blocks.append(
            InputBlock(
                block_id=Field.SUGGEST.value,
                label="Suggest a rep",
                optional=True,
                hint="They get the lead if they can take it now; otherwise it is routed as usual.",
                element=StaticSelectElement(
                    action_id=Field.SUGGEST.value, placeholder="Anyone", options=_rep_options(candidates)
                ),
            )
        )
    return _modal(Modal.REASSIGN, "Reassign lead", "Reassign", str(offer.id), blocks)


def assign_modal(view: LeadView, config: RoutingConfig) -> dict[str, Any]:
    """A manager picks the rep for a lead: every active rep, the lead's team first (at most 100).
    `private_metadata` is the lead id; the reps who already had the lead are named above the picker."""
    team = config.teams.get(view.lead.team_id) if view.lead.team_id else None
    first = team.members if team is not None else ()
    ordered = [*first, *(rep_id for rep_id in config.reps if rep_id not in first)]
    reps = [config.reps[rep_id] for rep_id in ordered if config.reps[rep_id].active]
    tried = list(dict.fromkeys(offer.rep_id for offer in view.offers))
    blocks: list[Block] = [section(lead_line(view.lead))]
    if tried:
        names = ", ".join(escape(config.person_name(rep_id)) for rep_id in tried)
        blocks.append(context(f"Already had it: {names}"))
    blocks.append(
        InputBlock(
            block_id=Field.ASSIGNEE.value,
            label="Assign to",
            element=StaticSelectElement(
                action_id=Field.ASSIGNEE.value, placeholder="Pick a rep", options=_rep_options(reps)
            ),
        )
    )
    return _modal(Modal.ASSIGN, "Assign lead", "Assign", str(view.lead.id), blocks)


def pto_modal(rep_id: str, config: RoutingConfig, today: date) -> dict[str, Any]:
    """Two dates, the first and the last day off (inclusive), both starting at `today` and read in the
    rep's time zone, which the modal names. `private_metadata` is the rep id. Raises KeyError for an
    unknown rep."""
    rep = config.reps[rep_id]
    blocks: list[Block] = [
        InputBlock(
            block_id=Field.PTO_START.value,
            label="First day off",
            element=DatePickerElement(action_id=Field.PTO_START.value, initial_date=today.isoformat()),
        ),
        InputBlock(
            block_id=Field.PTO_END.value,
            label="Last day off",
            element=DatePickerElement(action_id=Field.PTO_END.value, initial_date=today.isoformat()),
        ),
        context(
            f"Days are in your time zone, *{escape(rep.tz.key)}*. "
            "No new leads reach you from the first day to the end of the last."
        ),
    ]
    return _modal(Modal.PTO, "Set PTO", "Save", rep_id, blocks)


def capacity_modal(rep_id: str, config: RoutingConfig, current: int, load: int) -> dict[str, Any]:
    """The rep's capacity (open leads before new ones stop), a whole number from 0 to `MAX_CAPACITY`
    starting at `current` (clamped into that range), with their `load` and config default shown.
    `private_metadata` is the rep id. Raises KeyError for an unknown rep."""
    rep = config.reps[rep_id]
    blocks: list[Block] = [
        section(f"You have *{load}* open lead{'' if load == 1 else 's'}. Your default capacity is {rep.capacity}."),
        InputBlock(
            block_id=Field.CAPACITY.value,
            label="Capacity",
            hint="New leads stop reaching you once your open leads reach this number.",
            element=NumberInputElement(
                action_id=Field.CAPACITY.value,
                is_decimal_allowed=False,
                initial_value=str(min(max(current, 0), MAX_CAPACITY)),
                min_value="0",
                max_value=str(MAX_CAPACITY),
            ),
        ),
    ]
    return _modal(Modal.CAPACITY, "Set capacity", "Save", rep_id, blocks)


def new_lead_modal(*, email: str | None = None, note: str | None = None, origin: str = "") -> dict[str, Any]:
    """Log a lead met in Slack: the fields intake reads, all optional here (intake says what is missing),
    prefilled with `email` and `note` when it comes from a message. `private_metadata` is `origin`,
    a link to that message, kept with the lead."""

    def text(field: Field, label: str, *, initial: str | None = None, hint: str | None = None) -> InputBlock:
        element = PlainTextInputElement(action_id=field.value, max_length=_LEAD_TEXT, initial_value=initial)
        return InputBlock(block_id=field.value, label=label, optional=True, hint=hint, element=element)

    intents = [Option(value=code, text=_plain(label)) for code, label in LEAD_INTENTS.items()]
    blocks: list[Block] = [
        text(Field.LEAD_COMPANY, "Company"),
        text(Field.LEAD_NAME, "Contact name"),
        InputBlock(
            block_id=Field.LEAD_EMAIL.value,
            label="Email",
            optional=True,
            element=EmailInputElement(action_id=Field.LEAD_EMAIL.value, initial_value=email),
        ),
        text(Field.LEAD_TITLE, "Title"),
        text(Field.LEAD_COUNTRY, "Country", hint="A name or a code: Germany, DE"),
        InputBlock(
            block_id=Field.LEAD_EMPLOYEES.value,
            label="Employees",
            optional=True,
            element=NumberInputElement(action_id=Field.LEAD_EMPLOYEES.value, is_decimal_allowed=False, min_value=0),
        ),
        InputBlock(
            block_id=Field.LEAD_INTENT.value,
            label="What do they want?",
            optional=True,
            element=StaticSelectElement(action_id=Field.LEAD_INTENT.value, placeholder="Pick one", options=intents),
        ),
        _note(Field.LEAD_NOTE, "Note for the rep", initial_value=truncate(note, _NOTE) if note else None),
        context(
            "It is routed like any other lead: the rep it goes to gets a DM to accept, and you hear where it went."
        ),
    ]
    return _modal(Modal.NEW_LEAD, "New lead", "Route it", origin, blocks)


def _modal(callback_id: Modal, title: str, submit: str, metadata: str, blocks: list[Block]) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=callback_id.value,
        title=_plain(title),
        submit=_plain(submit),
        close=_plain("Cancel"),
        private_metadata=metadata,
        blocks=blocks,
    )
    return view.to_dict()


def _note(field: Field, label: str, **element: Any) -> InputBlock:
    """An optional multi-line note of at most `_NOTE` characters."""
    return InputBlock(
        block_id=field.value,
        label=label,
        optional=True,
        element=PlainTextInputElement(action_id=field.value, multiline=True, max_length=_NOTE, **element),
    )


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=True)


def _rep_options(reps: Iterable[Rep]) -> list[Option]:
    """The first 100 `reps` (Block Kit's limit) as options: the name shown, the rep id submitted."""
    return [
        Option(value=rep.id, text=_plain(truncate(escape(rep.name), _OPTION_TEXT)))
        for rep in islice(reps, _MAX_OPTIONS)
    ]
