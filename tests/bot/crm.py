"""What the end-to-end CRM tests (`test_hubspot`, `test_salesforce`) share: the harness config with the
reps' emails (their CRM users are found by them), `check --crm` as a command, /healthz, the CRM outbox
rows, and a rep's click on Accept."""

from __future__ import annotations

import asyncio
import io
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.cli import main
from storage.tables import outbox
from tests.bot.harness import CONFIG_YAML, PEOPLE, Stack


def config_yaml(crm: str) -> str:
    """The harness config with the reps' emails and `crm` (the `crm:` block, and whatever else)."""
    with_emails = CONFIG_YAML
    for rep in ("alice", "bob", "carol", "dieter"):
        with_emails = with_emails.replace(f"{{id: {rep}, ", f"{{id: {rep}, email: {rep}@example.com, ")
    return with_emails + crm


async def check_crm(config: Path) -> tuple[int, str]:
    """`leadrelay check --crm`, in a thread: it calls the CRM synchronously, and a stand-in served on
    this loop must go on answering."""

    def run() -> tuple[int, str]:
        out = io.StringIO()
        with redirect_stdout(out):
            code = main(["--config", str(config), "check", "--crm"])
        return code, out.getvalue()

    return await asyncio.to_thread(run)


async def health(stack: Stack) -> tuple[int, dict[str, Any]]:
    async with stack.http.get(f"{stack.base}/healthz") as response:
        return response.status, await response.json()


async def crm_rows(stack: Stack) -> list[Any]:
    async with stack.service.db.read() as conn:
        return list(await conn.execute(select(outbox).where(outbox.c.transport == "crm").order_by(outbox.c.id)))


async def accept(stack: Stack, rep: str = "alice") -> None:
    [offer] = [m for m in stack.dms(rep) if "lead_accept" in str(m.blocks)]
    await stack.slack.click(PEOPLE[rep][0], "lead_accept", channel=offer.channel, ts=offer.ts)
    await stack.deliver()


async def bob_claims_a_lead_while_he_has_no_crm_user(stack: Stack) -> None:
    """Two form leads, claimed by alice (who has a CRM user) and bob (who has none): bob is routed and
    claims as ever, and /healthz names him, with his write held on the `crm` transport."""
    await stack.intake({"email": "one@shop.com", "company": "Shop", "external_id": "f-1"})
    await stack.intake({"email": "two@shop.com", "company": "Shop", "external_id": "f-2"})
    await stack.deliver()
    await accept(stack, "alice")
    await accept(stack, "bob")
    status, body = await health(stack)
    assert status == 503
    [problem] = [line for line in body["problems"] if line.startswith("crm")]
    assert problem.startswith("crm bob:") and "bob@example.com" in problem
    assert [(held["address"], held["transport"]) for held in body["held"]] == [("bob", "crm")]
