"""`POST /leads` over a real socket, sent the way form tools and proxies send: in many small writes.

Test clients usually write a request in one go; real senders do not. These tests write raw HTTP/1.1
with asyncio streams, a few bytes at a time with pauses between, so the server sees the body arrive
in pieces, with `Content-Length` and with `Transfer-Encoding: chunked`.
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from bot.intake import MAX_BODY, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from storage.tables import leads
from tests.bot.harness import INTAKE_TOKEN, Stack

PIECE = 7  # bytes per write: splits the JSON mid-token
GAP = 0.002  # seconds between writes: long enough for each piece to arrive on its own


async def send_in_pieces(base: str, head: dict[str, str], body: bytes, *, chunked: bool) -> tuple[int, bytes]:
    """POST `body` to /leads in PIECE-byte writes with GAP pauses; return (status, response body)."""
    url = urlsplit(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(len(body))}
        headers = {"Host": url.netloc, "Content-Type": "application/json", "Connection": "close", **framing, **head}
        writer.write(b"POST /leads HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode())
        writer.write(b"\r\n")
        for start in range(0, len(body), PIECE):
            piece = body[start : start + PIECE]
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
            await asyncio.sleep(GAP)
        if chunked:
            writer.write(b"0\r\n\r\n")
        await writer.drain()
        response = await reader.read()
    finally:
        writer.close()
    status_line, _, rest = response.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


async def stored(stack: Stack, external_id: str) -> int:
    async with stack.service.db.read() as conn:
        count = await conn.scalar(select(func.count()).select_from(leads).where(leads.c.external_id == external_id))
    return int(count or 0)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("auth", ["bearer", "signed"])
async def test_a_lead_written_in_many_pieces_is_accepted_and_stored_once(
    stack_on_each_db: Stack, chunked: bool, auth: str
) -> None:
    stack = stack_on_each_db
    for n in range(3):
        external_id = f"pieces-{auth}-{chunked}-{n}"
        body = json.dumps({"email": f"lead{n}@shop.com", "external_id": external_id, "notes": "x" * 200}).encode()
        now = int(time.time())
        head = (
            {"Authorization": f"Bearer {INTAKE_TOKEN}"}
            if auth == "bearer"
            else {TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: sign(INTAKE_TOKEN, now, body)}
        )
        status, answer = await send_in_pieces(stack.base, head, body, chunked=chunked)
        assert status == 202, answer
        assert json.loads(answer)["lead_id"] > 0
        assert await stored(stack, external_id) == 1


async def test_a_chunked_body_over_the_limit_is_refused_before_it_ends(stack: Stack) -> None:
    url = urlsplit(stack.base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    head = (
        "POST /leads HTTP/1.1\r\n"
        f"Host: {url.netloc}\r\nAuthorization: Bearer {INTAKE_TOKEN}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    writer.write(head.encode())
    piece = b'{"email": "a@b.com", "notes": "' + b"x" * 16_000
    sent = 0
    try:
        # Never finish the body: the server must answer once it has seen more than the limit.
        while sent <= MAX_BODY + 2 * len(piece):
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            try:
                await writer.drain()
            except ConnectionError:
                break  # the server answered and closed: it stopped reading, as it should
            sent += len(piece)
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    finally:
        writer.close()
    assert status_line.split()[1] == b"413"
    async with stack.service.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(leads)) == 0
