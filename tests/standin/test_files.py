"""The stand-in's external upload, driven by slack_sdk's own `files_upload_v2`."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from standin import SlackStandin

TOKEN = "xoxb-files"


async def test_files_upload_v2_shares_the_bytes_in_the_thread() -> None:
    async with SlackStandin(tokens={TOKEN}) as slack:
        channel = slack.add_channel("reports")
        client = AsyncWebClient(token=TOKEN, base_url=slack.url)
        parent = await client.chat_postMessage(channel=channel, text="weekly digest")
        await client.files_upload_v2(
            file_uploads=[
                {"content": b"\x89PNG one", "filename": "a.png", "title": "Speed"},
                {"content": b"\x89PNG two!", "filename": "b.png", "title": "Fairness"},
            ],
            channel=channel,
            thread_ts=parent["ts"],
        )
        [shared] = slack.thread(channel, parent["ts"])[1:]
        assert [(f["name"], f["title"], f["size"]) for f in shared.files] == [
            ("a.png", "Speed", 8),
            ("b.png", "Fairness", 9),
        ]
        assert slack.uploaded(shared.files[1]["id"]) == b"\x89PNG two!"
        assert [c.method for c in slack.calls] == [
            "chat.postMessage",
            "files.getUploadURLExternal",
            "files.getUploadURLExternal",
            "files.completeUploadExternal",
        ]


async def test_completing_a_file_never_uploaded_is_file_not_found() -> None:
    async with SlackStandin(tokens={TOKEN}) as slack:
        channel = slack.add_channel("reports")
        client = AsyncWebClient(token=TOKEN, base_url=slack.url)
        announced = await client.files_getUploadURLExternal(filename="x.png", length=3)
        with pytest.raises(SlackApiError) as raised:
            await client.files_completeUploadExternal(
                files=[{"id": announced["file_id"], "title": "x"}], channel_id=channel
            )
        assert raised.value.response["error"] == "file_not_found"
