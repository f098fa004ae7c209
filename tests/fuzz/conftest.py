"""The fuzz tests run against the end-to-end stack of `tests/bot` (real Bolt app, stand-in, SQLite)."""

from tests.bot.conftest import stack

__all__ = ["stack"]
