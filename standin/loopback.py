"""What every stand-in of another service shares: an aiohttp application served on 127.0.0.1 at a free
port for as long as an `async with` lasts."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from aiohttp import web


class Loopback:
    """A base for stand-ins: `serve(app)` from `start`, `stop`, and `async with`. Subclasses hold
    `_runner`, initially None, and define `start`."""

    _runner: web.AppRunner | None

    async def start(self) -> None:
        raise NotImplementedError

    async def serve(self, app: web.Application) -> int:
        """Serve `app` on 127.0.0.1; returns the port it got."""
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port: int = self._runner.addresses[0][1]
        return port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
