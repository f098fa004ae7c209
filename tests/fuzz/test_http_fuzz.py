"""Schemathesis against `/openapi.json` on the running app: a real aiohttp server on loopback and a
real database (SQLite, and PostgreSQL when LEADRELAY_TEST_POSTGRES_URL is set).

Requests are generated from the served document, valid ones and deliberately invalid ones, and sent
with the intake token. Whatever is sent: no 5xx, no traceback or error in the log, the server still
answers afterwards, and every lead answered 202 is stored exactly once (and nothing else is).

The budget is `LEADRELAY_FUZZ_EXAMPLES` (default small, so `make test` stays quick; `make fuzz` runs
1,000).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from sqlalchemy import select

from storage.tables import leads
from tests.bot.harness import INTAKE_TOKEN, Stack, running_stack
from tests.storage.conftest import db_url, pg_url  # noqa: F401 - fixtures: SQLite, and PostgreSQL when set

EXAMPLES = int(os.environ.get("LEADRELAY_FUZZ_EXAMPLES", "25"))
_T = TypeVar("_T")


class ServerThread:
    """The test stack (`tests.bot.harness.running_stack`) on an event loop of its own thread, so that
    Schemathesis can call it synchronously. Log records at ERROR or with a traceback are kept."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self._tmp_path, self._database_url = tmp_path, database_url
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self.trouble: list[logging.LogRecord] = []
        self.stack: Stack

    async def _main(self) -> None:
        async with running_stack(self._tmp_path, database_url=self._database_url) as stack:
            self.stack, self._loop, self._stop = stack, asyncio.get_running_loop(), asyncio.Event()
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> ServerThread:
        server = self

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.levelno >= logging.ERROR or record.exc_info:
                    server.trouble.append(record)

        self._handler = Keep(logging.DEBUG)
        logging.getLogger().addHandler(self._handler)
        self._thread.start()
        assert self._ready.wait(timeout=30), "the server did not start"
        return self

    def __exit__(self, *_exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)
        logging.getLogger().removeHandler(self._handler)

    def run(self, work: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=30)


@pytest.fixture
def server(tmp_path: Path, db_url: str) -> Iterator[ServerThread]:  # noqa: F811
    with ServerThread(tmp_path, db_url) as running:
        yield running


async def stored_lead_ids(stack: Stack) -> list[int]:
    async with stack.service.db.read() as conn:
        return list((await conn.scalars(select(leads.c.id))).all())


def test_no_generated_request_gets_a_5xx_and_every_accepted_lead_is_stored_once(server: ServerThread) -> None:
    base = server.stack.base
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    cases = schema.as_strategy(generation_mode=GenerationMode.POSITIVE) | schema.as_strategy(
        generation_mode=GenerationMode.NEGATIVE
    )
    accepted: list[int] = []
    repeated: list[int] = []
    session = requests.Session()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def one(case: schemathesis.Case) -> None:
        response = case.call(base_url=base, session=session, headers={"Authorization": f"Bearer {INTAKE_TOKEN}"})
        assert response.status_code < 500, (case.method, case.path, case.body, response.text)
        if case.path == "/leads" and response.status_code in (200, 202):
            (accepted if response.status_code == 202 else repeated).append(response.json()["lead_id"])

    one()
    assert not server.trouble, [record.getMessage() for record in server.trouble]
    assert session.get(f"{base}/healthz", timeout=10).status_code == 200
    stored = server.run(stored_lead_ids(server.stack))
    assert sorted(accepted) == sorted(stored)  # each 202 is one row, and no row came without a 202
    assert set(repeated) <= set(accepted)


def test_the_count_query_sees_what_intake_stores(server: ServerThread) -> None:
    """The harness check above must be able to fail: a lead accepted over HTTP shows up in the count."""
    response = requests.post(
        f"{server.stack.base}/leads",
        json={"email": "a@b.com"},
        headers={"Authorization": f"Bearer {INTAKE_TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 202
    assert server.run(stored_lead_ids(server.stack)) == [response.json()["lead_id"]]
