"""The Web API's views.* methods: open and push modals, update a view, publish a Home tab.

Each handler takes the workspace and the request's arguments and returns the fields of the ``ok``
body, or raises ``ApiError`` with the code Slack documents for the method.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Final

from standin import blockkit
from standin.arguments import ApiError, Args, missing_argument
from standin.model import JsonDict, View, ViewType
from standin.workspace import Handler, TokenKind, Workspace

__all__ = ["MAX_MODAL_STACK", "METHODS", "TRIGGER_TTL_SECONDS", "view_payload"]

TRIGGER_TTL_SECONDS: Final = 3.0
"""A trigger id can be exchanged once, within this many seconds of the interaction that issued it."""
MAX_MODAL_STACK: Final = 3


def open_modal(ws: Workspace, args: Args) -> JsonDict:
    spec = _read_view(args, expected_type="modal")
    user_id = _exchange_trigger(ws, args)
    _check_external_id(ws, spec)
    ws.close_modals(user_id)
    view = _make_view(ws, spec, user_id=user_id, view_id=ws.new_id("V"))
    ws.views[view.id] = view
    ws.modal_stacks[user_id] = [view.id]
    return {"view": view_payload(ws, view)}


def push(ws: Workspace, args: Args) -> JsonDict:
    spec = _read_view(args, expected_type="modal")
    user_id = _exchange_trigger(ws, args)
    stack = ws.modal_stacks.get(user_id, [])
    if not stack:
        raise ApiError("not_found")
    if len(stack) >= MAX_MODAL_STACK:
        raise ApiError("push_limit_reached")
    _check_external_id(ws, spec)
    view = _make_view(
        ws,
        spec,
        user_id=user_id,
        view_id=ws.new_id("V"),
        root_view_id=stack[0],
        previous_view_id=stack[-1],
    )
    ws.views[view.id] = view
    stack.append(view.id)
    return {"view": view_payload(ws, view)}


def update(ws: Workspace, args: Args) -> JsonDict:
    view_id = args.text("view_id")
    external_id = args.text("external_id")
    if bool(view_id) == bool(external_id):
        raise ApiError("invalid_arguments", "[ERROR] exactly one of view_id or external_id is required")
    current = (
        ws.views.get(view_id) if view_id else next((v for v in ws.views.values() if v.external_id == external_id), None)
    )
    if current is None:
        raise ApiError("not_found")
    spec = _read_view(args, expected_type=current.type)
    _check_hash(args, current)
    spec.setdefault("external_id", current.external_id)  # left out: the view keeps its id
    _check_external_id(ws, spec, replacing=current.id)
    view = _make_view(
        ws,
        spec,
        user_id=current.user_id,
        view_id=current.id,
        root_view_id=current.root_view_id,
        previous_view_id=current.previous_view_id,
    )
    ws.views[view.id] = view
    return {"view": view_payload(ws, view)}


def publish(ws: Workspace, args: Args) -> JsonDict:
    user_id = args.required("user_id")
    spec = _read_view(args, expected_type="home")
    user = ws.users.get(user_id)
    if user is None or user.deleted:
        raise ApiError("invalid_arguments", "invalid `user_id`")
    current = ws.home_view(user_id)
    if current is not None:
        _check_hash(args, current)
    _check_external_id(ws, spec, replacing=None if current is None else current.id)
    # A user's Home tab keeps its view id across publishes; only the hash moves.
    view = _make_view(ws, spec, user_id=user_id, view_id=current.id if current else ws.new_id("V"))
    ws.views[view.id] = view
    ws.home_by_user[user_id] = view.id
    return {"view": view_payload(ws, view)}


def _read_view(args: Args, *, expected_type: ViewType) -> JsonDict:
    spec = args.json("view", error="invalid_arguments")
    if spec is None:
        raise missing_argument("view")
    problems = blockkit.view_problems(spec)
    if problems:
        raise ApiError("invalid_arguments", *problems)
    assert isinstance(spec, dict)  # view_problems reports anything else
    if spec["type"] != expected_type:
        raise ApiError("invalid_arguments", f"[ERROR] view type must be `{expected_type}` here")
    return spec


def _exchange_trigger(ws: Workspace, args: Args) -> str:
    trigger_id = args.text("trigger_id")
    pointer = args.text("interactivity_pointer")
    if bool(trigger_id) == bool(pointer):
        raise ApiError("invalid_arguments", "[ERROR] exactly one of trigger_id or interactivity_pointer")
    trigger = ws.triggers.get(trigger_id or pointer or "")
    if trigger is None:
        raise ApiError("invalid_trigger_id")
    if trigger.used:
        raise ApiError("exchanged_trigger_id")
    if ws.clock() - trigger.issued_at >= TRIGGER_TTL_SECONDS:
        raise ApiError("expired_trigger_id")
    trigger.used = True
    return trigger.user_id


def _check_hash(args: Args, current: View) -> None:
    expected = args.text("hash")
    if expected and expected != current.hash:
        raise ApiError("hash_conflict")


def _check_external_id(ws: Workspace, spec: Mapping[str, Any], *, replacing: str | None = None) -> None:
    external_id = spec.get("external_id")
    if external_id and any(v.external_id == external_id and v.id != replacing for v in ws.views.values()):
        raise ApiError("duplicate_external_id")


def _make_view(
    ws: Workspace,
    spec: Mapping[str, Any],
    *,
    user_id: str,
    view_id: str,
    root_view_id: str | None = None,
    previous_view_id: str | None = None,
) -> View:
    return View(
        id=view_id,
        user_id=user_id,
        type=spec["type"],
        blocks=ws.stamp_block_ids(spec["blocks"]),
        title=spec.get("title"),
        submit=spec.get("submit"),
        close=spec.get("close"),
        callback_id=spec.get("callback_id") or "",
        private_metadata=spec.get("private_metadata") or "",
        external_id=spec.get("external_id") or "",
        hash=f"{int(ws.wall_clock())}.{secrets.token_hex(4)}",
        root_view_id=root_view_id or view_id,
        previous_view_id=previous_view_id,
        clear_on_close=bool(spec.get("clear_on_close", False)),
        notify_on_close=bool(spec.get("notify_on_close", False)),
    )


def view_payload(ws: Workspace, view: View) -> JsonDict:
    """The view as the Web API shows it (views.* answers, the ``app_home_opened`` event)."""
    payload: JsonDict = {
        "id": view.id,
        "team_id": ws.team_id,
        "type": view.type,
        "blocks": view.blocks,
        "private_metadata": view.private_metadata,
        "callback_id": view.callback_id,
        "external_id": view.external_id,
        "state": {"values": {}},
        "hash": view.hash,
        "close": view.close,
        "submit": view.submit,
        "clear_on_close": view.clear_on_close,
        "notify_on_close": view.notify_on_close,
        "root_view_id": view.root_view_id,
        "previous_view_id": view.previous_view_id,
        "app_id": ws.app_id,
        "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }
    if view.title is not None:
        payload["title"] = view.title
    return payload


METHODS: Final[dict[str, tuple[Handler, TokenKind]]] = {
    "views.open": (open_modal, "bot"),
    "views.push": (push, "bot"),
    "views.update": (update, "bot"),
    "views.publish": (publish, "bot"),
}
