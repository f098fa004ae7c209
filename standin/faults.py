"""Failures to inject into the Slack stand-in: rate limits, server errors, timeouts, failing users, a
token Slack no longer accepts, and scopes taken away."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal, get_args

from standin.model import JsonDict, UserFault
from standin.scopes import REQUIRED_SCOPES

__all__ = ["ANY_METHOD", "AUTH_ERRORS", "CallFault", "Faults"]

ANY_METHOD: Final = "*"
"""Pass as the method of a call fault to make it match every method."""

AUTH_ERRORS: Final = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "team_access_not_granted"}
)
"""What Slack answers every call with a token it no longer accepts (``Faults.auth_error``)."""


@dataclass(slots=True, kw_only=True)
class CallFault:
    """A pending call fault: how the next ``remaining`` matching calls are answered."""

    kind: Literal["ratelimited", "server_error", "timeout", "error"]
    method: str
    remaining: int
    error: str = ""
    retry_after: int = 0
    status: int = 500
    delay: float = 0.0
    processed: bool = False


class Faults:
    """Failures to inject into the stand-in.

    Call faults (``rate_limit``, ``server_error``, ``error``, ``timeout``) apply to the next ``times`` calls of
    ``method`` (or of any method with ``ANY_METHOD``) and then disappear. They are consumed in the
    order they were added: a call takes the oldest pending fault that matches it, so
    ``rate_limit("chat.postMessage"); server_error("chat.postMessage")`` makes the first post
    answer 429 and the second 500. A call fault applies after authentication succeeded.

    User faults (``user_error``) stay until cleared and make every post to that user (chat.postMessage
    to their id or DM, chat.postEphemeral to them, conversations.open with them) fail with the code.

    Token faults stay until cleared too: ``auth_error`` makes every call with a bot token answer a code
    such as ``token_revoked`` (auth.test included), before any call fault; ``revoke_scope`` makes every
    method needing the scope (``standin.scopes``) answer ``missing_scope`` with ``needed`` and
    ``provided``, and drops it from the ``X-OAuth-Scopes`` header every answer carries.
    """

    def __init__(self, methods: Iterable[str]) -> None:
        self._methods = frozenset(methods)
        self._calls: list[CallFault] = []
        self._users: dict[str, UserFault] = {}
        self._auth_error: str | None = None
        self._revoked: set[str] = set()

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer HTTP 429 ``{"ok": false, "error": "ratelimited"}`` with ``Retry-After: retry_after``."""
        if retry_after < 0:
            raise ValueError(f"retry_after must be >= 0 seconds, got {retry_after}")
        self._add(CallFault(kind="ratelimited", method=method, remaining=times, retry_after=retry_after))

    def server_error(self, method: str, *, times: int = 1, status: int = 500) -> None:
        """Answer HTTP ``status`` (5xx) without carrying the call out."""
        if not 500 <= status <= 599:
            raise ValueError(f"status must be a 5xx code, got {status}")
        self._add(CallFault(kind="server_error", method=method, remaining=times, status=status))

    def error(self, method: str, code: str, *, times: int = 1) -> None:
        """Answer HTTP 200 ``{"ok": false, "error": code}`` without carrying the call out: any error
        Slack documents for the method that the stand-in's state would not produce by itself (a
        ``restricted_action`` posting preference, say)."""
        if not code or not code.replace("_", "").isalnum():
            raise ValueError(f"error must be a Slack error code, got {code!r}")
        self._add(CallFault(kind="error", method=method, remaining=times, error=code))

    def timeout(self, method: str, *, times: int = 1, delay: float = 5.0, processed: bool = False) -> None:
        """Hold the answer for ``delay`` seconds (an ``asyncio.sleep``, so client timeouts trip).

        With ``processed=False`` the call is carried out after the delay, and only if the client is
        still waiting: a client that timed out changed nothing. With ``processed=True`` the call is
        carried out at once and only the answer is late: the ambiguous case where Slack posted the
        message but the client never learnt its ``ts``, which a sender must de-duplicate.
        Stopping the stand-in cuts the delay short.
        """
        if delay <= 0:
            raise ValueError(f"delay must be > 0 seconds, got {delay}")
        self._add(CallFault(kind="timeout", method=method, remaining=times, delay=delay, processed=processed))

    def user_error(self, user_id: str, error: UserFault) -> None:
        """Make every post to ``user_id`` fail with ``error`` until ``clear_user_error``/``clear``."""
        if error not in get_args(UserFault):
            raise ValueError(f"unsupported user error {error!r}; expected one of {get_args(UserFault)}")
        self._users[user_id] = error

    def clear_user_error(self, user_id: str) -> None:
        """Let posts to ``user_id`` succeed again."""
        self._users.pop(user_id, None)

    def auth_error(self, error: str) -> None:
        """Answer every bot-token call with ``error`` (one of ``AUTH_ERRORS``) until ``clear_auth_error``:
        a revoked, expired or invalid token, a deactivated bot user, an org that took access away."""
        if error not in AUTH_ERRORS:
            raise ValueError(f"unsupported auth error {error!r}; expected one of {sorted(AUTH_ERRORS)}")
        self._auth_error = error

    def clear_auth_error(self) -> None:
        """The token works again (the app was reinstalled, say)."""
        self._auth_error = None

    def revoke_scope(self, scope: str) -> None:
        """Take ``scope`` from the bot token until ``grant_scope``."""
        if scope not in self.granted_scopes:
            raise ValueError(f"unknown or already revoked scope {scope!r}")
        self._revoked.add(scope)

    def grant_scope(self, scope: str) -> None:
        """Give ``scope`` back (the app was reinstalled with it)."""
        self._revoked.discard(scope)

    @property
    def granted_scopes(self) -> list[str]:
        """The bot token's scopes, sorted: every scope a served method needs, but those revoked."""
        return sorted(set(REQUIRED_SCOPES.values()) - self._revoked)

    def clear(self) -> None:
        """Drop every pending call fault, user fault and token fault."""
        self._calls.clear()
        self._users.clear()
        self._auth_error = None
        self._revoked.clear()

    def for_token(self, method: str) -> JsonDict | None:
        """The stand-in's side: the error body a bot-token call of ``method`` meets, or None."""
        if self._auth_error is not None:
            return {"ok": False, "error": self._auth_error}
        needed = REQUIRED_SCOPES.get(method)
        if needed is not None and needed in self._revoked:
            return {"ok": False, "error": "missing_scope", "needed": needed, "provided": ",".join(self.granted_scopes)}
        return None

    @property
    def pending(self) -> int:
        """How many faulty answers are still queued (a fault with ``times=3`` counts 3)."""
        return sum(fault.remaining for fault in self._calls)

    def _add(self, fault: CallFault) -> None:
        if fault.method != ANY_METHOD and fault.method not in self._methods:
            raise ValueError(f"unknown Slack method {fault.method!r}")
        if fault.remaining < 1:
            raise ValueError(f"times must be >= 1, got {fault.remaining}")
        self._calls.append(fault)

    def take(self, method: str) -> CallFault | None:
        """The stand-in's side: the fault the next call of ``method`` meets, used up by one, or None."""
        for fault in self._calls:
            if fault.method in (method, ANY_METHOD):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._calls.remove(fault)
                return fault
        return None

    def for_user(self, user_id: str) -> UserFault | None:
        """The stand-in's side: the error every post to ``user_id`` fails with, or None."""
        return self._users.get(user_id)
