"""Settings from the environment, validated at start-up with messages that say what to set and where."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///leadrelay.db"
DEFAULT_CONFIG = "leadrelay.yml"
DEFAULT_PORT = 3000
MIN_INTAKE_TOKEN = 16

_WHERE = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…) from api.slack.com/apps → your app → OAuth & Permissions",
    "SLACK_SIGNING_SECRET": "the Signing Secret from api.slack.com/apps → your app → Basic Information → "
    "App Credentials",
    "SLACK_APP_TOKEN": "an App-Level Token (xapp-…) with connections:write, from api.slack.com/apps → "
    "your app → Basic Information → App-Level Tokens (only needed for --socket-mode)",
    "LEADRELAY_INTAKE_TOKEN": f"a random secret of at least {MIN_INTAKE_TOKEN} characters that form tools "
    "send as 'Authorization: Bearer …'; make one with: "
    "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
}


class SettingsError(ValueError):
    """One line per problem, each naming the variable and what to do about it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("cannot start:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    bot_token: str
    signing_secret: str
    app_token: str | None
    api_url: str | None  # Slack Web API base URL; tests and the demo point it at the stand-in
    database_url: str
    config_path: str
    intake_token: str
    port: int

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, socket_mode: bool = False) -> Settings:
        """Read and check every variable; raise SettingsError listing all problems at once."""
        problems: list[str] = []

        def required(name: str, prefix: str | None = None) -> str:
            return _required(env, name, prefix, problems)

        bot_token = required("SLACK_BOT_TOKEN", "xoxb-")
        signing_secret = required("SLACK_SIGNING_SECRET")
        app_token = required("SLACK_APP_TOKEN", "xapp-") if socket_mode else env.get("SLACK_APP_TOKEN") or None
        intake_token = required("LEADRELAY_INTAKE_TOKEN")
        if intake_token and len(intake_token) < MIN_INTAKE_TOKEN:
            problems.append(f"LEADRELAY_INTAKE_TOKEN is too short: use {_WHERE['LEADRELAY_INTAKE_TOKEN']}")
        api_url = _api_url(env, problems)
        port_text = env.get("PORT", str(DEFAULT_PORT))
        port = int(port_text) if port_text.isdigit() else -1
        if not 0 <= port <= 65535:
            problems.append(f"PORT must be a number from 0 to 65535, got {port_text!r}")
        if problems:
            raise SettingsError(problems)
        return cls(
            bot_token=bot_token,
            signing_secret=signing_secret,
            app_token=app_token,
            api_url=api_url,
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            config_path=env.get("LEADRELAY_CONFIG") or DEFAULT_CONFIG,
            intake_token=intake_token,
            port=port,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SlackAccess:
    """Just what calling the Web API takes, for commands that only ask Slack (`check --slack`, `init
    --from-slack`): the bot token and the API's base URL (None: Slack's own)."""

    bot_token: str
    api_url: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SlackAccess:
        """Raise SettingsError naming what to set when the token is missing or malformed."""
        problems: list[str] = []
        bot_token = _required(env, "SLACK_BOT_TOKEN", "xoxb-", problems)
        api_url = _api_url(env, problems)
        if problems:
            raise SettingsError(problems)
        return cls(bot_token=bot_token, api_url=api_url)


def _required(env: Mapping[str, str], name: str, prefix: str | None, problems: list[str]) -> str:
    """The variable's value; a line in `problems` saying where to get it when it is unset or malformed."""
    value = env.get(name, "").strip()
    if not value:
        problems.append(f"{name} is not set: set it to {_WHERE[name]}")
    elif prefix and not value.startswith(prefix):
        problems.append(f"{name} should start with {prefix!r}: use {_WHERE[name]}")
    return value


def _api_url(env: Mapping[str, str], problems: list[str]) -> str | None:
    """SLACK_API_URL, ending in "/" (slack_sdk joins method names onto it); None when unset."""
    api_url = env.get("SLACK_API_URL") or None
    if api_url and not api_url.startswith(("http://", "https://")):
        problems.append("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/")
        return None
    return api_url if api_url is None or api_url.endswith("/") else api_url + "/"
