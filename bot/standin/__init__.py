"""A local, stateful stand-in of the Slack Web API for tests and ``leadrelay demo``.

See ``bot.standin.server`` for the server and its observation API, ``bot.standin.blockkit`` for the
Block Kit limit checks and ``bot.standin.payloads`` for Events API payload builders.
"""

from bot.standin.blockkit import message_block_problems, view_problems
from bot.standin.payloads import app_home_opened_envelope
from bot.standin.server import (
    ANY_METHOD,
    TRIGGER_TTL_SECONDS,
    ApiCall,
    Channel,
    EphemeralMessage,
    Faults,
    Message,
    SlackStandin,
    User,
    UserFault,
    View,
)

__all__ = [
    "ANY_METHOD",
    "TRIGGER_TTL_SECONDS",
    "ApiCall",
    "Channel",
    "EphemeralMessage",
    "Faults",
    "Message",
    "SlackStandin",
    "User",
    "UserFault",
    "View",
    "app_home_opened_envelope",
    "message_block_problems",
    "view_problems",
]
