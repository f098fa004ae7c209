"""What reps and managers read in Slack: the lead card, headlines, channel posts, modals, App Home.

Every payload must pass the stand-in's Block Kit checks, and no lead-supplied string may reach Slack
unescaped: the only ``<…>`` tokens allowed are Leadrelay's own dates and mentions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ids import REASSIGN_REASONS, Action, Field, Modal
from bot.render import channel, dm, kit, lists
from bot.render.home import HomeData, home_view, rep_status
from bot.render.kit import Rendered
from bot.render.modals import assign_modal, capacity_modal, pto_modal, reassign_modal
from bot.text import duration, escape, inline, mention, slack_date, truncate
from routing import Lead, RoutingConfig, Window, parse_config
from standin.blockkit import message_block_problems, view_problems
from storage.model import (
    SYSTEM,
    Actor,
    ActorKind,
    AuditEntry,
    EndReason,
    LeadRecord,
    LeadState,
    LeadView,
    Offer,
    OfferState,
    PtoRecord,
    RepRuntime,
)

CONFIG_YAML = """
timezone: America/New_York
working_hours: "mon-fri 09:00-17:00"
managers:
  - {id: hana, name: Hana Head, slack_id: UHANA01}
  - {id: maria, name: Maria Manager, slack_id: UMARIA1, reports_to: hana}
reps:
  - {id: alice, name: Alice, slack_id: UALICE1, timezone: Europe/Berlin, manager: maria}
  - {id: bob, name: Bob, slack_id: UBOB001, manager: maria}
  - {id: carol, name: "Carol <&> Co", manager: maria}
  - {id: dave, name: Dave, slack_id: UDAVE01, active: false}
  - {id: erin, name: Erin, slack_id: UERIN01, capacity: 5}
teams:
  - {id: emea, name: EMEA, members: [alice, bob, carol], manager: maria, channel: C0EMEA}
  - {id: inside, name: Inside, members: [erin, dave], manager: hana}
sla:
  - {name: demo, when: {intent: demo}, within: 5m}
  - {name: general, within: 1h, business_hours: true}
fallback: {team: emea}
"""
CONFIG: RoutingConfig = parse_config(CONFIG_YAML)

# Monday 2026-11-23 15:00 UTC: 16:00 in Berlin, 10:00 in New York.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
HOSTILE = "<!channel> & co"
HOSTILE_ESCAPED = "&lt;!channel&gt; &amp; co"


def make_lead(**overrides: Any) -> Lead:
    fields: dict[str, Any] = {
        "company": "Acme Corp",
        "full_name": "Jane Doe",
        "title": "VP Sales",
        "email": "jane@acme.com",
        "phone": "+1 555 0100",
        "country": "DE",
        "employees": 250,
        "industry": "Fintech",
        "source": "webinar",
        "intent": "demo",
        "score": 82.0,
        "extra": {"budget": "confirmed", "utm_campaign": "q4"},
    }
    return Lead(**{**fields, **overrides})


def make_record(lead: Lead | None = None, **overrides: Any) -> LeadRecord:
    fields: dict[str, Any] = {
        "id": 7,
        "source": "api",
        "external_id": None,
        "lead": lead or make_lead(),
        "payload": {},
        "facts": {"segment": "enterprise", "region": "EMEA", "country": "DE"},
        "state": LeadState.ASSIGNED,
        "offer_id": 31,
        "team_id": "emea",
        "sla": "demo",
        "received_at": NOW - timedelta(minutes=10),
        "assigned_at": NOW - timedelta(minutes=1),
        "claimed_at": None,
        "claimed_by": None,
        "attempts": 1,
        "escalation_level": 0,
        "pings": 0,
        "next_ping_at": None,
        "thread_channel": None,
        "thread_ts": None,
    }
    return LeadRecord(**{**fields, **overrides})


def make_offer(**overrides: Any) -> Offer:
    fields: dict[str, Any] = {
        "id": 31,
        "lead_id": 7,
        "rep_id": "alice",
        "attempt": 1,
        "turn": 4,
        "rule": "dach",
        "pool": "emea",
        "strategy": "round_robin",
        "fallback": False,
        "sla": "demo",
        "summary": "rule dach matched; round robin in emea",
        "reasons": (),
        "offered_by": SYSTEM.id,
        "assigned_at": NOW - timedelta(minutes=1),
        "due_at": NOW + timedelta(minutes=4),
        "remind_at": None,
        "reminded_at": None,
        "claimed_at": None,
        "claimed_by": None,
        "ended_at": None,
        "end_reason": None,
        "state": OfferState.OPEN,
        "dm_channel": None,
        "dm_ts": None,
    }
    return Offer(**{**fields, **overrides})


def ended(offer: Offer, reason: EndReason, at: datetime = NOW) -> Offer:
    return replace(offer, state=OfferState.ENDED, end_reason=reason, ended_at=at)


def audit(offer_id: int, to_state: str, actor: str, reason: str, detail: dict[str, Any] | None = None) -> AuditEntry:
    kind = ActorKind.MANAGER if actor in CONFIG.managers else ActorKind.REP
    return AuditEntry(
        id=offer_id * 10,
        lead_id=7,
        offer_id=offer_id,
        rep_id=None,
        actor=Actor(kind=kind, id=actor),
        at=NOW,
        from_state="assigned",
        to_state=to_state,
        reason=reason,
        detail=detail,
    )


def make_view(
    record: LeadRecord | None = None,
    offers: tuple[Offer, ...] | None = None,
    history: tuple[AuditEntry, ...] = (),
) -> LeadView:
    return LeadView(lead=record or make_record(), offers=(make_offer(),) if offers is None else offers, history=history)


# --- what "safe" means ---------------------------------------------------------------------------------

# Leadrelay's own tokens: dates (with an escaped fallback) and mentions by Slack id.
OWN_TOKENS = re.compile(r"<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^<>]*>|<@[UW][A-Z0-9]+>")
ESCAPED = re.compile(r"(?:[^&<>]|&(?:amp|lt|gt);)*", re.DOTALL)


def texts(node: Any) -> Iterator[str]:
    """Every string a reader sees: the `text` of every text object, anywhere in a payload."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from texts(item)


