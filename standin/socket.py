"""Socket Mode's WebSocket side: the ``wss`` URL apps.connections.open hands out, served locally.

apps.connections.open (``standin.users``) answers ``invalid_auth`` for an app token the stand-in does
not know, as Slack does; for a known one it returns this endpoint's URL. A connection gets Slack's
``hello`` and is then held open (pings are answered) until the app closes it or a test calls
``drop`` (every link cut, as when Slack refreshes connections). With ``accepting`` False new
connections are refused with HTTP 503, so a dropped app cannot come back.
"""

from __future__ import annotations

import json

from aiohttp import WSMsgType, web

__all__ = ["SocketEndpoint"]

PATH = "/link/"


class SocketEndpoint:
    def __init__(self) -> None:
        self.accepting = True
        self.connections = 0
        """Connections accepted so far."""
        self._open: set[web.WebSocketResponse] = set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PATH, self._handle)

    @property
    def open_links(self) -> int:
        return len(self._open)

    async def drop(self) -> None:
        """Close every open link from Slack's side."""
        for socket in list(self._open):
            await socket.close(code=1001, message=b"refresh_requested")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if not self.accepting:
            return web.Response(status=503, text="socket mode unavailable")
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self.connections += 1
        self._open.add(socket)
        try:
            await socket.send_str(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {}}))
            async for message in socket:
                if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            self._open.discard(socket)
        return socket
