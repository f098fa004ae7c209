"""The Slack stand-in, driven only through the real slack_sdk AsyncWebClient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from standin import (
    ANY_METHOD,
    TRIGGER_TTL_SECONDS,
    SlackStandin,
    User,
    message_block_problems,
    view_problems,
)

TOKEN = "xoxb-test"
APP_TOKEN = "xapp-1-test"


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def slack(clock: FakeClock) -> AsyncIterator[SlackStandin]:
    async with SlackStandin(tokens={TOKEN, APP_TOKEN}, clock=clock) as standin:
        yield standin


@pytest.fixture
def client(slack: SlackStandin) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.url)


@pytest.fixture
def alice(slack: SlackStandin) -> User:
    return slack.add_user("alice", real_name="Alice Rep", email="Alice@Example.com", tz="Europe/Paris")


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str, action_id: str, value: str = "v") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


def modal(title: str = "Reassign lead", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": [section("Why?")],
        **extra,
    }


async def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


# ------------------------------------------------------------------------------------------- messages


async def test_post_to_user_opens_dm_and_stores_blocks_and_metadata(
    slack: SlackStandin, client: AsyncWebClient, alice: User
) -> None:
    metadata = {"event_type": "lead_assigned", "event_payload": {"lead_id": "L1", "dedup": "k1"}}
    response = await client.chat_postMessage(
        channel=alice.id,
        text="New lead: Acme",
        blocks=[section("*Acme*", block_id="lead")],
        metadata=metadata,
    )

    dm = slack.dm_channel_id(alice.id)
    assert dm is not None and dm.startswith("D")
    assert response["channel"] == dm
    assert response["message"]["metadata"] == metadata
    [stored] = slack.messages_in(alice.id)
    assert stored.ts == response["ts"] and stored.channel == dm
    assert stored.blocks == [section("*Acme*", block_id="lead")]
    assert stored.event_type == "lead_assigned" and stored.event_payload == metadata["event_payload"]
    assert slack.message(dm, response["ts"]) == stored
    # The DM is stable: a second post and conversations.open land in the same channel.
    again = await client.chat_postMessage(channel=alice.id, text="Reminder")
    opened = await client.conversations_open(users=alice.id)
    assert again["channel"] == opened["channel"]["id"] == dm
    assert opened["already_open"] is True
    assert float(again["ts"]) > float(response["ts"])


async def test_blocks_without_block_id_get_one_as_slack_does(
    slack: SlackStandin, client: AsyncWebClient, alice: User
) -> None:
    await client.chat_postMessage(channel=alice.id, text="x", blocks=[section("a"), section("b")])

    [message] = slack.messages_in(alice.id)
    block_ids = [block["block_id"] for block in message.blocks]
    assert all(block_ids) and len(set(block_ids)) == 2


async def test_update_needs_the_dm_channel_id_not_the_user_id(
    slack: SlackStandin, client: AsyncWebClient, alice: User
) -> None:
    posted = await client.chat_postMessage(
        channel=alice.id, text="Lead", metadata={"event_type": "lead", "event_payload": {"id": "1"}}
    )

    error = await slack_error(client.chat_update(channel=alice.id, ts=posted["ts"], text="Accepted"))
    assert error.response["error"] == "channel_not_found"

    updated = await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Accepted")
    assert updated["text"] == "Accepted" and updated["ts"] == posted["ts"]
    message = slack.message(alice.id, posted["ts"])
    assert message is not None and message.text == "Accepted" and message.edited_ts is not None
    assert message.event_type == "lead"  # metadata left out of chat.update is kept


async def test_update_of_unknown_or_foreign_message_fails(
    slack: SlackStandin, client: AsyncWebClient, alice: User
) -> None:
    leads = slack.add_channel("leads", members=[alice.id])
    human = slack.add_message(leads, user=alice.id, text="I'll take it")

    unknown = await slack_error(client.chat_update(channel=leads, ts="1700000000.000100", text="x"))
    foreign = await slack_error(client.chat_update(channel=leads, ts=human.ts, text="x"))
    assert unknown.response["error"] == "message_not_found"
    assert foreign.response["error"] == "cant_update_message"


@pytest.mark.parametrize(
    ("method", "args", "error"),
    [
        ("chat.postMessage", {"text": "hi"}, "channel_not_found"),
        ("chat.postMessage", {"channel": "#leads"}, "no_text"),
        ("chat.update", {"channel": "#leads", "text": "x"}, "channel_not_found"),
        ("chat.delete", {"channel": "C00000000"}, "channel_not_found"),
        ("users.info", {}, "user_not_found"),
        ("users.lookupByEmail", {}, "users_not_found"),
        ("conversations.info", {}, "channel_not_found"),
        ("conversations.open", {}, "users_list_not_supplied"),
        ("views.publish", {"view": {"type": "home", "blocks": []}}, "invalid_arguments"),
        ("views.open", {"trigger_id": "1.2.3"}, "invalid_arguments"),
    ],
)
async def test_missing_required_arguments_get_the_documented_error(
    slack: SlackStandin, client: AsyncWebClient, method: str, args: dict[str, Any], error: str
) -> None:
    slack.add_channel("leads")

    raised = await slack_error(client.api_call(method, json=args))

    assert raised.response.status_code == 200
    assert raised.response["ok"] is False and raised.response["error"] == error


async def test_missing_update_ts_is_message_not_found(slack: SlackStandin, client: AsyncWebClient) -> None:
    leads = slack.add_channel("leads")

    raised = await slack_error(client.api_call("chat.update", json={"channel": leads, "text": "x"}))

    assert raised.response["error"] == "message_not_found"


async def test_form_encoded_post_with_json_strings_is_understood(
    slack: SlackStandin, client: AsyncWebClient, alice: User
) -> None:
    response = await client.api_call(
        "chat.postMessage",
        data={
            "channel": alice.id,
            "text": "form",
            "blocks": '[{"type": "divider"}]',
            "metadata": '{"event_type": "t", "event_payload": {"a": 1}}',
        },
    )

    message = slack.message(alice.id, response["ts"])
    assert message is not None and message.blocks[0]["type"] == "divider"
    assert message.event_payload == {"a": 1}


async def test_thread_replies_are_kept_under_their_parent(
    slack: SlackStandin, client: AsyncWebClient, alice: User
) -> None:
    managers = slack.add_channel("managers", members=[alice.id])
    parent = await client.chat_postMessage(channel="#managers", text="Escalated: Acme")
    reply = await client.chat_postMessage(channel=managers, text="Re-pinged", thread_ts=parent["ts"])
    # A reply to a reply is filed under the thread's parent.
    nested = await client.chat_postMessage(channel=managers, text="Again", thread_ts=reply["ts"])

    assert [m.text for m in slack.thread(managers, parent["ts"])] == ["Escalated: Acme", "Re-pinged", "Again"]
    assert nested["message"]["thread_ts"] == parent["ts"]
    assert [m.text for m in slack.messages_in(managers, include_replies=False)] == ["Escalated: Acme"]
    link = await client.chat_getPermalink(channel=managers, message_ts=reply["ts"])
    assert link["permalink"].endswith(f"?thread_ts={parent['ts']}&cid={managers}")


async def test_posting_to_a_channel_the_bot_is_not_in_fails(slack: SlackStandin, client: AsyncWebClient) -> None:
    outside = slack.add_channel("sales-floor", bot_is_member=False)
    hidden = slack.add_channel("exec", bot_is_member=False, is_private=True)

    not_member = await slack_error(client.chat_postMessage(channel=outside, text="hi"))
    invisible = await slack_error(client.chat_postMessage(channel=hidden, text="hi"))
    assert not_member.response["error"] == "not_in_channel"
    assert invisible.response["error"] == "channel_not_found"

    joined = await client.conversations_join(channel=outside)
    assert joined["channel"]["is_member"] is True
    await client.chat_postMessage(channel=outside, text="hi")
    assert [m.text for m in slack.messages_in(outside)] == ["hi"]


async def test_posting_to_deactivated_unknown_or_bot_users_fails(
    slack: SlackStandin, client: AsyncWebClient, alice: User
) -> None:
    slack.deactivate_user(alice.id)

    inactive = await slack_error(client.chat_postMessage(channel=alice.id, text="hi"))
    unknown = await slack_error(client.chat_postMessage(channel="U0NOBODY1", text="hi"))
    bot = await slack_error(client.chat_postMessage(channel=slack.bot_user_id, text="hi"))
    assert inactive.response["error"] == "user_disabled"
    assert unknown.response["error"] == "user_not_found"
    assert bot.response["error"] == "cannot_dm_bot"
    assert slack.messages_in(alice.id) == []


async def test_delete_removes_the_message(slack: SlackStandin, client: AsyncWebClient, alice: User) -> None:
    posted = await client.chat_postMessage(channel=alice.id, text="oops")

    await client.chat_delete(channel=posted["channel"], ts=posted["ts"])

    assert slack.message(alice.id, posted["ts"]) is None
    again = await slack_error(client.chat_delete(channel=posted["channel"], ts=posted["ts"]))
    assert again.response["error"] == "message_not_found"


async def test_delete_of_a_message_the_bot_did_not_write_fails_and_keeps_it(
    slack: SlackStandin, client: AsyncWebClient, alice: User
) -> None:
    leads = slack.add_channel("leads", members=[alice.id])
    human = slack.add_message(leads, user=alice.id, text="I'll take it")

    raised = await slack_error(client.chat_delete(channel=leads, ts=human.ts))

    assert raised.response["error"] == "cant_delete_message"
    assert slack.message(leads, human.ts) == human


async def test_ephemeral_message_is_recorded_for_its_user(
    slack: SlackStandin, client: AsyncWebClient, alice: User
) -> None:
    leads = slack.add_channel("leads", members=[alice.id])
    bob = slack.add_user("bob")

    response = await client.chat_postEphemeral(channel=leads, user=alice.id, text="Already claimed by @bob")
    outsider = await slack_error(client.chat_postEphemeral(channel=leads, user=bob.id, text="x"))

    [ephemeral] = slack.ephemerals_for(alice.id)
    assert ephemeral.ts == response["message_ts"] and ephemeral.channel == leads
    assert ephemeral.text == "Already claimed by @bob"
    assert outsider.response["error"] == "user_not_in_channel"
    assert slack.messages_in(leads) == []  # ephemerals are not channel history


# ------------------------------------------------------------------------------------------ Block Kit


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([{"type": "divider"}] * 51, "/blocks]"),
        (
            [{"type": "actions", "elements": [button("Accept", "lead"), button("Reassign", "lead")]}],
            "/blocks/0/elements/1/action_id",
        ),
        ([{"type": "actions", "elements": [button("x" * 76, "accept")]}], "/blocks/0/elements/0/text/text"),
        ([{"type": "carousel"}], "/blocks/0/type"),
        ([{"type": "divider", "block_id": "lead"}, {"type": "divider", "block_id": "lead"}], "/blocks/1/block_id"),
        ([section("x" * 3001)], "/blocks/0/text/text"),
    ],
    ids=["51-blocks", "duplicate-action-id", "76-char-button", "unknown-type", "duplicate-block-id", "long-section"],
)
async def test_block_kit_violations_are_invalid_blocks(
    slack: SlackStandin, client: AsyncWebClient, alice: User, blocks: list[dict[str, Any]], pointer: str
) -> None:
    raised = await slack_error(client.chat_postMessage(channel=alice.id, text="Lead", blocks=blocks))

    assert raised.response["error"] == "invalid_blocks"
    assert any(pointer in problem for problem in raised.response["response_metadata"]["messages"])
    assert slack.dm_channel_id(alice.id) is None  # a rejected post opens no DM


async def test_text_over_40000_chars_is_msg_too_long(client: AsyncWebClient, alice: User) -> None:
    raised = await slack_error(client.chat_postMessage(channel=alice.id, text="x" * 40_001))

    assert raised.response["error"] == "msg_too_long"


def test_block_kit_accepts_a_valid_lead_card() -> None:
    card = [
        {"type": "header", "text": {"type": "plain_text", "text": "New lead"}},
        section("*Acme*", fields=[{"type": "mrkdwn", "text": f"f{i}"} for i in range(10)]),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Rule: EMEA enterprise"}]},
        {"type": "actions", "elements": [button("Accept", "accept"), button("Reassign", "reassign")]},
        # The same action_id in another block is valid: Slack scopes uniqueness to the block.
        section("Other lead", accessory=button("Accept", "accept")),
    ]

    assert message_block_problems(card) == []


def test_block_kit_view_limits() -> None:
    long_title = modal(title="x" * 25)
    input_without_submit = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "PTO"},
        "blocks": [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "From"},
                "element": {"type": "datepicker", "action_id": "from"},
            }
        ],
    }
    home = {"type": "home", "blocks": [{"type": "divider"}] * 101}

    assert view_problems(modal()) == []
    assert view_problems(long_title) == ["[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"]
    assert view_problems(input_without_submit) == [
        "[ERROR] submit is required when an input block is present [json-pointer:/view]"
    ]
    assert view_problems(home) == ["[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"]


# ------------------------------------------------------------------------------------ views, triggers


async def test_trigger_id_opens_one_modal_only_once(slack: SlackStandin, client: AsyncWebClient, alice: User) -> None:
    trigger_id = slack.issue_trigger_id(alice.id)

    opened = await client.views_open(trigger_id=trigger_id, view=modal(callback_id="reassign"))
    reused = await slack_error(client.views_open(trigger_id=trigger_id, view=modal()))
    unknown = await slack_error(client.views_open(trigger_id="1.2.nope", view=modal()))

    assert opened["view"]["id"].startswith("V") and opened["view"]["callback_id"] == "reassign"
    assert [v.id for v in slack.open_views(alice.id)] == [opened["view"]["id"]]
    assert reused.response["error"] == "exchanged_trigger_id"
    assert unknown.response["error"] == "invalid_trigger_id"


async def test_trigger_id_expires_after_three_seconds(
    slack: SlackStandin, client: AsyncWebClient, alice: User, clock: FakeClock
) -> None:
    fresh = slack.issue_trigger_id(alice.id)
    stale = slack.issue_trigger_id(alice.id)

    clock.advance(TRIGGER_TTL_SECONDS - 0.01)
    await client.views_open(trigger_id=fresh, view=modal())
    clock.advance(0.01)
    expired = await slack_error(client.views_open(trigger_id=stale, view=modal()))

    assert expired.response["error"] == "expired_trigger_id"


async def test_views_push_and_update(slack: SlackStandin, client: AsyncWebClient, alice: User) -> None:
    root = await client.views_open(trigger_id=slack.issue_trigger_id(alice.id), view=modal())
    pushed = await client.views_push(
        trigger_id=slack.issue_trigger_id(alice.id), view=modal("Pick a rep", external_id="pick-1")
    )
    updated = await client.views_update(external_id="pick-1", view=modal("Pick another rep"))
    stale = await slack_error(client.views_update(view_id=root["view"]["id"], hash="0.stale", view=modal()))
    invalid = await slack_error(client.views_update(view_id=root["view"]["id"], view=modal("x" * 25)))

    assert pushed["view"]["root_view_id"] == root["view"]["id"]
    assert updated["view"]["id"] == pushed["view"]["id"]
    assert [v.title for v in slack.open_views(alice.id)] == [
        {"type": "plain_text", "text": "Reassign lead"},
        {"type": "plain_text", "text": "Pick another rep"},
    ]
    assert stale.response["error"] == "hash_conflict"
    assert invalid.response["error"] == "invalid_arguments"
    assert "/view/title/text" in invalid.response["response_metadata"]["messages"][0]


async def test_views_publish_sets_the_home_tab(slack: SlackStandin, client: AsyncWebClient, alice: User) -> None:
    first = await client.views_publish(user_id=alice.id, view={"type": "home", "blocks": [section("3 open")]})
    second = await client.views_publish(
        user_id=alice.id, hash=first["view"]["hash"], view={"type": "home", "blocks": [section("2 open")]}
    )
    unknown = await slack_error(client.views_publish(user_id="U0NOBODY1", view={"type": "home", "blocks": []}))

    home = slack.home_view(alice.id)
    assert home is not None and home.id == first["view"]["id"] == second["view"]["id"]
    assert home.blocks[0]["text"]["text"] == "2 open"
    assert unknown.response["error"] == "invalid_arguments"
    event = slack.app_home_opened_event(alice.id)
    assert event["type"] == "event_callback" and event["event"]["type"] == "app_home_opened"
    assert event["event"]["channel"] == slack.dm_channel_id(alice.id)
    assert event["event"]["view"]["id"] == home.id


# ------------------------------------------------------------------------------------- users, channels


async def test_users_lookup_info_and_list(slack: SlackStandin, client: AsyncWebClient, alice: User) -> None:
    found = await client.users_lookupByEmail(email="alice@example.com")
    missing = await slack_error(client.users_lookupByEmail(email="nobody@example.com"))
    info = await client.users_info(user=alice.id)
    slack.add_user("bob")
    first_page = await client.users_list(limit=2)
    second_page = await client.users_list(limit=2, cursor=first_page["response_metadata"]["next_cursor"])

    assert found["user"]["id"] == alice.id and found["user"]["profile"]["email"] == "Alice@Example.com"
    assert missing.response["error"] == "users_not_found"
    assert info["user"]["tz"] == "Europe/Paris" and info["user"]["tz_offset"] in (3600, 7200)
    names = [u["name"] for u in first_page["members"] + second_page["members"]]
    assert names == ["leadrelay", "alice", "bob"]
    assert second_page["response_metadata"]["next_cursor"] == ""


async def test_usergroup_and_channel_members(slack: SlackStandin, client: AsyncWebClient, alice: User) -> None:
    bob = slack.add_user("bob")
    group = slack.add_usergroup("emea-reps", [alice.id, bob.id])
    managers = slack.add_channel("managers", members=[bob.id])

    listed = await client.usergroups_users_list(usergroup=group)
    members = await client.conversations_members(channel=managers)
    info = await client.conversations_info(channel=managers, include_num_members=True)

    assert listed["users"] == [alice.id, bob.id]
    assert members["members"] == [slack.bot_user_id, bob.id]
    assert info["channel"]["name"] == "managers" and info["channel"]["num_members"] == 2


async def test_authentication(slack: SlackStandin, client: AsyncWebClient) -> None:
    anonymous = await slack_error(AsyncWebClient(base_url=slack.url).auth_test())
    forged = await slack_error(AsyncWebClient(token="xoxb-forged", base_url=slack.url).auth_test())
    bot_socket = await slack_error(client.apps_connections_open(app_token=TOKEN))
    identity = await client.auth_test()
    socket = await client.apps_connections_open(app_token=APP_TOKEN)

    assert anonymous.response["error"] == "not_authed"
    assert forged.response["error"] == "invalid_auth"
    assert bot_socket.response["error"] == "not_allowed_token_type"
    assert identity["user_id"] == slack.bot_user_id and identity["bot_id"] == slack.bot_id
    served = slack.url.replace("http://", "ws://").removesuffix("api/") + "link/?ticket="
    assert socket["url"].startswith(served)  # the stand-in's own Socket Mode endpoint


# --------------------------------------------------------------------------------------------- faults


async def test_rate_limit_fault_is_a_429_with_retry_after(
    slack: SlackStandin, client: AsyncWebClient, alice: User
) -> None:
    slack.faults.rate_limit("chat.postMessage", retry_after=7)

    raised = await slack_error(client.chat_postMessage(channel=alice.id, text="hi"))
    await client.chat_postMessage(channel=alice.id, text="hi")  # the fault was used up

    assert raised.response.status_code == 429
    assert raised.response.headers["Retry-After"] == "7"
    assert raised.response["error"] == "ratelimited"
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    assert len(slack.messages_in(alice.id)) == 1


async def test_faults_apply_in_order_and_count_down(slack: SlackStandin, client: AsyncWebClient, alice: User) -> None:
    slack.faults.rate_limit("chat.postMessage")
    slack.faults.server_error(ANY_METHOD, times=2, status=503)

    statuses = []
    for _ in range(4):
        try:
            await client.chat_postMessage(channel=alice.id, text="hi")
            statuses.append(200)
        except SlackApiError as error:
            statuses.append(error.response.status_code)

    assert statuses == [429, 503, 503, 200]
    assert slack.faults.pending == 0


async def test_server_error_fault_is_a_500(slack: SlackStandin, client: AsyncWebClient, alice: User) -> None:
    slack.faults.server_error("chat.postMessage")

    raised = await slack_error(client.chat_postMessage(channel=alice.id, text="hi"))

    assert raised.response.status_code == 500
    assert slack.messages_in(alice.id) == []


@pytest.mark.parametrize("processed", [False, True])
async def test_timeout_fault_trips_the_client_timeout(slack: SlackStandin, alice: User, processed: bool) -> None:
    impatient = AsyncWebClient(token=TOKEN, base_url=slack.url, timeout=0.2)  # type: ignore[arg-type]
    slack.faults.timeout("chat.postMessage", delay=0.5, processed=processed)

    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(channel=alice.id, text="slow")

    # processed=True is the ambiguous case: Slack posted, the client never saw the ts.
    assert len(slack.messages_in(alice.id)) == (1 if processed else 0)


async def test_user_fault_fails_posts_until_cleared(slack: SlackStandin, client: AsyncWebClient, alice: User) -> None:
    slack.faults.user_error(alice.id, "user_not_found")

    by_id = await slack_error(client.chat_postMessage(channel=alice.id, text="hi"))
    opened = await slack_error(client.conversations_open(users=alice.id))
    slack.faults.clear_user_error(alice.id)
    await client.chat_postMessage(channel=alice.id, text="hi")

    assert by_id.response["error"] == opened.response["error"] == "user_not_found"
    assert len(slack.messages_in(alice.id)) == 1


def test_faults_reject_what_slack_could_never_do(slack: SlackStandin) -> None:
    with pytest.raises(ValueError, match="unknown Slack method"):
        slack.faults.rate_limit("chat.postmessage")
    with pytest.raises(ValueError, match="5xx"):
        slack.faults.server_error("chat.postMessage", status=404)