def assert_safe_message(rendered: Rendered) -> None:
    assert rendered.text.strip()
    assert message_block_problems(rendered.blocks) == []
    for text in [rendered.text, *texts(rendered.blocks)]:
        assert ESCAPED.fullmatch(OWN_TOKENS.sub("", text)), f"unescaped markup in {text!r}"


def assert_safe_view(view: dict[str, Any]) -> None:
    assert view_problems(view) == []
    for text in texts(view):
        assert ESCAPED.fullmatch(OWN_TOKENS.sub("", text)), f"unescaped markup in {text!r}"


def of_type(rendered_blocks: list[dict[str, Any]], block_type: str) -> list[dict[str, Any]]:
    return [block for block in rendered_blocks if block["type"] == block_type]


def buttons(rendered_blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [e for b in rendered_blocks if b["type"] == "actions" for e in b["elements"]]
    return found + [b["accessory"] for b in rendered_blocks if b.get("accessory", {}).get("type") == "button"]


def joined(rendered_blocks: list[dict[str, Any]]) -> str:
    return "\n".join(texts(rendered_blocks))


# --- text ----------------------------------------------------------------------------------------------


def test_escape_neutralises_slack_control_characters() -> None:
    assert escape("<!channel> & <@U123>") == "&lt;!channel&gt; &amp; &lt;@U123&gt;"


@pytest.mark.parametrize("limit", range(1, 30))
def test_truncate_never_cuts_inside_an_escape_or_a_token(limit: int) -> None:
    text = escape("a&b<c>&&d ") + slack_date(NOW) + " <@UALICE1> tail"
    cut = truncate(text, limit)
    assert len(cut) <= limit
    assert ESCAPED.fullmatch(OWN_TOKENS.sub("", cut.removesuffix("…")))


def test_truncate_keeps_short_text_and_marks_a_cut() -> None:
    assert truncate("short", 5) == "short"
    assert truncate("a longer text", 8) == "a longe…"
    with pytest.raises(ValueError):
        truncate("x", 0)


def test_inline_flattens_lines_and_drops_controls_that_could_fake_a_card() -> None:
    assert inline("Acme\n\n*Accept by* now\u202e\x00 <b>", 100) == "Acme *Accept by* now &lt;b&gt;"
    assert inline(" \n\t ", 10) == ""


def test_mention_uses_the_slack_id_else_the_escaped_name() -> None:
    assert mention(CONFIG, "alice") == "<@UALICE1>"
    assert mention(CONFIG, "carol") == "Carol &lt;&amp;&gt; Co"
    assert mention(CONFIG, "<ghost>") == "&lt;ghost&gt;"


def test_slack_date_shows_each_reader_their_zone_with_a_utc_fallback() -> None:
    epoch = int(NOW.timestamp())
    assert slack_date(NOW) == f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|Nov 23 15:00 UTC>"
    assert slack_date(NOW, "%H:%M <UTC>").endswith("|15:00 &lt;UTC&gt;>")
    with pytest.raises(ValueError):
        slack_date(NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=59), "less than a minute"),
        (timedelta(seconds=-5), "less than a minute"),
        (timedelta(minutes=1, seconds=29), "1 minute"),
        (timedelta(minutes=4, seconds=59), "5 minutes"),
        (timedelta(hours=2, minutes=5), "2 hours 5 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(days=3, hours=4, minutes=9), "3 days 4 hours"),
    ],
)
def test_duration_reads_like_speech(delta: timedelta, words: str) -> None:
    assert duration(delta) == words


# --- the offer DM --------------------------------------------------------------------------------------


def test_offer_dm_puts_the_lead_why_deadline_and_buttons_on_the_card() -> None:
    offer = make_offer(attempt=2, fallback=True)
    message = dm.offer_dm(make_view(offers=(offer,)), offer, CONFIG, NOW)
    assert_safe_message(message)
    assert message.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Acme Corp", "emoji": True},
    }
    body = joined(message.blocks)
    for fact in (
        "*Jane Doe* · VP Sales",
        "jane@acme.com · +1 555 0100",
        "250 employees · enterprise",
        "EMEA · DE",
        "webinar",
        "82",
        "demo",
        "*budget*\nconfirmed",
        "*utm_campaign*\nq4",
    ):
        assert fact in body
    assert "*Why you:* rule dach matched; round robin in emea · attempt 2 · fallback" in body
    assert f"Accept by <!date^{int(offer.due_at.timestamp())}^" in body
    assert "demo SLA (5 minutes)" in body
    assert message.text.startswith("🔔 New lead: Acme Corp — Jane Doe") and "accept within 4 minutes" in message.text
    accept, reassign = buttons(message.blocks)
    assert (accept["action_id"], accept["value"], accept["style"]) == (Action.ACCEPT, "31", "primary")
    assert (reassign["action_id"], reassign["value"], reassign["text"]["text"]) == (
        Action.REASSIGN,
        "31",
        "Reassign…",
    )
    assert "style" not in reassign


