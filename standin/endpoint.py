"""The stand-in's HTTP side: ``/api/{method}`` routed to the Web API families, as Slack answers it.

``WebApi`` reads the arguments, checks the token (``not_authed``, ``invalid_auth``,
``not_allowed_token_type``; ``unknown_method`` first) and what the token may do (an injected token
fault such as ``token_revoked``, or ``missing_scope`` for a revoked scope), applies the next injected call fault
(a real 429 with ``Retry-After``, a 5xx, or an answer held back) and records every request as an
``ApiCall``. API errors are HTTP 200 with ``{"ok": false, "error": ...}``, as Slack sends them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Final

from aiohttp import web

from standin import chat, conversations, directory, files, users, views
from standin.arguments import ApiError, Args, read_args, request_token
from standin.faults import Faults
from standin.model import ApiCall, JsonDict
from standin.workspace import Handler, TokenKind, Workspace

__all__ = ["METHODS", "WebApi"]

METHODS: Final[Mapping[str, tuple[Handler, TokenKind]]] = {
    **users.METHODS,
    **chat.METHODS,
    **conversations.METHODS,
    **views.METHODS,
    **directory.METHODS,
    **files.METHODS,
}
"""Every Web API method the stand-in serves, with the token kind it takes."""


class WebApi:
    """Serves the Web API over ``workspace`` (see the module docstring).

    ``tokens`` are the accepted tokens: ``xoxb-…`` bot tokens and ``xapp-…`` app-level tokens; a
    token of another kind, or no bot token at all, is a ValueError. ``clock`` stamps ``ApiCall.at``.
    """

    def __init__(
        self, workspace: Workspace, *, tokens: Iterable[str], faults: Faults, clock: Callable[[], float]
    ) -> None:
        self._tokens: dict[str, TokenKind] = {}
        for token in tokens:
            if token.startswith("xoxb-"):
                self._tokens[token] = "bot"
            elif token.startswith("xapp-"):
                self._tokens[token] = "app"
            else:
                raise ValueError(f"unsupported token {token[:5]!r}…: expected xoxb- or xapp-")
        if "bot" not in self._tokens.values():
            raise ValueError("at least one xoxb- bot token is required")
        self._workspace = workspace
        self._clock = clock
        self.faults = faults
        self.calls: list[ApiCall] = []
        """Every request received, in arrival order."""
        self._stopping = asyncio.Event()

    def create_app(self) -> web.Application:
        """An aiohttp app serving ``/api/{method}``. Shutting it down cuts delayed answers short."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post(files.UPLOAD_PATH, files.upload(self._workspace))
        app.on_shutdown.append(self._on_shutdown)
        return app

    def cut_delays_short(self) -> None:
        """End every held-back answer (timeout faults) now: the stand-in is stopping."""
        self._stopping.set()

    async def _on_shutdown(self, _app: web.Application) -> None:
        self.cut_delays_short()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        received_at = self._clock()
        args: JsonDict = {}
        try:
            raw = await read_args(request)
            token = request_token(request, raw)
            args = {key: value for key, value in raw.items() if key != "token"}
            handler = self._authorize(method, token)
        except ApiError as error:
            return self._answer(method, args, received_at, 200, error.body())
        if self._tokens.get(token or "") == "bot" and (refused := self.faults.for_token(method)) is not None:
            return self._answer(method, args, received_at, 200, refused)

        fault = self.faults.take(method)
        if fault is None:
            return self._answer(method, args, received_at, 200, self._run(handler, args))
        if fault.kind == "ratelimited":
            body = {"ok": False, "error": "ratelimited"}
            headers = {"Retry-After": str(fault.retry_after)}
            return self._answer(method, args, received_at, 429, body, fault="ratelimited", headers=headers)
        if fault.kind == "error":
            return self._answer(method, args, received_at, 200, {"ok": False, "error": fault.error}, fault="error")
        if fault.kind == "server_error":
            code = "internal_error" if fault.status == 500 else "service_unavailable"
            body = {"ok": False, "error": code}
            return self._answer(method, args, received_at, fault.status, body, fault="server_error")

        # A timeout: record the call on arrival, so a test that saw the client give up finds it at
        # once, and settle the record if an answer does go out.
        response = self._run(handler, args) if fault.processed else None
        held = ApiCall(method=method, args=args, at=received_at, status=None, response=response, fault="timeout")
        self.calls.append(held)
        await self._pause(fault.delay)
        if _client_gone(request):
            # Nobody is waiting: with processed=False the call is dropped, and no answer goes out.
            return web.Response(status=503)
        if response is None:
            response = self._run(handler, args)
        for index, call in enumerate(self.calls):
            if call is held:
                self.calls[index] = replace(held, status=200, response=response)
        return web.json_response(response)

    def _authorize(self, method: str, token: str | None) -> Handler:
        entry = METHODS.get(method)
        if entry is None:
            raise ApiError("unknown_method")
        handler, kind = entry
        if token is None:
            raise ApiError("not_authed")
        token_kind = self._tokens.get(token)
        if token_kind is None:
            raise ApiError("invalid_auth")
        if token_kind != kind:
            raise ApiError("not_allowed_token_type")
        return handler

    def _run(self, handler: Handler, args: JsonDict) -> JsonDict:
        try:
            return {"ok": True, **handler(self._workspace, Args(args))}
        except ApiError as error:
            return error.body()

    def _answer(
        self,
        method: str,
        args: JsonDict,
        received_at: float,
        status: int,
        body: JsonDict,
        *,
        fault: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        self.calls.append(ApiCall(method=method, args=args, at=received_at, status=status, response=body, fault=fault))
        # Slack lists the token's scopes on every answer; `auth.test`'s is how a client reads them.
        scopes = {"X-OAuth-Scopes": ",".join(self.faults.granted_scopes)}
        return web.json_response(body, status=status, headers={**scopes, **(headers or {})})

    async def _pause(self, delay: float) -> None:
        # Waiting on the stop event rather than sleeping blindly lets stop() end a long delay at once
        # instead of holding the runner's shutdown.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()
