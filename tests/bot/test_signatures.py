"""Slack request verification is always on: missing, bad or stale signatures get 401."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from tests.bot.harness import PEOPLE, Stack, slack_signature


async def test_missing_bad_and_stale_signatures_are_refused(stack: Stack) -> None:
    body = urlencode({"command": "/leads", "user_id": PEOPLE["alice"][0], "text": "", "channel_id": "D1"}).encode()
    form = "application/x-www-form-urlencoded"
    assert (await stack.slack.post(body, form, signature="")).status == 401
    assert (
        await stack.slack.post(body, form, signature=slack_signature(body, int(time.time()), "other"))
    ).status == 401
    stale = int(time.time()) - 301
    assert (await stack.slack.post(body, form, timestamp=stale, signature=slack_signature(body, stale))).status == 401
    assert (await stack.slack.post(body, form)).status == 200