def test_offer_dm_headers_the_contact_when_there_is_no_company() -> None:
    record = make_record(make_lead(company="  ", title=None, full_name=None, first_name="Ada", last_name="L"))
    message = dm.offer_dm(make_view(record), make_offer(), CONFIG, NOW)
    assert message.blocks[0]["text"]["text"] == "Ada L"
    assert "*Ada L*" not in joined(message.blocks)  # not repeated under the header
    assert message.text.startswith("🔔 New lead: Ada L ·")


def test_offer_chosen_by_a_person_says_who_chose_the_rep() -> None:
    offer = make_offer(offered_by="maria", summary="suggested by @maria")
    assert "*Why you:* chosen by <@UMARIA1>" in joined(dm.offer_dm(make_view(), offer, CONFIG, NOW).blocks)


def test_no_date_reads_at_today_at() -> None:
    # A date token renders as "today at 8:16 AM", so the words before it never add another "at".
    claimed = ended(make_offer(), EndReason.CLAIMED)
    taken = ended(make_offer(), EndReason.TAKEN)
    expired = ended(make_offer(), EndReason.EXPIRED)
    views = [make_view(offers=(offer,)) for offer in (claimed, taken, expired)]
    texts = [dm.offer_headline(view, view.offers[0], CONFIG, "alice", NOW) for view in views]
    texts += [
        channel.thread_note(view, CONFIG, event, NOW).text
        for view in views
        for event in ("claimed", "taken", "expired")
    ]
    texts += [channel.escalation_resolved(view, CONFIG, NOW).text for view in views]
    assert all("<!date" in text for text in texts[:3])
    assert not [text for text in texts if " at <!date" in text]


def test_a_hostile_company_is_escaped_everywhere() -> None:
    lead = make_lead(company=HOSTILE, full_name=HOSTILE, title=HOSTILE, extra={HOSTILE: HOSTILE})
    record = make_record(lead, state=LeadState.ESCALATED, offer_id=None)
    offer = make_offer(summary=HOSTILE, sla=HOSTILE)
    gone = ended(offer, EndReason.REASSIGNED)
    view = make_view(record, (gone,), (audit(31, "reassigned", "alice", HOSTILE, {"note": HOSTILE}),))
    outputs = [
        dm.offer_dm(view, offer, CONFIG, NOW),
        dm.offer_closed(view, gone, CONFIG, headline=dm.offer_headline(view, gone, CONFIG, "alice", NOW), now=NOW),
        dm.reminder(offer, view, CONFIG, NOW),
        channel.thread_note(view, CONFIG, "reassigned", NOW),
        channel.thread_note(view, CONFIG, HOSTILE, NOW),
        channel.escalation(view, CONFIG, manager_id="maria", level=0, ping=1, now=NOW),
        channel.escalation_resolved(view, CONFIG, NOW),
        channel.backlog_digest([view], CONFIG, NOW),
        *channel.backlog_digest_details([view], CONFIG, NOW),
        lists.leads_list([(offer, view)], [view], CONFIG, NOW),
    ]
    for rendered in outputs:
        assert_safe_message(rendered)
        assert "<!channel>" not in rendered.text + joined(rendered.blocks)
    message = outputs[0]
    assert message.blocks[0]["text"]["text"] == HOSTILE_ESCAPED
    assert HOSTILE_ESCAPED in message.text
    assert f"*{HOSTILE_ESCAPED}*\n{HOSTILE_ESCAPED}" in joined(message.blocks)
    for view_payload in (reassign_modal(offer, view, CONFIG), assign_modal(view, CONFIG)):
        assert_safe_view(view_payload)


def test_a_huge_lead_stays_within_block_kit_limits() -> None:
    extra = {f"field_{i}": "v" * 3000 for i in range(100)}
    lead = make_lead(
        company="&" * 5000,
        full_name="N" * 5000,
        title="T" * 5000,
        email="e" * 5000,
        industry="I" * 5000,
        extra=extra,
    )
    offer = make_offer(summary="why " * 2000, sla="s" * 500)
    view = make_view(make_record(lead), (offer,))
    message = dm.offer_dm(view, offer, CONFIG, NOW)
    assert_safe_message(message)
    header = message.blocks[0]["text"]["text"]
    assert len(header) <= 150 and header.endswith("&amp;…")
    assert "+90 more" in joined(message.blocks)
    assert len([f for b in message.blocks for f in b.get("fields", ())]) <= 6 + 10
    assert_safe_message(channel.escalation(view, CONFIG, manager_id="maria", level=0, ping=1, now=NOW))


# --- headlines and closed offers -----------------------------------------------------------------------


def closed_headline(
    offer: Offer,
    later: tuple[Offer, ...] = (),
    history: tuple[AuditEntry, ...] = (),
    viewer: str | None = "alice",
    **record: Any,
) -> str:
    view = make_view(make_record(**record), (offer, *later), history)
    return dm.offer_headline(view, offer, CONFIG, viewer, NOW)


