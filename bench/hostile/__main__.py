"""Hostile traffic: 5,000 requests a sender, a proxy or an attacker could send, counted by answer.

    python -m bench.hostile [--requests 5000] [--database-url postgresql+asyncpg://…] [--code DIR]
    python -m bench.hostile --url http://host:port --intake-token T --signing-secret S

Without `--url` it runs `leadrelay serve` (the code in `--code`, default this checkout) against the
Slack stand-in, on a fresh SQLite file or a fresh scratch database next to `--database-url`, and
counts the tracebacks the server logged. Every request is written on a raw socket, so a case can
send its body in pieces. The mix (`CASES`) is the one issue #10 found: bodies in several writes,
garbled timestamps and signatures, text and numbers PostgreSQL cannot store, JSON bombs, unbounded
sources, and the same at `/slack/events`. A valid lead must be answered 2xx; nothing may be a 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import random
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from bench.databases import ScratchPostgres
from bench.team import inbound_team_yaml
from standin import SlackStandin

TOKEN = "xoxb-bench"
REPS = 20


@dataclass(slots=True)
class Options:
    """The secrets requests are signed with (the server's own when it is started here, else `--url`'s)
    and the pause between the writes of a body sent in pieces."""

    intake: str = "bench-intake-token-0123456789"
    secret: str = "bench-signing-secret"
    gap: float = 0.001  # seconds


OPTIONS = Options()


@dataclass(frozen=True, slots=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    pieces: int = 1  # writes the body is split into
    chunked: bool = False


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    valid: bool  # a lead a real sender could send: it must be accepted
    make: Callable[[int], Request]


def _lead(n: int, **more: object) -> dict[str, object]:
    return {"email": f"buyer{n}@company{n}.com", "company": f"Company {n}", "external_id": f"h{n}", **more}


def _bearer(body: bytes, path: str = "/leads", *, pieces: int = 1, chunked: bool = False) -> Request:
    headers = {"Authorization": f"Bearer {OPTIONS.intake}", "Content-Type": "application/json"}
    return Request(path, headers, body, pieces=pieces, chunked=chunked)


def _signed(body: bytes, *, pieces: int = 1) -> Request:
    now = int(time.time())
    digest = hmac.new(OPTIONS.intake.encode(), b"v1:%d:" % now + body, hashlib.sha256).hexdigest()
    headers = {"X-Leadrelay-Timestamp": str(now), "X-Leadrelay-Signature": f"v1={digest}"}
    return Request("/leads", {**headers, "Content-Type": "application/json"}, body, pieces=pieces)


def _slack(body: bytes, *, stamp: str | None = None, signed: bool = True) -> Request:
    now = str(int(time.time()))
    digest = hmac.new(OPTIONS.secret.encode(), f"v0:{now}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp if stamp is not None else now,
        "X-Slack-Signature": f"v0={digest}" if signed else "v0=" + "0" * 64,
    }
    return Request("/slack/events", headers, body)


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


CASES = [
    Case("lead in two writes, bearer", True, lambda n: _bearer(_json(_lead(n)), pieces=2)),
    Case("lead in two writes, signed", True, lambda n: _signed(_json(_lead(n)), pieces=2)),
    Case("lead chunked in 8 pieces", True, lambda n: _bearer(_json(_lead(n)), pieces=8, chunked=True)),
    Case("lead with NUL in a field", True, lambda n: _bearer(_json(_lead(n, company=f"Acme\x00{n}")))),
    Case("lead with a lone surrogate", True, lambda n: _bearer(_json(_lead(n, title="VP \ud800")))),
    Case("lead from a new ?source=", True, lambda n: _bearer(_json(_lead(n)), path=f"/leads?source=campaign-{n}")),
    Case("lead with NaN", False, lambda n: _bearer(_json(_lead(n, score=float("nan"))))),
    Case("?source= of 100 characters", False, lambda n: _bearer(_json(_lead(n)), path="/leads?source=" + "s" * 100)),
    Case(
        "timestamp '²', unsigned",
        False,
        lambda n: Request("/leads", {"X-Leadrelay-Timestamp": "²", "X-Leadrelay-Signature": "v1=0"}, _json(_lead(n))),
    ),
    Case(
        "timestamp of 400 digits",
        False,
        lambda n: Request(
            "/leads", {"X-Leadrelay-Timestamp": "9" * 400, "X-Leadrelay-Signature": "v1=0"}, _json(_lead(n))
        ),
    ),
    Case("30,000-deep nesting", False, lambda n: _bearer(b"[" * 30_000 + b"]" * 30_000)),
    Case("5,000-digit number", False, lambda n: _bearer(b'{"email": "a@b.com", "employees": ' + b"9" * 5000 + b"}")),
    Case("body over 64 KiB", False, lambda n: _bearer(_json(_lead(n, notes="x" * 70_000)))),
    Case("slack: payload=[], timestamp abc", False, lambda n: _slack(b"payload=[]", stamp="abc", signed=False)),
    Case("slack: payload=[], signed", False, lambda n: _slack(b"payload=[]")),
    Case("slack: signed, payload not JSON", False, lambda n: _slack(b"payload=%7Bnope")),
    Case("slack: signed, deep payload", False, lambda n: _slack(b"payload=" + b"%5B" * 30_000)),
    Case("slack: bad signature", False, lambda n: _slack(b"command=%2Fleads&user_id=U1", signed=False)),
]


async def send(base: str, request: Request) -> int:
    """Write `request` on a fresh connection, its body in `pieces` writes `OPTIONS.gap` apart; the answer's status."""
    url = urlsplit(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        framing = {"Transfer-Encoding": "chunked"} if request.chunked else {"Content-Length": str(len(request.body))}
        headers = {"Host": url.netloc, "Connection": "close", **framing, **request.headers}
        head = f"POST {request.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        writer.write(head.encode("utf-8"))
        size = -(-len(request.body) // request.pieces)
        for start in range(0, len(request.body), size):
            piece = request.body[start : start + size]
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if request.chunked else piece)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            if request.pieces > 1:
                await asyncio.sleep(OPTIONS.gap)
        if request.chunked:
            writer.write(b"0\r\n\r\n")
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=30)
    finally:
        writer.close()
    return int(status_line.split()[1]) if status_line else 0


