"""`webhooks:` in the config: each endpoint's URL, secret variable and events are checked with the rest
of the file, and every problem names its path."""

from __future__ import annotations

import pytest

from routing import ConfigError, parse_config
from routing.config import WEBHOOK_EVENTS
from tests.routing.conftest import SCENARIO_YAML


def with_webhooks(block: str) -> str:
    return f"{SCENARIO_YAML}\nwebhooks:\n{block}"


def problems_of(block: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(with_webhooks(block))
    return caught.value.problems


def test_an_endpoint_gets_every_event_unless_it_names_some() -> None:
    config = parse_config(
        with_webhooks(
            "  - {url: 'https://crm.example.com/hooks/leadrelay', secret_env: CRM_WEBHOOK_SECRET}\n"
            "  - {url: 'http://127.0.0.1:8080/in', secret_env: LOCAL_SECRET, events: [lead.claimed, lead.outcome]}\n"
        )
    )
    everything, some = config.webhooks
    assert (everything.url, everything.secret_env) == ("https://crm.example.com/hooks/leadrelay", "CRM_WEBHOOK_SECRET")
    assert everything.events == frozenset(WEBHOOK_EVENTS)
    assert some.events == {"lead.claimed", "lead.outcome"}


def test_no_webhooks_is_the_default() -> None:
    assert parse_config(SCENARIO_YAML).webhooks == ()


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (
            "  - {url: 'ftp://example.com/x', secret_env: S}\n",
            "webhooks[0].url: 'ftp://example.com/x' is not an http(s) URL of at most 2000 characters",
        ),
        ("  - {url: 'https://', secret_env: S}\n", "webhooks[0].url: 'https://' is not an http(s) URL"),
        (
            "  - {url: 'https://user:pw@example.com/x', secret_env: S}\n",
            "webhooks[0].url: no credentials in the URL",
        ),
        (
            "  - {url: 'https://example.com/x', secret_env: S, events: [lead.claimed, lead.won]}\n",
            "webhooks[0].events[1]: unknown event 'lead.won'; known: lead.received, lead.assigned",
        ),
        (
            "  - {url: 'https://example.com/x', secret_env: S}\n  - {url: 'https://example.com/x', secret_env: T}\n",
            "webhooks[1].url: 'https://example.com/x' is listed twice",
        ),
        (
            "  - {url: 'https://example.com/x', secret_env: 'whsec_abc=='}\n",
            "webhooks[0].secret_env: name the environment variable",
        ),
        ("  - {url: 'https://example.com/x'}\n", "webhooks[0].secret_env: "),
        ("  - {url: 'https://example.com/x', secret_env: S, events: []}\n", "webhooks[0].events: "),
    ],
)
def test_a_bad_endpoint_is_named_with_its_path(block: str, problem: str) -> None:
    found = problems_of(block)
    assert any(line.startswith(problem) for line in found), found


def test_a_url_of_exactly_the_maximum_length_is_accepted_one_longer_is_not() -> None:
    from routing.config.compile import MAX_URL

    base = "https://example.com/"
    exact = base + "x" * (MAX_URL - len(base))
    assert parse_config(with_webhooks(f"  - {{url: '{exact}', secret_env: S}}\n")).webhooks[0].url == exact
    assert problems_of(f"  - {{url: '{exact}y', secret_env: S}}\n")[0].startswith("webhooks[0].url: ")


def test_a_user_name_alone_in_the_url_is_a_credential_too() -> None:
    assert problems_of("  - {url: 'https://user@example.com/x', secret_env: S}\n") == [
        "webhooks[0].url: no credentials in the URL: the signature authenticates each call"
    ]
    assert problems_of("  - {url: 'https://example.com/x', secret_env: 'whsec_abc=='}\n") == [
        "webhooks[0].secret_env: name the environment variable that holds the secret (like CRM_WEBHOOK_SECRET), "
        "never the secret"
    ]