def test_headline_for_an_accepted_offer_names_who_accepted() -> None:
    claimed = replace(make_offer(), state=OfferState.CLAIMED, claimed_at=NOW, claimed_by="alice")
    at = slack_date(NOW)
    assert closed_headline(claimed) == f"✅ Accepted by you {at}"
    assert closed_headline(claimed, viewer="bob") == f"✅ Accepted by <@UALICE1> {at}"
    for_her = replace(claimed, claimed_by="maria")
    assert closed_headline(for_her) == f"✅ Accepted for you by <@UMARIA1> {at}"


def test_headline_for_an_expired_offer_says_where_the_lead_went() -> None:
    gone = ended(make_offer(), EndReason.EXPIRED)
    nxt = make_offer(id=32, rep_id="bob", attempt=2)
    at = slack_date(NOW)
    assert closed_headline(gone, (nxt,)) == f"⏰ Expired {at} — reassigned to <@UBOB001>"
    escalated = closed_headline(gone, state=LeadState.ESCALATED, offer_id=None)
    assert escalated == f"⏰ Expired {at} — sent to the managers"


def test_headline_for_a_reassigned_offer_gives_the_reason_and_the_next_rep() -> None:
    gone = ended(make_offer(), EndReason.REASSIGNED)
    nxt = make_offer(id=32, rep_id="bob", attempt=2)
    by_rep = (audit(31, "reassigned", "alice", "out_of_territory"),)
    assert closed_headline(gone, (nxt,), by_rep) == "↪️ Reassigned to <@UBOB001> — Out of territory"
    by_manager = (audit(31, "reassigned", "maria", "a custom reason"),)
    assert closed_headline(gone, (nxt,), by_manager) == ("↪️ Reassigned by <@UMARIA1> to <@UBOB001> — a custom reason")
    nobody = closed_headline(gone, (), by_rep, state=LeadState.QUEUED)
    assert nobody == "↪️ Reassigned — Out of territory · sent to the managers"


def test_headline_for_taken_released_withdrawn_and_open_offers() -> None:
    at = slack_date(NOW)
    taken = ended(make_offer(), EndReason.TAKEN)
    assert closed_headline(taken, history=(audit(31, "claimed", "maria", "taken by @maria"),)) == (
        f"🙋 Taken by <@UMARIA1> {at}"
    )
    assert closed_headline(taken, state=LeadState.CLAIMED, claimed_by="hana") == f"🙋 Taken by <@UHANA01> {at}"
    released = replace(ended(make_offer(), EndReason.RELEASED), claimed_at=NOW, claimed_by="alice")
    nxt = make_offer(id=32, rep_id="carol", attempt=2)
    assert closed_headline(released, (nxt,), (audit(31, "released", "alice", "conflict"),)) == (
        "↩️ Released to Carol &lt;&amp;&gt; Co — Conflict of interest"
    )
    withdrawn = ended(make_offer(), EndReason.WITHDRAWN)
    assert closed_headline(withdrawn, state=LeadState.NURTURE) == f"🚫 Withdrawn {at} — moved to nurture"
    assert closed_headline(make_offer()) == "⏳ Waiting for you · 4 minutes left"


def test_offer_closed_replaces_the_deadline_and_buttons_with_the_headline() -> None:
    gone = ended(make_offer(), EndReason.EXPIRED)
    view = make_view(offers=(gone, make_offer(id=32, rep_id="bob", attempt=2)))
    headline = dm.offer_headline(view, gone, CONFIG, "alice", NOW)
    closed = dm.offer_closed(view, gone, CONFIG, headline=headline, now=NOW)
    assert_safe_message(closed)
    assert buttons(closed.blocks) == []
    assert closed.blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": headline, "verbatim": True}],
    }
    assert "Accept by" not in joined(closed.blocks)
    assert closed.text.startswith(headline)


def test_reminder_says_how_long_is_left_and_offers_accept_again() -> None:
    offer = make_offer(due_at=NOW + timedelta(seconds=80))
    nudge = dm.reminder(offer, make_view(), CONFIG, NOW)
    assert_safe_message(nudge)
    assert nudge.text == "⏳ 1 minute left to accept Acme Corp"
    assert f"accept by <!date^{int(offer.due_at.timestamp())}^" in joined(nudge.blocks)
    [accept] = buttons(nudge.blocks)
    assert (accept["action_id"], accept["value"]) == (Action.ACCEPT, "31")


def test_outcome_notes_and_returns_name_the_lead_escaped_and_say_what_happened() -> None:
    from storage.model import OutcomeState

    hostile = make_record(lead=make_lead(company="<!here> *Acme*"), outcome=OutcomeState.WON)
    won = dm.outcome_note(
        make_view(hostile), CONFIG, {"state": "won", "amount": 1200.5, "occurred_at": NOW.isoformat()}
    )
    assert_safe_message(won)
    assert "won (1,200.50)" in joined(won.blocks) and "<!here>" not in joined(won.blocks)
    late = dm.outcome_note(make_view(hostile), CONFIG, {"state": "working", "occurred_at": NOW.isoformat()})
    assert "stays *won*" in joined(late.blocks)
    back = dm.lead_returned(make_view(hostile), {"what": "filled the <b>pricing</b> form", "source": "web"})
    assert_safe_message(back)
    assert "came back: filled the &lt;b&gt;pricing&lt;/b&gt; form (web)" in joined(back.blocks)
    claimed = make_record(state=LeadState.CLAIMED, claimed_at=NOW, claimed_by="alice", outcome=OutcomeState.LOST)
    assert " · lost" in joined([block.to_dict() for block in lists.claimed_blocks([claimed], limit=5)])