async def fire(base: str, total: int, concurrency: int, cases: list[Case]) -> dict[str, Counter[int]]:
    """`total` requests, `cases` in turn in a shuffled order, `concurrency` at a time."""
    plan = [(cases[i % len(cases)], i) for i in range(total)]
    random.Random(10).shuffle(plan)
    answers: dict[str, Counter[int]] = {case.name: Counter() for case in cases}
    queue = iter(plan)

    async def worker() -> None:
        for case, n in queue:
            try:
                status = await send(base, case.make(n))
            except (ConnectionError, TimeoutError, ValueError, IndexError):
                status = 0  # no answer at all
            answers[case.name][status] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return answers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def serve_and_fire(
    code: Path, database_url: str | None, total: int, concurrency: int, cases: list[Case]
) -> tuple[dict[str, Counter[int]], int, int]:
    """Run `leadrelay serve` from `code` against the stand-in and fire at it; (answers, tracebacks logged,
    bytes of /metrics afterwards)."""
    with tempfile.TemporaryDirectory() as tmp:
        scratch = ScratchPostgres(database_url, "leadrelay_hostile_") if database_url else None
        url = await scratch.make() if scratch else f"sqlite+aiosqlite:///{Path(tmp) / 'hostile.db'}"
        try:
            async with SlackStandin(tokens={TOKEN}) as standin:
                for i in range(REPS):
                    standin.add_user(f"rep{i}", id=f"UREP{i:04d}")
                config = Path(tmp) / "leadrelay.yml"
                config.write_text(inbound_team_yaml(REPS))
                port = free_port()
                env = {
                    **os.environ,
                    "PYTHONPATH": str(code),
                    "SLACK_BOT_TOKEN": TOKEN,
                    "SLACK_SIGNING_SECRET": OPTIONS.secret,
                    "LEADRELAY_INTAKE_TOKEN": OPTIONS.intake,
                    "SLACK_API_URL": standin.url.rstrip("/") + "/",
                    "DATABASE_URL": url,
                    "LEADRELAY_CONFIG": str(config),
                    "PORT": str(port),
                }
                log = Path(tmp) / "serve.log"
                with log.open("wb") as out:
                    server = await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-c",
                        "from bot.cli import main; main()",
                        "serve",
                        cwd=code,
                        env=env,
                        stdout=out,
                        stderr=out,
                    )
                    base = f"http://127.0.0.1:{port}"
                    try:
                        await wait_until_up(base, server)
                        answers = await fire(base, total, concurrency, cases)
                        async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as response:
                            metrics_size = len(await response.read())
                    finally:
                        server.terminate()
                        try:
                            await asyncio.wait_for(server.wait(), timeout=30)
                        except TimeoutError:
                            print("leadrelay serve did not stop within 30 s of SIGTERM; killed", file=sys.stderr)
                            server.kill()
                            await server.wait()
                tracebacks = log.read_text(errors="replace").count("Traceback (most recent call last)")
        finally:
            if scratch:
                await scratch.drop()
    return answers, tracebacks, metrics_size


