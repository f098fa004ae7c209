"""A local, stateful stand-in of the Slack Web API for tests and ``leadrelay demo``.

See ``standin.server`` for the server and its observation API, ``standin.blockkit`` for the
Block Kit limit checks and ``standin.payloads`` for Events API payload builders.
"""

from standin.blockkit import message_block_problems, view_problems
from standin.payloads import app_home_opened_envelope
from standin.server import (
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