# --- the team channel ----------------------------------------------------------------------------------


def test_thread_notes_tell_the_channel_what_happened_in_one_line() -> None:
    first = ended(make_offer(), EndReason.EXPIRED)
    second = make_offer(id=32, rep_id="bob", attempt=2)
    expired = channel.thread_note(make_view(offers=(first, second)), CONFIG, "expired", NOW, offer_id=31)
    assert expired.text == f"⏰ Offer to <@UALICE1> expired {slack_date(first.due_at)}; now with <@UBOB001> (attempt 2)"
    assert len(expired.blocks) == 1

    passed = ended(make_offer(), EndReason.REASSIGNED)
    note = (audit(31, "reassigned", "alice", "at_capacity", {"note": "too busy\nthis week"}),)
    line = channel.thread_note(make_view(offers=(passed, second), history=note), CONFIG, "reassigned", NOW).text
    assert line == "↪️ <@UALICE1> passed it on — At capacity (“too busy this week”); now with <@UBOB001> (attempt 2)"

    claimed = replace(make_offer(), state=OfferState.CLAIMED, claimed_at=NOW, claimed_by="alice")
    line = channel.thread_note(make_view(offers=(claimed,)), CONFIG, "claimed", NOW).text
    assert line == f"✅ Accepted by <@UALICE1> {slack_date(NOW)}, 1 minute after the offer"

    record = make_record(state=LeadState.CLAIMED, claimed_by="maria", claimed_at=NOW, offer_id=None)
    taken = channel.thread_note(make_view(record, (ended(make_offer(), EndReason.TAKEN),)), CONFIG, "taken", NOW)
    assert taken.text == f"🙋 Taken by <@UMARIA1> {slack_date(NOW)} from <@UALICE1>"

    odd = channel.thread_note(make_view(offers=()), CONFIG, "archived", NOW)
    assert odd.text == f"ℹ️ archived {slack_date(NOW)}"
    for rendered in (expired, taken, odd):
        assert_safe_message(rendered)


def escalated_view() -> LeadView:
    record = make_record(state=LeadState.ESCALATED, offer_id=None, received_at=NOW - timedelta(minutes=42))
    offers = (
        ended(make_offer(), EndReason.EXPIRED),
        ended(make_offer(id=32, rep_id="bob", attempt=2), EndReason.REASSIGNED),
    )
    return make_view(record, offers)


def test_escalation_asks_the_manager_with_take_and_assign_buttons() -> None:
    post = channel.escalation(escalated_view(), CONFIG, manager_id="maria", level=1, ping=3, now=NOW)
    assert_safe_message(post)
    body = joined(post.blocks)
    assert post.text == "🚨 <@UMARIA1>: Acme Corp unclaimed for 42 minutes"
    assert "*Tried:* <@UALICE1> (expired), <@UBOB001> (passed on) · reminder 3 · escalation level 1" in body
    take, assign = buttons(post.blocks)
    assert (take["action_id"], take["value"], take["style"]) == (Action.TAKE, "7", "primary")
    assert (assign["action_id"], assign["value"]) == (Action.ASSIGN, "7")
    nobody = channel.escalation(make_view(offers=()), CONFIG, manager_id=None, level=0, ping=1, now=NOW)
    assert "Anyone here" in nobody.text and "No rep could take it when it arrived" in joined(nobody.blocks)


def test_escalation_resolved_says_who_took_it_and_drops_the_buttons() -> None:
    view = escalated_view()
    taken = replace(view, lead=replace(view.lead, state=LeadState.CLAIMED, claimed_by="maria", claimed_at=NOW))
    post = channel.escalation_resolved(taken, CONFIG, NOW)
    assert_safe_message(post)
    assert buttons(post.blocks) == []
    assert post.text.startswith(f"🙋 Taken by <@UMARIA1> {slack_date(NOW)}")
    assigned = replace(
        view,
        lead=replace(view.lead, state=LeadState.ASSIGNED, offer_id=33),
        offers=(*view.offers, make_offer(id=33, rep_id="carol", attempt=3, offered_by="maria")),
    )
    assert channel.escalation_resolved(assigned, CONFIG, NOW).text.startswith(
        "👉 Assigned to Carol &lt;&amp;&gt; Co by <@UMARIA1>, waiting for them to accept"
    )


def backlog(count: int) -> list[LeadView]:
    views = []
    for i in range(count):
        team = ("emea", "inside", None)[i % 3]
        state = (LeadState.ESCALATED, LeadState.ASSIGNED, LeadState.CLAIMED)[i % 3]
        record = make_record(id=100 + i, team_id=team, state=state, received_at=NOW - timedelta(hours=3, minutes=i))
        views.append(make_view(record, (ended(make_offer(id=1000 + i, lead_id=100 + i), EndReason.EXPIRED),)))
    return views


