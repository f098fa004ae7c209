"""The Web API's users.*, usergroups.users.list, auth.test and apps.connections.open methods.

Each handler takes the workspace and the request's arguments and returns the fields of the ``ok``
body, or raises ``ApiError`` with the code Slack documents for the method.
"""

from __future__ import annotations

import secrets
from typing import Final

from standin.arguments import ApiError, Args, paginate
from standin.model import JsonDict, User
from standin.workspace import Handler, TokenKind, Workspace

__all__ = ["METHODS"]


def auth_test(ws: Workspace, _args: Args) -> JsonDict:
    return {
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_name,
        "user": ws.users[ws.bot_user_id].name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def apps_connections_open(ws: Workspace, _args: Args) -> JsonDict:
    # The stand-in's own Socket Mode endpoint (standin.socket) when it serves one; otherwise a URL that
    # is well-formed but deliberately unresolvable (.invalid). A bad app token never gets here: the
    # endpoint answers invalid_auth first.
    ticket = secrets.token_hex(8)
    base = ws.socket_url or "wss://wss-standin.invalid/link/"
    return {"url": f"{base}?ticket={ticket}&app_id={ws.app_id}"}


def info(ws: Workspace, args: Args) -> JsonDict:
    user = ws.known_user_or(args.required("user", "user_not_found"), "user_not_found")
    payload = _user_payload(ws, user)
    if args.flag("include_locale"):
        payload["locale"] = "en-US"
    return {"user": payload}


def list_users(ws: Workspace, args: Args) -> JsonDict:
    # No limit means everything, as the reference says Slack attempts.
    everyone = list(ws.users.values())
    users, next_cursor = paginate(everyone, args, default_limit=None, limit_error="invalid_limit")
    return {
        "members": [_user_payload(ws, user) for user in users],
        "cache_ts": int(ws.wall_clock()),
        "response_metadata": {"next_cursor": next_cursor},
    }


def lookup_by_email(ws: Workspace, args: Args) -> JsonDict:
    user = ws.user_by_email(args.required("email", "users_not_found"))
    if user is None:
        raise ApiError("users_not_found")
    return {"user": _user_payload(ws, user)}


def usergroup_members(ws: Workspace, args: Args) -> JsonDict:
    group = ws.usergroups.get(args.required("usergroup", "no_such_subteam"))
    if group is None:
        raise ApiError("no_such_subteam")
    return {"users": list(group.members)}


def _user_payload(ws: Workspace, user: User) -> JsonDict:
    """The member as the Web API shows it (users.info, users.list, users.lookupByEmail)."""
    profile: JsonDict = {
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.name,
        "display_name_normalized": user.name,
        "team": ws.team_id,
    }
    if user.email is not None:
        profile["email"] = user.email
    if user.id == ws.bot_user_id:
        profile["bot_id"] = ws.bot_id
    return {
        "id": user.id,
        "team_id": ws.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "color": "9f69e7",
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_offset": user.tz_offset,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": 0,
    }


METHODS: Final[dict[str, tuple[Handler, TokenKind]]] = {
    "auth.test": (auth_test, "bot"),
    "apps.connections.open": (apps_connections_open, "app"),
    "users.info": (info, "bot"),
    "users.list": (list_users, "bot"),
    "users.lookupByEmail": (lookup_by_email, "bot"),
    "usergroups.users.list": (usergroup_members, "bot"),
}