async def wait_until_up(base: str, server: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if server.returncode is not None:
                raise SystemExit(f"leadrelay serve exited with {server.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/healthz") as response:
                    if response.status in (200, 503):
                        return
            await asyncio.sleep(0.1)
    raise SystemExit("leadrelay serve did not come up in 30 s")


def report(answers: dict[str, Counter[int]], where: str) -> None:
    total: Counter[str] = Counter()
    for counts in answers.values():
        for status, n in counts.items():
            total[f"{status // 100}xx" if status else "no answer"] += n
    sent = sum(total.values())
    print(f"{sent} hostile requests to {where}")
    print("by class: " + ", ".join(f"{name} {total[name]}" for name in sorted(total)))
    print(f"5xx: {total['5xx']}")
    cases = [case for case in CASES if case.name in answers]
    valid = [case for case in cases if case.valid]
    refused = sum(n for case in valid for status, n in answers[case.name].items() if not 200 <= status < 300)
    print(f"valid leads refused: {refused} of {sum(sum(answers[c.name].values()) for c in valid)}")
    width = max(len(case.name) for case in cases)
    for case in cases:
        counts = answers[case.name]
        shown = ", ".join(f"{status or 'none'}×{n}" for status, n in sorted(counts.items()))
        print(f"  {case.name:<{width}}  {'valid ' if case.valid else 'hostile'}  {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--url", help="fire at a running server instead of starting one")
    parser.add_argument(
        "--intake-token", default=OPTIONS.intake, help="with --url: the server's LEADRELAY_INTAKE_TOKEN"
    )
    parser.add_argument(
        "--signing-secret", default=OPTIONS.secret, help="with --url: the server's SLACK_SIGNING_SECRET"
    )
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[2], help="checkout to serve from")
    parser.add_argument("--database-url", help="a PostgreSQL server URL: run on a scratch database next to it")
    parser.add_argument("--case", default="", help="only the cases whose name contains this text")
    parser.add_argument("--gap", type=float, default=OPTIONS.gap, help="seconds between the pieces of a body")
    args = parser.parse_args()
    OPTIONS.intake, OPTIONS.secret = args.intake_token, args.signing_secret
    OPTIONS.gap = args.gap
    cases = [case for case in CASES if args.case in case.name]
    if args.url:
        report(asyncio.run(fire(args.url.rstrip("/"), args.requests, args.concurrency, cases)), args.url)
        return
    answers, tracebacks, metrics_size = asyncio.run(
        serve_and_fire(args.code.resolve(), args.database_url, args.requests, args.concurrency, cases)
    )
    database = "PostgreSQL" if args.database_url else "SQLite"
    report(answers, f"leadrelay serve from {args.code} on {database}")
    print(f"tracebacks in the server log: {tracebacks}; /metrics afterwards: {metrics_size:,} bytes")


if __name__ == "__main__":
    main()
