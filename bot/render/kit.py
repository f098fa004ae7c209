"""The parts every surface builds with: `Rendered`, Block Kit blocks within Slack's limits, buttons, and
the lead card a rep decides on from their phone.

Guarantees, for any lead content (the surfaces in `bot.render` keep them by building with these parts):

* every string a lead, a user or a file supplied is escaped (`bot.text.inline`), so ``<!channel>``
  in a company name pings nobody; the only ``<…>`` tokens are Leadrelay's own mentions and dates;
* every text is cut to fit Block Kit's limits, and no message has more than 50 blocks;
* buttons carry the ids of `bot.ids` and, in ``value``, the offer id (Accept, Reassign) or the lead id
  (Take, Assign) as a string.

Cards put what a rep decides on first (company, contact, size, region) and keep lines short.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.ids import Action
from bot.text import escape, inline, truncate
from routing import Lead, RoutingConfig
from storage.model import LeadRecord, LeadState, Offer, OutcomeState

SECTION_TEXT = 3000

HEADER_TEXT = 150

_NAME = 150  # a company, a person, a title

_LIST_NAME = 80  # the same in one-line lists

_VALUE = 300  # a field's value

KEY_CHARS = 60  # an extra field's label, a segment, an SLA name

_TEXT = 500  # the notification text

_EXTRAS_SHOWN = 10  # one section of fields

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


def plain(text: str) -> Rendered:
    """A one-section reply. `text` is trusted mrkdwn, used as is (cut to the section limit): escape
    anything a lead or a user supplied with `bot.text.escape`, and name people with `bot.text.mention`.
    Raises ValueError for an empty `text`."""
    return rendered(text, [section(text)])


OUTCOME_WORDS = {
    OutcomeState.WORKING: "being worked",
    OutcomeState.WON: "won",
    OutcomeState.LOST: "lost",
    OutcomeState.DISQUALIFIED: "disqualified",
    OutcomeState.REOPENED: "reopened",
}
OUTCOME_ICONS = {
    OutcomeState.WORKING: "🛠️",
    OutcomeState.WON: "🏆",
    OutcomeState.LOST: "🥀",
    OutcomeState.DISQUALIFIED: "🚫",
    OutcomeState.REOPENED: "🔁",
}


def lead_title(lead: Lead) -> str:
    """The lead's name for headlines, escaped, one line: the company, else the contact."""
    return inline(lead.company or "", HEADER_TEXT) or _contact_name(lead, HEADER_TEXT)


def lead_line(record: LeadRecord) -> str:
    """The lead in one short mrkdwn line for lists: "*Acme Corp* — Jane Doe" ("*Jane Doe*" alone)."""
    company = inline(record.lead.company or "", _LIST_NAME)
    name = _contact_name(record.lead, _LIST_NAME)
    return f"*{company}* — {name}" if company else f"*{name}*"


def state_phrase(state: LeadState) -> str:
    """A lead state as a short phrase for lists: "offered to a rep", "waiting for a manager", …"""
    return _STATE_PHRASES[state]


def section(text: str) -> SectionBlock:
    """A section of trusted mrkdwn `text`, cut to the limit; Slack adds no links or mentions of its own."""
    return SectionBlock(text=md(truncate(text, SECTION_TEXT)))


def context(text: str) -> ContextBlock:
    """A context line of trusted mrkdwn `text`, cut to the limit."""
    return ContextBlock(elements=[md(truncate(text, SECTION_TEXT))])


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


def md(text: str) -> MarkdownTextObject:
    # verbatim: Slack must not auto-link or auto-mention anything in lead text ("@here", "#general").
    return MarkdownTextObject(text=text, verbatim=True)


def rendered(text: str, blocks: Sequence[Block]) -> Rendered:
    return Rendered(truncate(text, _TEXT), [block.to_dict() for block in blocks])


def accept_button(offer: Offer) -> ButtonElement:
    return button("Accept", Action.ACCEPT, str(offer.id), primary=True)


def offer_buttons(offer: Offer) -> ActionsBlock:
    return ActionsBlock(
        block_id=f"offer_{offer.id}",
        elements=[accept_button(offer), button("Reassign…", Action.REASSIGN, str(offer.id))],
    )


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


def _contact_name(lead: Lead, limit: int) -> str:
    return inline(lead.display_name, limit) or "Unknown contact"


def who(lead: Lead) -> str:
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


def card(record: LeadRecord, *, extras: bool) -> list[Block]:
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
        blocks.append(SectionBlock(fields=[md(field) for field in facts]))
    if extras:
        blocks += _extra_blocks(lead.extra)
    return blocks


def _fact_fields(record: LeadRecord) -> list[str]:
    lead, facts = record.lead, record.facts or {}
    size = ""
    if lead.employees is not None:
        size = _value(lead.employees, KEY_CHARS) + " employees"
        if segment := _value(facts.get("segment") or "", KEY_CHARS):
            size += f" · {segment}"
    region = " · ".join(
        part
        for part in (
            _value(facts.get("region") or "", KEY_CHARS),
            _value(facts.get("country") or lead.country or "", KEY_CHARS),
        )
        if part
    )
    pairs = (
        ("Size", size),
        ("Industry", inline(lead.industry or "", _VALUE)),
        ("Region", region),
        ("Source", inline(lead.source or "", _VALUE)),
        ("Score", _value(lead.score, KEY_CHARS) if lead.score is not None else ""),
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
            shown.append(f"*{inline(str(key), KEY_CHARS) or 'field'}*\n{value}")
        else:
            hidden += 1
    blocks: list[Block] = []
    if shown:
        blocks.append(SectionBlock(fields=[md(field) for field in shown]))
    if hidden:
        blocks.append(context(f"+{hidden} more"))
    return blocks


def team_name(team_id: str | None, config: RoutingConfig) -> str:
    team = config.teams.get(team_id) if team_id else None
    return escape(team.name) if team is not None else "no team"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
