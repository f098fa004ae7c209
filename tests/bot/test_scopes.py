"""The manifest asks Slack for exactly the bot scopes the product's Web API calls need.

The methods are read from the product's own source (every string literal naming a Web API method, in
`bot/`, `storage/` and `routing/`), the scopes from `SCOPES`, Slack's method → bot scope table for
every method we call. A new method without an entry here, a scope nothing needs any more, or one the
code needs but the manifest lacks, fails the test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("bot", "storage", "routing")
API_REFERENCE = ROOT.parent.parent / "shared" / "slack" / "api-ref" / "methods"  # present on the team's machines
_METHOD = re.compile(
    r"^(?:admin|apps|auth|bookmarks|bots|calls|chat|conversations|dialog|dnd|emoji|files|oauth|pins|reactions"
    r"|reminders|rtm|search|stars|team|usergroups|users|views|workflows)\.[a-zA-Z]+(?:\.[a-zA-Z]+)*$"
)

SCOPES: dict[str, frozenset[str]] = {  # bot token scopes, from each method's page on api.slack.com
    "auth.test": frozenset(),
    "chat.getPermalink": frozenset(),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "files.completeUploadExternal": frozenset({"files:write"}),  # files_upload_v2: also files.getUploadURLExternal
    # DMs with reps, and the teams' public and private channels (no group DMs)
    "conversations.history": frozenset({"im:history", "channels:history", "groups:history"}),
    "conversations.replies": frozenset({"im:history", "channels:history", "groups:history"}),
    "conversations.info": frozenset({"channels:read", "groups:read"}),
    "conversations.list": frozenset({"channels:read", "groups:read"}),
    "conversations.members": frozenset({"channels:read", "groups:read"}),
    "conversations.join": frozenset({"channels:join"}),
    "conversations.open": frozenset({"im:write"}),
    "users.info": frozenset({"users:read"}),
    # Slack grants users:read.email only together with users:read
    "users.lookupByEmail": frozenset({"users:read", "users:read.email"}),
    "views.open": frozenset(),
    "views.publish": frozenset(),
    "views.update": frozenset(),
    "views.push": frozenset(),
}
FEATURE_SCOPES = frozenset({"commands"})  # the manifest's slash commands


def methods_called() -> set[str]:
    """Every Web API method named by a string literal in the product's source."""
    known = {path.stem for path in API_REFERENCE.glob("*.json")} | set(SCOPES)
    found: set[str] = set()
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                value = node.value if isinstance(node, ast.Constant) else None
                if isinstance(value, str) and (value in known or _METHOD.match(value)):
                    found.add(value)
    return found


def test_every_method_the_product_calls_has_its_scopes_in_the_table() -> None:
    called = methods_called()
    assert {"chat.postMessage", "auth.test", "users.lookupByEmail"} <= called  # the scan sees the sender
    assert called - set(SCOPES) == set(), "add the new method's bot scopes to SCOPES"


def test_the_manifest_asks_for_exactly_the_scopes_the_code_needs() -> None:
    needed = set(FEATURE_SCOPES)
    for method in methods_called():
        needed |= SCOPES[method]
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed
