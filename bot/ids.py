"""Every Slack identifier Leadrelay uses, in one place, so a button can never drift from its listener.

Buttons carry the id of what they act on in `value` (an offer id or a lead id, as a string), and modals
in `private_metadata`; `parse_id` is the one place such a string becomes a number.
"""

from __future__ import annotations

from enum import StrEnum

MAX_ID = 2**63 - 1  # the largest integer a database id column holds (SQLite and PostgreSQL BIGINT)
_MAX_ID_DIGITS = len(str(MAX_ID))


def parse_id(value: object) -> int | None:
    """The offer or lead id `value` carries: ASCII digits naming 1 to `MAX_ID`; None for anything else
    (not a string, empty, `²`, a sign, spaces, 25 digits). Never raises: a stale or forged payload is
    answered, not parsed into an overflow."""
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_ID_DIGITS:
        return None
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


class Action(StrEnum):
    ACCEPT = "lead_accept"  # value: offer id
    REASSIGN = "lead_reassign"  # value: offer id; opens the reassign modal
    TAKE = "lead_take"  # value: lead id; escalation post: the clicker takes the lead
    ASSIGN = "lead_assign"  # value: lead id; escalation post: a manager picks a rep in a modal
    HOME_PTO = "home_pto"  # App Home: opens the PTO modal
    HOME_CAPACITY = "home_capacity"  # App Home: opens the capacity modal
    HOME_REFRESH = "home_refresh"  # App Home: publish again


class Shortcut(StrEnum):
    NEW_LEAD = "lead_new"  # global: log a lead from anywhere in Slack
    LEAD_FROM_MESSAGE = "lead_from_message"  # on a message: the same, prefilled from it


class Modal(StrEnum):
    """`callback_id`s of the modals; `private_metadata` carries the offer or lead id."""

    REASSIGN = "reassign_modal"
    ASSIGN = "assign_modal"
    PTO = "pto_modal"
    CAPACITY = "capacity_modal"
    NEW_LEAD = "new_lead_modal"


class Field(StrEnum):
    """block_id == action_id of modal inputs, so submissions read `values[f][f]`."""

    REASON = "reassign_reason"
    NOTE = "reassign_note"
    SUGGEST = "reassign_suggest"
    ASSIGNEE = "assign_rep"
    PTO_START = "pto_start"
    PTO_END = "pto_end"
    CAPACITY = "capacity_value"
    LEAD_COMPANY = "lead_company"
    LEAD_NAME = "lead_name"
    LEAD_EMAIL = "lead_email"
    LEAD_TITLE = "lead_title"
    LEAD_COUNTRY = "lead_country"
    LEAD_EMPLOYEES = "lead_employees"
    LEAD_INTENT = "lead_intent"
    LEAD_NOTE = "lead_note"


class Command(StrEnum):
    PTO = "/pto"
    CAPACITY = "/capacity"
    LEADS = "/leads"


LEAD_INTENTS = {  # what a lead logged in Slack asked for: the intake `intent` SLA policies match on
    "demo": "Wants a demo",
    "pricing": "Asked about pricing",
    "contact": "A question, or get in touch",
}

REASSIGN_REASONS = {
    "out_of_territory": "Out of territory",
    "conflict": "Conflict of interest",
    "at_capacity": "At capacity",
    "other": "Other",
}