def test_backlog_becomes_one_digest_with_the_details_in_the_thread() -> None:
    views = backlog(137)
    digest = channel.backlog_digest([*views, views[0]], CONFIG, NOW)
    assert_safe_message(digest)
    body = joined(digest.blocks)
    assert digest.text == "⚠️ 137 leads expired while Leadrelay was offline"
    assert "• *EMEA* (<@UMARIA1>): 46" in body and "• *Inside* (<@UHANA01>): 46" in body
    assert "• *No team*: 45" in body
    assert "46 waiting for a manager · 46 offered to a rep · 45 claimed" in body
    assert f"Oldest received {slack_date(NOW - timedelta(hours=5, minutes=16))}" in body

    replies = channel.backlog_digest_details(views, CONFIG, NOW)
    assert [r.text for r in replies] == [
        "Leads 1–40 of 137",
        "Leads 41–80 of 137",
        "Leads 81–120 of 137",
        "Leads 121–137 of 137",
    ]
    sections = [b for r in replies for b in r.blocks if b["type"] == "section"]
    assert len(sections) == 137
    assert sections[0]["block_id"] == "lead_236"  # the oldest first
    takes = [b["accessory"]["value"] for b in sections if "accessory" in b]
    assert len(takes) == 92 and "102" not in takes  # claimed leads have no Take button
    for reply in replies:
        assert_safe_message(reply)
    assert channel.backlog_digest_details([], CONFIG, NOW) == []
    assert channel.backlog_digest([], CONFIG, NOW).text == "No leads waited while Leadrelay was offline."


# --- /leads and plain replies --------------------------------------------------------------------------


def test_leads_list_shows_offers_with_their_own_buttons_within_the_block_limit() -> None:
    offers = [(make_offer(id=200 + i, lead_id=300 + i), make_view(make_record(id=300 + i))) for i in range(40)]
    claimed = [
        make_view(make_record(id=400 + i, state=LeadState.CLAIMED, claimed_at=NOW, claimed_by="alice"))
        for i in range(25)
    ]
    listing = lists.leads_list(offers, claimed, CONFIG, NOW)
    assert_safe_message(listing)
    assert len(listing.blocks) <= 50
    assert listing.text == "You have 40 open offers"
    actions = of_type(listing.blocks, "actions")
    assert [a["block_id"] for a in actions] == [f"offer_{200 + i}" for i in range(15)]
    assert {e["value"] for e in actions[3]["elements"]} == {"203"}
    body = joined(listing.blocks)
    assert "+25 more: accept or reassign these first" in body and "+15 more" in body
    empty = lists.leads_list([], [], CONFIG, NOW)
    assert empty.text == "You have no open offers" and "Nothing claimed recently." in joined(empty.blocks)


def test_plain_is_one_section_of_trusted_mrkdwn() -> None:
    reply = kit.plain(f"Already accepted by {mention(CONFIG, 'bob')}")
    assert reply.text == "Already accepted by <@UBOB001>"
    assert reply.blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": reply.text, "verbatim": True}}]
    with pytest.raises(ValueError):
        kit.plain(" ")


# --- modals --------------------------------------------------------------------------------------------


def select_values(view: dict[str, Any], field: Field) -> list[str]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == field]
    assert block["element"]["action_id"] == field
    return [option["value"] for option in block["element"]["options"]]


def test_reassign_modal_asks_why_and_suggests_teammates_who_have_not_had_the_lead() -> None:
    offer = make_offer(id=32, rep_id="bob", attempt=2)
    view = make_view(offers=(ended(make_offer(), EndReason.EXPIRED), offer))
    modal = reassign_modal(offer, view, CONFIG)
    assert_safe_view(modal)
    assert (modal["callback_id"], modal["private_metadata"]) == (Modal.REASSIGN, "32")
    assert modal["submit"]["text"] == "Reassign" and len(modal["title"]["text"]) <= 24
    assert select_values(modal, Field.REASON) == list(REASSIGN_REASONS)
    assert select_values(modal, Field.SUGGEST) == ["carol"]
    note = next(b for b in modal["blocks"] if b.get("block_id") == Field.NOTE)
    assert note["optional"] and note["element"]["multiline"]
    anywhere = reassign_modal(replace(offer, pool=None), make_view(offers=(offer,)), CONFIG)
    assert select_values(anywhere, Field.SUGGEST) == ["alice", "carol", "erin"]  # active reps only
    lonely = reassign_modal(replace(offer, pool="inside", rep_id="erin"), view, CONFIG)
    assert all(b.get("block_id") != Field.SUGGEST for b in lonely["blocks"])
    assert_safe_view(lonely)


def test_assign_modal_lists_the_leads_team_first() -> None:
    view = make_view(
        make_record(team_id="inside", state=LeadState.ESCALATED), (ended(make_offer(), EndReason.EXPIRED),)
    )
    modal = assign_modal(view, CONFIG)
    assert_safe_view(modal)
    assert (modal["callback_id"], modal["private_metadata"]) == (Modal.ASSIGN, "7")
    assert select_values(modal, Field.ASSIGNEE) == ["erin", "alice", "bob", "carol"]
    assert "Already had it: Alice" in joined(modal["blocks"])


def test_pto_modal_names_the_reps_time_zone() -> None:
    modal = pto_modal("alice", CONFIG, date(2026, 11, 23))
    assert_safe_view(modal)
    assert (modal["callback_id"], modal["private_metadata"]) == (Modal.PTO, "alice")
    pickers = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert set(pickers) == {Field.PTO_START, Field.PTO_END}
    assert all(p["type"] == "datepicker" and p["initial_date"] == "2026-11-23" for p in pickers.values())
    assert "Europe/Berlin" in joined(modal["blocks"])


