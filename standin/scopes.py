"""The OAuth scope each Web API method the stand-in serves needs from a bot token, as Slack documents it.

Methods that need none (``auth.test``, ``views.*``, ``chat.getPermalink``, ``apps.connections.open``)
are absent. Where Slack asks a different scope per conversation type, the one for public channels is
given (``conversations.history`` needs ``im:history`` for a DM, for instance): the stand-in checks
only what a test takes away (``Faults.revoke_scope``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["REQUIRED_SCOPES"]

REQUIRED_SCOPES: Final[Mapping[str, str]] = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.open": "im:write",
    "conversations.join": "channels:join",
    "conversations.info": "channels:read",
    "conversations.members": "channels:read",
    "conversations.history": "channels:history",
    "conversations.replies": "channels:history",
    "users.info": "users:read",
    "users.list": "users:read",
    "users.lookupByEmail": "users:read.email",
    "usergroups.users.list": "usergroups:read",
}
