"""A webhook receiver on 127.0.0.1, for the tests and ``leadrelay demo``: the other side of Leadrelay's
signed webhooks, as a customer would write it.

Every call is verified with the ``standardwebhooks`` library (the same check a receiver runs, not a
copy of its algorithm) against the endpoint's secret; a call that fails verification is answered 401
and kept in ``rejected``. A verified call is answered as the test scripted (``fail``: a status, with a
``Retry-After`` if given, for the next ``times`` calls or until ``recover``), else 204, and kept in
``calls``; those answered 2xx are in ``delivered``::

    async with WebhookReceiver(secret) as receiver:
        ...  # point `webhooks: [{url: receiver.url, ...}]` at it
        receiver.fail(503)       # down
        receiver.recover()       # up again
        [call.type for call in receiver.delivered]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from standin.loopback import Loopback


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One verified call: the `webhook-id`, the body as sent and parsed, and the status answered."""

    id: str
    timestamp: str
    signature: str
    body: dict[str, Any]
    status: int

    @property
    def type(self) -> str:
        return str(self.body["type"])


@dataclass(slots=True)
class _Script:
    status: int
    retry_after: str | None
    times: int | None  # None: until `recover`


@dataclass(slots=True)
class WebhookReceiver(Loopback):
    """A receiver at `url` (``path`` on a free port) that verifies with `secret`."""

    secret: str
    path: str = "/hooks/leadrelay"
    calls: list[Call] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # why each unverifiable call was refused
    _script: _Script | None = None
    _runner: web.AppRunner | None = None
    _url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the receiver is not started")
        return self._url

    @property
    def delivered(self) -> list[Call]:
        """The verified calls it accepted (2xx), in arrival order."""
        return [call for call in self.calls if 200 <= call.status < 300]

    def fail(self, status: int, *, retry_after: str | None = None, times: int | None = None) -> None:
        """Answer the next `times` verified calls (all of them, if None, until `recover`) with `status`."""
        self._script = _Script(status, retry_after, times)

    def recover(self) -> None:
        """Accept every call again."""
        self._script = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self.path, self._receive)
        port = await self.serve(app)
        self._url = f"http://127.0.0.1:{port}{self.path}"

    async def _receive(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = Webhook(self.secret).verify(raw, dict(request.headers))
        except WebhookVerificationError as exc:
            self.rejected.append(str(exc))
            return web.Response(status=401, text=str(exc))
        status, headers = 204, {}
        if (script := self._script) is not None:
            status = script.status
            if script.retry_after is not None:
                headers["Retry-After"] = script.retry_after
            if script.times is not None:
                script.times -= 1
                if script.times <= 0:
                    self._script = None
        self.calls.append(
            Call(
                id=request.headers["webhook-id"],
                timestamp=request.headers["webhook-timestamp"],
                signature=request.headers["webhook-signature"],
                body=body,
                status=status,
            )
        )
        return web.Response(status=status, headers=headers)
