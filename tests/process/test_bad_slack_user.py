"""A rep whose Slack account is deactivated: their leads must not sit with them, and managers hear once.

Alice is deactivated in Slack (the stand-in answers `user_disabled` to any post to her); a rule
sends every German lead to her, and three arrive. Bob and Carol are her team-mates.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.process.harness import (
    BACKENDS,
    Person,
    World,
    dedup_key_of,
    eventually,
    post_lead,
    rows,
    serving,
    skip_reason,
    world,
)

ALICE, BOB, CAROL = Person("alice", "UALICE001"), Person("bob", "UBOB00001"), Person("carol", "UCAROL001")
MANAGER = Person("maria", "UMARIA001")
LEADS = [
    {"email": f"cto@firma{i}.de", "company": f"Firma {i}", "country": "DE", "external_id": f"de-{i}"} for i in range(3)
]


@asynccontextmanager
async def _alice_gone(backend: str, tmp_path: Path, sla: str) -> AsyncIterator[World]:
    async with world(
        backend,
        tmp_path,
        teams=lambda channel: {"sales": ([ALICE, BOB, CAROL], MANAGER, channel)},
        people=[ALICE, BOB, CAROL, MANAGER],
        rules=["{name: germany, when: {country: DE}, route: {rep: alice}}", "{name: everyone, route: {team: sales}}"],
        sla=sla,
        fallback_team="sales",
        escalation="{after_expiries: 3, repeat_every: 1h}",
    ) as w:
        w.standin.deactivate_user(ALICE.slack_id)
        yield w


async def _offers(w: World) -> list[tuple[int, str, str, str | None]]:
    """(lead, rep, state, end reason) of every offer, oldest first."""
    found = await rows(w.db, "SELECT lead_id, rep_id, state, end_reason FROM offers ORDER BY id")
    return [(lead, rep, state, end) for lead, rep, state, end in found]


def _offer_dms(w: World, person: Person) -> list[str]:
    return [
        key
        for m in w.standin.messages_in(person.slack_id, include_replies=False)
        if (key := dedup_key_of(m)) and key.endswith(":dm") and "lead_accept" in json.dumps(m.blocks)
    ]


async def _both(w: World) -> set[int]:
    """The leads whose offer DM reached Bob or Carol."""
    delivered = set(_offer_dms(w, BOB)) | set(_offer_dms(w, CAROL))
    found = await rows(w.db, "SELECT lead_id, dedup_key FROM outbox WHERE kind = 'offer_dm'")
    return {lead for lead, key in found if key in delivered}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_deactivated_reps_leads_are_rerouted_at_once_and_managers_hear_once(
    backend: str, tmp_path: Path
) -> None:
    """With a 1 h SLA, so expiry cannot be what moves them: each of Alice's three leads is re-routed to
    Bob or Carol as soon as Slack answers `user_disabled` (her offers end `withdrawn`, theirs are
    DMed), her failed DMs are given up rather than retried, and the managers' channel gets ONE note
    about Alice, not one per lead."""
    reason = skip_reason(backend)
    if reason:
        pytest.skip(reason)
    async with _alice_gone(backend, tmp_path, "1h") as w, serving(["serve"], w.env, tmp_path) as [serve]:
        serve.start()
        await serve.wait_healthy(w.http)
        for lead in LEADS:
            status, document = await post_lead(w.http, serve.base, lead)
            assert status == 202 and document["assignee"] == "alice", document
        await eventually(lambda: _both(w), lambda found: len(found) == len(LEADS), within=10, what="re-routed")
        await eventually(w.pending, lambda n: n == 0, within=10, what="outbox drained")

        offers = await _offers(w)
        alice = [(state, end) for _lead, rep, state, end in offers if rep == "alice"]
        assert alice == [("ended", "withdrawn")] * len(LEADS)
        assert sorted(lead for lead, rep, state, _ in offers if state == "open") == [1, 2, 3]
        assert all(rep in ("bob", "carol") for _lead, rep, state, _ in offers if state == "open")
        failed = await rows(
            w.db,
            "SELECT last_error FROM outbox WHERE address = 'alice' AND kind = 'offer_dm' AND failed_at IS NOT NULL",
        )
        assert len(failed) == len(LEADS) and all("user_disabled" in str(error) for (error,) in failed)
        posts_to_alice = [c for c in w.standin.calls_to("chat.postMessage") if c.args.get("channel") == ALICE.slack_id]
        assert len(posts_to_alice) == len(LEADS)  # one try each: a gone user is not retried
        notes = [m for m in w.standin.messages_in(w.channel) if ALICE.slack_id in m.text + json.dumps(m.blocks)]
        assert len(notes) == 1, [m.text for m in notes]
