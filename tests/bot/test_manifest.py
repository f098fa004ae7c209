"""The public Slack surface is consistent: manifest.yml is valid for Slack, every command, action,
modal and event reaches a listener, and every action a listener handles appears on some screen."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import jsonschema
import pytest
import yaml

from bot.ids import Action, Command, Modal, Shortcut
from bot.render import channel, dm, home, modals
from tests.bot.harness import STRANGER, Stack

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "data" / "manifest.schema.1.0.0.json"  # Slack's own, from slackapi/manifest-schema


def manifest() -> dict[str, object]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_slacks_schema() -> None:
    jsonschema.validate(manifest(), json.loads(SCHEMA.read_text()))


def test_manifest_declares_exactly_our_commands_and_events() -> None:
    spec = manifest()
    assert {c["command"] for c in spec["features"]["slash_commands"]} == {c.value for c in Command}  # type: ignore[index]
    assert {s["callback_id"] for s in spec["features"]["shortcuts"]} == {s.value for s in Shortcut}  # type: ignore[index]
    assert spec["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]  # type: ignore[index]
    assert spec["settings"]["interactivity"]["is_enabled"] is True  # type: ignore[index]


def form(payload: dict[str, object]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


@pytest.mark.parametrize("command", list(Command))
async def test_every_command_has_a_listener(stack: Stack, command: Command) -> None:
    # Bolt answers 404 to a request no listener matched; a stranger is refused politely, with 200.
    assert (await stack.slack.command(STRANGER, command.value, "")).status == 200


@pytest.mark.parametrize("shortcut", list(Shortcut))
async def test_every_shortcut_has_a_listener(stack: Stack, shortcut: Shortcut) -> None:
    assert (await stack.slack.shortcut(STRANGER, shortcut.value)).status == 200


@pytest.mark.parametrize("action", list(Action))
async def test_every_action_has_a_listener(stack: Stack, action: Action) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": STRANGER},
        "trigger_id": stack.standin.issue_trigger_id(STRANGER),
        "actions": [{"type": "button", "action_id": action.value, "block_id": "b", "value": "1"}],
    }
    assert (await stack.slack.post(form(payload), "application/x-www-form-urlencoded")).status == 200


@pytest.mark.parametrize("modal", list(Modal))
async def test_every_modal_has_a_listener(stack: Stack, modal: Modal) -> None:
    payload = {
        "type": "view_submission",
        "user": {"id": STRANGER},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": modal.value,
            "private_metadata": "1",
            "state": {"values": {}},
        },
    }
    assert (await stack.slack.post(form(payload), "application/x-www-form-urlencoded")).status == 200


async def test_app_home_opened_has_a_listener(stack: Stack) -> None:
    assert (await stack.slack.event(stack.standin.app_home_opened_event(STRANGER)["event"])).status == 200


async def test_every_action_appears_on_some_screen(stack: Stack) -> None:
    """No listener is unreachable: each action id is on a message, modal or Home a person can see."""
    await stack.intake({"email": "a@shop.com", "company": "Shop", "external_id": "1"})
    service, now = stack.service, stack.clock.now()
    view = await service.views.lead_view(1)
    offer = view.offers[0]
    surfaces = [
        dm.offer_dm(view, offer, service.config, now).blocks,
        channel.escalation(view, service.config, manager_id="maria", level=0, ping=0, now=now).blocks,
        home.home_view(home.HomeData(person_id="alice", offers=((offer, view),)), service.config, now)["blocks"],
        modals.reassign_modal(offer, view, service.config)["blocks"],
    ]
    seen = {
        element.get("action_id")
        for surface in surfaces
        for block in surface
        for element in [*block.get("elements", []), block.get("accessory") or {}, block.get("element") or {}]
    }
    assert {action.value for action in Action} <= seen, {a.value for a in Action} - seen
