"""The outbox rows each transition implies: kind, transport and address, payload facts and dedup key.

Payloads carry facts (ids, who, why, when as ISO 8601), never Slack markup: the sender renders them.
Addresses are what the sender needs to deliver the message: a rep or manager id for a DM (the sender
maps it to a Slack user), a channel id for the team channel. Dedup keys name the event, so a
transition retried after a conflict, or replayed, cannot queue the same message twice:
``offer:{id}:dm``, ``offer:{id}:{end reason}``, ``offer:{id}:reminder``, and ``audit:{id}:{kind}`` for
channel posts, which each belong to exactly one audit row. Reports name their period or their turn:
``digest:{team}:{week}`` and ``alert:{team}:{metric}:{n}`` (the n-th change of that alert), so two
replicas, or a restart in the send window, queue each once (`Outbox.queue_once`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from routing import RoutingConfig
from storage.model import OutboxKind, Transport

Row = dict[str, Any]


# The columns of an outbox row as `row` builds it.
ROW_COLUMNS = ("kind", "transport", "address", "payload", "dedup_key", "lead_id", "offer_id")


def row(
    kind: str,
    address: str,
    payload: dict[str, Any],
    key: str,
    lead_id: int | None,
    offer_id: int | None,
    *,
    transport: Transport = Transport.SLACK,
) -> Row:
    """One outbox row, as `storage.writes.queue` takes it."""
    return {
        "kind": str(kind),
        "transport": str(transport),
        "address": address,
        "payload": payload,
        "dedup_key": key,
        "lead_id": lead_id,
        "offer_id": offer_id,
    }


def offer_dm(
    *, lead_id: int, offer_id: int, rep_id: str, attempt: int, summary: str, due_at: datetime, offered_by: str
) -> Row:
    payload = {
        "lead_id": lead_id,
        "offer_id": offer_id,
        "rep_id": rep_id,
        "attempt": attempt,
        "summary": summary,
        "due_at": due_at.isoformat(),
        "offered_by": offered_by,
    }
    return row(OutboxKind.OFFER_DM, rep_id, payload, f"offer:{offer_id}:dm", lead_id, offer_id)


def offer_update(*, lead_id: int, offer_id: int, rep_id: str, status: str, by: str, at: datetime) -> Row:
    """Rewrite the rep's offer DM: `status` is the offer's end (claimed, expired, taken, …)."""
    payload = {
        "lead_id": lead_id,
        "offer_id": offer_id,
        "rep_id": rep_id,
        "status": status,
        "by": by,
        "at": at.isoformat(),
    }
    return row(OutboxKind.OFFER_UPDATE, rep_id, payload, f"offer:{offer_id}:{status}", lead_id, offer_id)


def reminder(*, lead_id: int, offer_id: int, rep_id: str, due_at: datetime) -> Row:
    payload = {"lead_id": lead_id, "offer_id": offer_id, "rep_id": rep_id, "due_at": due_at.isoformat()}
    return row(OutboxKind.REMINDER, rep_id, payload, f"offer:{offer_id}:reminder", lead_id, offer_id)


def thread_note(
    config: RoutingConfig, *, team_id: str | None, lead_id: int, audit_id: int, event: str, **facts: Any
) -> list[Row]:
    """A line in the lead's thread in the team channel; none if the team has no channel."""
    team = config.teams.get(team_id) if team_id else None
    if team is None or team.channel is None:
        return []
    payload = {"lead_id": lead_id, "team_id": team_id, "event": event, **facts}
    key = f"audit:{audit_id}:note"
    return [row(OutboxKind.LEAD_THREAD_NOTE, team.channel, payload, key, lead_id, facts.get("offer_id"))]


def outcome_note(
    *,
    lead_id: int,
    offer_id: int,
    rep_id: str,
    state: str,
    amount: float | None,
    occurred_at: datetime,
    audit_id: int,
) -> Row:
    """Tell the owner, in the thread of their offer DM, that an outcome of their lead was reported."""
    payload = {
        "lead_id": lead_id,
        "offer_id": offer_id,
        "rep_id": rep_id,
        "state": state,
        "amount": amount,
        "occurred_at": occurred_at.isoformat(),
    }
    return row(OutboxKind.OUTCOME_NOTE, rep_id, payload, f"audit:{audit_id}:outcome", lead_id, offer_id)


def lead_returned(*, lead_id: int, offer_id: int, rep_id: str, repeat_id: int, facts: dict[str, Any]) -> Row:
    """Tell the rep holding the lead, in the thread of their offer DM, that the person came back;
    `facts` say how (source, intent, form)."""
    payload = {"lead_id": lead_id, "offer_id": offer_id, "rep_id": rep_id, "repeat_id": repeat_id, **facts}
    return row(OutboxKind.LEAD_RETURNED, rep_id, payload, f"repeat:{repeat_id}:note", lead_id, offer_id)


def rep_unreachable(config: RoutingConfig, *, team_id: str | None, rep_id: str, code: str, now: datetime) -> list[Row]:
    """Tell the rep's team channel that Slack cannot reach them; the key allows one a day per rep."""
    team = config.teams.get(team_id) if team_id else None
    if team is None or team.channel is None:
        return []
    payload = {"rep_id": rep_id, "code": code, "team_id": team_id, "at": now.isoformat()}
    key = f"rep:{rep_id}:unreachable:{now.date().isoformat()}"
    return [row(OutboxKind.REP_UNREACHABLE, team.channel, payload, key, None, None)]


def rep_settings(*, rep_id: str, change: str, by: str, audit_id: int, **facts: Any) -> list[Row]:
    """DM the rep that `by` changed their `change` (pto, pto_cleared, capacity, paused), with its
    `facts`; none when they changed it themselves (they saw the answer)."""
    if by == rep_id:
        return []
    payload = {"rep_id": rep_id, "change": change, "by": by, **facts}
    return [row(OutboxKind.REP_SETTINGS, rep_id, payload, f"audit:{audit_id}:rep_settings", None, None)]


def escalation_manager(config: RoutingConfig, team_id: str | None, level: int) -> str | None:
    """Who an escalation at `level` pings: that step of the team's chain, the top one past its end."""
    chain = config.escalation_chain(team_id) if team_id is not None and team_id in config.teams else ()
    return chain[min(level, len(chain) - 1)] if chain else None


def escalation_address(config: RoutingConfig, team_id: str | None, level: int) -> str | None:
    """Where an escalation goes: the team channel, else the manager's DM, else nowhere (None)."""
    team = config.teams.get(team_id) if team_id else None
    if team is not None and team.channel:
        return team.channel
    return escalation_manager(config, team_id, level)


def escalation(
    config: RoutingConfig,
    *,
    team_id: str | None,
    lead_id: int,
    audit_id: int,
    level: int,
    ping: int,
    reason: str,
) -> list[Row]:
    """@manager in the team channel, or in the manager's DM when the team has no channel; none if the
    team has neither (`leadrelay check` should flag such a team)."""
    address = escalation_address(config, team_id, level)
    if address is None:
        return []
    payload = {
        "lead_id": lead_id,
        "team_id": team_id,
        "manager": escalation_manager(config, team_id, level),
        "level": level,
        "ping": ping,
        "reason": reason,
    }
    return [row(OutboxKind.ESCALATION, address, payload, f"audit:{audit_id}:escalation", lead_id, None)]


def digest_key(team_id: str, week: str) -> str:
    return f"digest:{team_id}:{week}"


def digest(*, team_id: str, channel: str, week: str, report: dict[str, Any]) -> Row:
    """The team's weekly digest: `report` is the numbers as `reports.export.document` wrote them when
    the week was queued (facts, not markup), so what is posted is what was computed for that week."""
    payload = {"team_id": team_id, "week": week, "report": report}
    return row(OutboxKind.DIGEST, channel, payload, digest_key(team_id, week), None, None)


def alert_key_prefix(team_id: str, metric: str) -> str:
    return f"alert:{team_id}:{metric}:"


def threshold_alert(
    *, team_id: str, channel: str, metric: str, turn: int, raised: bool, reading: dict[str, Any], lead_ids: list[int]
) -> Row:
    """The `turn`-th change of a team's alert on `metric`: raised (crossed) or cleared (back to normal),
    with the reading and the leads that caused it."""
    payload = {
        "team_id": team_id,
        "metric": metric,
        "turn": turn,
        "raised": raised,
        "reading": reading,
        "lead_ids": lead_ids,
    }
    key = f"{alert_key_prefix(team_id, metric)}{turn}"
    return row(OutboxKind.THRESHOLD_ALERT, channel, payload, key, None, None)
