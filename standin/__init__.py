"""A local, stateful stand-in of the Slack Web API for the tests, the benches and ``leadrelay demo``.

It is not the bot: the product never imports it, except the demo entry point (``bot.demo``).

``standin.server`` holds ``SlackStandin``, its scene-setting and observation API; ``standin.endpoint``
serves ``/api/{method}`` (tokens, call faults, recorded calls) over the Web API families
``standin.chat``, ``standin.conversations``, ``standin.users``, ``standin.views`` and ``standin.files``
(the external upload that ``files_upload_v2`` uses), which share the
state in ``standin.workspace`` and read requests with ``standin.arguments``. ``standin.faults`` is
what a test can inject, ``standin.model`` the values it observes, ``standin.blockkit`` the Block Kit
limit checks, ``standin.payloads`` the Events API payload builders and ``standin.driver`` the signed
request driver that plays Slack towards the bot.
"""

from standin.blockkit import message_block_problems, view_problems
from standin.faults import ANY_METHOD, Faults
from standin.model import ApiCall, Channel, EphemeralMessage, Message, User, UserFault, View
from standin.payloads import app_home_opened_envelope
from standin.server import SlackStandin
from standin.views import TRIGGER_TTL_SECONDS

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
