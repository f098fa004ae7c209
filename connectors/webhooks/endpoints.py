"""The configured endpoints with their secrets, read from the environment when the service is built.

A secret never sits in the YAML file: `webhooks[].secret_env` names the variable that holds it, a
`whsec_` string (base64 after the prefix) as `leadrelay webhooks secret` prints and the Standard
Webhooks libraries take. A variable that is unset or not such a secret stops the build with a
`ConfigError` naming it, not the first delivery.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from standardwebhooks import Webhook as Signer

from routing.config import ConfigError, Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # 256 bits: the HMAC-SHA256 key


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """One receiver: where it is, the secret its calls are signed with, and the events it gets."""

    url: str
    secret: str
    events: frozenset[str]


def endpoints(webhooks: Sequence[Webhook], environ: Mapping[str, str]) -> tuple[Endpoint, ...]:
    """Each configured webhook with its secret from `environ`. Raises ConfigError listing every
    endpoint whose variable is unset or holds no `whsec_` secret."""
    found: list[Endpoint] = []
    problems: list[str] = []
    for index, hook in enumerate(webhooks):
        where = f"webhooks[{index}].secret_env"
        secret = environ.get(hook.secret_env, "").strip()
        if not secret:
            problems.append(
                f"{where}: the environment variable {hook.secret_env} is not set; set it to the endpoint's "
                f"{SECRET_PREFIX} signing secret (`leadrelay webhooks secret` prints a new one)"
            )
        elif (why := invalid_secret(secret)) is not None:
            problems.append(f"{where}: {hook.secret_env} {why}")
        else:
            found.append(Endpoint(url=hook.url, secret=secret, events=hook.events))
    if problems:
        raise ConfigError(problems)
    return tuple(found)


def invalid_secret(secret: str) -> str | None:
    """Why `secret` cannot sign (a sentence), or None when it can."""
    if not secret.startswith(SECRET_PREFIX):
        return f"does not start with {SECRET_PREFIX}: use a secret as `leadrelay webhooks secret` prints it"
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        return f"is not base64 after {SECRET_PREFIX}"
    if len(key) < 24:
        return f"holds {len(key)} bytes: a signing key needs at least 24"
    Signer(secret)  # the library takes it as it will when signing
    return None


def new_secret() -> str:
    """A fresh signing secret, in the form the Standard Webhooks libraries take."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")