def test_capacity_modal_is_a_whole_number_from_0_to_200() -> None:
    modal = capacity_modal("erin", CONFIG, current=7, load=3)
    assert_safe_view(modal)
    assert (modal["callback_id"], modal["private_metadata"]) == (Modal.CAPACITY, "erin")
    [block] = [b for b in modal["blocks"] if b["type"] == "input"]
    assert block["block_id"] == block["element"]["action_id"] == Field.CAPACITY
    assert block["element"] == {
        "type": "number_input",
        "action_id": Field.CAPACITY,
        "is_decimal_allowed": False,
        "initial_value": "7",
        "min_value": "0",
        "max_value": "200",
    }
    assert "*3* open leads" in joined(modal["blocks"]) and "default capacity is 5" in joined(modal["blocks"])
    assert capacity_modal("erin", CONFIG, current=500, load=0)["blocks"][1]["element"]["initial_value"] == "200"


# --- App Home and status -------------------------------------------------------------------------------


def runtime(
    rep_id: str, *, pto: tuple[Window, ...] = (), capacity: int | None = None, paused: bool = False
) -> RepRuntime:
    records = tuple(
        PtoRecord(id=i, rep_id=rep_id, window=w, set_by=rep_id, set_at=NOW, cleared_by=None, cleared_at=None)
        for i, w in enumerate(pto)
    )
    return RepRuntime(
        rep_id=rep_id,
        pto=records,
        capacity_override=capacity,
        capacity_set_by=None,
        capacity_set_at=None,
        paused=paused,
        paused_set_by=None,
        paused_set_at=None,
    )


def berlin(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=CONFIG.reps["alice"].tz)


def test_rep_status_names_the_first_reason_no_lead_arrives() -> None:
    alice = CONFIG.reps["alice"]
    assert rep_status(alice, None, 3, NOW) == "🟢 available · 3/20 open"
    assert rep_status(alice, runtime("alice", capacity=3), 3, NOW) == "⛔ at capacity · 3/3 open"
    assert (
        rep_status(alice, runtime("alice", paused=True), 0, NOW)
        == "⏸️ paused (`/capacity resume` to take leads) · 0/20 open"
    )
    on_pto = runtime("alice", pto=(Window(berlin(22), berlin(26)),))
    assert rep_status(alice, on_pto, 0, NOW) == "🌴 on PTO until Nov 25 · 0/20 open"
    soon = runtime("alice", pto=(Window(berlin(30), berlin(30, 13)),))
    assert rep_status(alice, soon, 1, NOW) == "🟢 available · 1/20 open · PTO from Mon Nov 30"
    evening = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # 19:00 in Berlin
    back = slack_date(berlin(24, 9))
    assert rep_status(alice, None, 0, evening) == f"🌙 off hours, back {back} · 0/20 open"
    assert rep_status(CONFIG.reps["dave"], None, 0, NOW) == "⚪ inactive"


def test_rep_home_shows_status_settings_offers_and_claims() -> None:
    offers = tuple((make_offer(id=200 + i, lead_id=300 + i), make_view(make_record(id=300 + i))) for i in range(12))
    claimed = tuple(make_record(id=400 + i, state=LeadState.CLAIMED, claimed_at=NOW) for i in range(3))
    data = HomeData(
        person_id="alice",
        runtimes={"alice": runtime("alice", capacity=8)},
        loads={"alice": 2},
        offers=offers,
        claimed=claimed,
    )
    home = home_view(data, CONFIG, NOW)
    assert_safe_view(home)
    assert home["type"] == "home" and home["blocks"][0]["text"]["text"] == "Hi Alice"
    body = joined(home["blocks"])
    assert "*Your status:* 🟢 available · 2/8 open" in body
    assert "*Open offers (12)*" in body and "+2 more: use /leads" in body and "*Recently claimed*" in body
    ids = [e["action_id"] for e in buttons(home["blocks"])]
    assert ids[:3] == [Action.HOME_PTO, Action.HOME_CAPACITY, Action.HOME_REFRESH]
    assert ids[3:] == [Action.ACCEPT, Action.REASSIGN] * 10
    assert "Your teams" not in body


def test_manager_home_shows_team_availability_and_waiting_leads_with_take() -> None:
    waiting = tuple(make_record(id=500 + i, state=LeadState.ESCALATED, offer_id=None) for i in range(14))
    data = HomeData(person_id="hana", loads={"erin": 5}, unclaimed=waiting)
    home = home_view(data, CONFIG, NOW)
    assert_safe_view(home)
    body = joined(home["blocks"])
    # Hana heads Maria, so both teams are hers; she is not a rep, so only Refresh up top.
    assert "*EMEA* · <@UMARIA1>" in body and "*Inside* · <@UHANA01>" in body
    assert "• <@UERIN01> — ⛔ at capacity · 5/5 open" in body and "• <@UDAVE01> — ⚪ inactive" in body
    assert "*Needs you: escalated or past its SLA (14)*" in body and "+4 more" in body
    assert "within their SLA" not in body
    assert "waiting for a manager, waiting 10 minutes" in body
    ids = [(e["action_id"], e.get("value")) for e in buttons(home["blocks"])]
    assert ids[0] == (Action.HOME_REFRESH, None)
    assert ids[1:3] == [(Action.TAKE, "500"), (Action.ASSIGN, "500")]
    assert "Your status" not in body


def test_manager_home_puts_late_leads_apart_from_those_within_their_sla() -> None:
    late = tuple(make_record(id=500 + i, state=LeadState.ESCALATED, offer_id=None) for i in range(2))
    queued = (make_record(id=510, state=LeadState.QUEUED, offer_id=None),)
    offered = tuple(make_record(id=600 + i, state=LeadState.ASSIGNED) for i in range(7))
    home = home_view(HomeData(person_id="hana", unclaimed=late + offered + queued), CONFIG, NOW)
    assert_safe_view(home)
    body = joined(home["blocks"])
    assert "*Needs you: escalated or past its SLA (3)*" in body
    assert "*Offered, within their SLA (7)*" in body and "+2 more" in body
    assert body.index("Needs you") < body.index("within their SLA")
    # Only the late ones carry Take and Assign: the rest are still with their rep.
    values = {e.get("value") for e in buttons(home["blocks"]) if e["action_id"] == Action.TAKE}
    assert values == {"500", "501", "510"}


def test_home_for_someone_not_in_the_config_says_so() -> None:
    home = home_view(HomeData(person_id="U0STRANGER"), CONFIG, NOW)
    assert_safe_view(home)
    assert home["blocks"][0]["text"]["text"] == "Welcome to Leadrelay"
    assert "not set up in Leadrelay" in joined(home["blocks"])
    assert [e["action_id"] for e in buttons(home["blocks"])] == [Action.HOME_REFRESH]


def test_a_big_manager_home_stays_within_100_blocks() -> None:
    many = "\n".join(f"  - {{id: r{i}, name: Rep {i}, slack_id: UR{i:04d}}}" for i in range(300))
    teams = "\n".join(
        f"  - {{id: t{t}, members: [{', '.join(f'r{i}' for i in range(t * 30, t * 30 + 30))}], manager: boss}}"
        for t in range(10)
    )
    config = parse_config(
        f"managers:\n  - {{id: boss, name: Boss, slack_id: UBOSS01}}\nreps:\n{many}\nteams:\n{teams}\n"
        "sla:\n  - {name: any, within: 1h}\nfallback: {team: t0}\n"
    )
    waiting = tuple(make_record(id=600 + i, team_id="t1", state=LeadState.QUEUED) for i in range(50))
    home = home_view(HomeData(person_id="boss", unclaimed=waiting), config, NOW)
    assert_safe_view(home)
    assert len(home["blocks"]) <= 100


# --- properties ----------------------------------------------------------------------------------------

NASTY = st.sampled_from(
    [
        "<!channel>",
        "<!here|here>",
        "<@U123>",
        "<#C123>",
        "<https://evil.example|click>",
        "&amp;",
        "&lt;",
        "&",
        ">quote",
        "*bold* _it_ `code`",
        "\u202eevil",
        "a\nb\r\nc",
        "\x00",
        "@here",
        ":smile:",
        "😀" * 80,
    ]
)
TEXT = st.one_of(st.none(), NASTY, st.text(max_size=200), st.text(alphabet="<>&!@|^;amp \n", max_size=40))
STRING = st.one_of(NASTY, st.text(max_size=200))
EXTRA = st.dictionaries(
    STRING,
    st.one_of(STRING, st.integers(-(10**12), 10**12), st.floats(allow_nan=True), st.booleans()),
    max_size=14,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lead=st.builds(
        Lead,
        email=TEXT,
        first_name=TEXT,
        last_name=TEXT,
        full_name=TEXT,
        company=TEXT,
        title=TEXT,
        phone=TEXT,
        country=TEXT,
        employees=st.one_of(st.none(), st.integers(-5, 10**9)),
        industry=TEXT,
        source=TEXT,
        intent=TEXT,
        score=st.one_of(st.none(), st.floats()),
        extra=EXTRA,
    ),
    summary=STRING,
    reason=STRING,
    note=TEXT,
    facts=st.dictionaries(st.sampled_from(["segment", "region", "country"]), STRING),
)
def test_no_lead_content_breaks_block_kit_or_leaks_markup(
    lead: Lead, summary: str, reason: str, note: str | None, facts: dict[str, str]
) -> None:
    record = make_record(lead, facts=facts, state=LeadState.ESCALATED, offer_id=None)
    offer = make_offer(summary=summary, sla=summary or None)
    gone = ended(offer, EndReason.REASSIGNED)
    view = make_view(record, (gone,), (audit(31, "reassigned", "maria", reason, {"note": note}),))
    headline = dm.offer_headline(view, gone, CONFIG, "alice", NOW)
    for rendered in (
        dm.offer_dm(view, offer, CONFIG, NOW),
        dm.offer_closed(view, gone, CONFIG, headline=headline, now=NOW),
        dm.reminder(offer, view, CONFIG, NOW),
        channel.thread_note(view, CONFIG, "reassigned", NOW),
        channel.escalation(view, CONFIG, manager_id="maria", level=0, ping=1, now=NOW),
        channel.escalation_resolved(view, CONFIG, NOW),
        channel.backlog_digest([view], CONFIG, NOW),
        *channel.backlog_digest_details([view], CONFIG, NOW),
        lists.leads_list([(offer, view)], [view], CONFIG, NOW),
    ):
        assert_safe_message(rendered)
    assert_safe_view(reassign_modal(offer, view, CONFIG))
    assert_safe_view(assign_modal(view, CONFIG))
    assert_safe_view(home_view(HomeData(person_id="maria", offers=((offer, view),), unclaimed=(record,)), CONFIG, NOW))
