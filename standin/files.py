"""The Web API's external file upload, the three steps slack_sdk's `files_upload_v2` takes:

1. ``files.getUploadURLExternal`` (``filename``, ``length``) answers an ``upload_url`` and a ``file_id``;
2. the client POSTs the file's bytes to that URL (served here by ``upload``, outside ``/api/``), which
   answers 200 ``OK - <length>``, or 400 when the bytes are not the announced length;
3. ``files.completeUploadExternal`` (``files`` = JSON ``[{"id", "title"}]``, ``channel_id``,
   ``initial_comment``, ``thread_ts``) shares the uploaded files as one message in the channel (in the
   thread with ``thread_ts``); a file never uploaded, or completed twice, is ``file_not_found``.

The bytes are kept (``Workspace.files``), so a test can open what the bot uploaded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from standin.arguments import ApiError, Args
from standin.model import JsonDict, Message
from standin.workspace import Handler, TokenKind, Workspace

__all__ = ["METHODS", "UPLOAD_PATH", "StoredFile", "upload"]

UPLOAD_PATH: Final = "/upload/{file_id}"


@dataclass(slots=True)
class StoredFile:
    """A file announced by getUploadURLExternal: its bytes once uploaded, its message once shared."""

    id: str
    name: str
    length: int
    content: bytes | None = None
    title: str | None = None
    shared_in: str | None = None  # channel id once completeUploadExternal shared it

    def payload(self) -> JsonDict:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title or self.name,
            "size": self.length,
            "mimetype": "image/png" if self.name.endswith(".png") else "application/octet-stream",
        }


def get_upload_url(ws: Workspace, args: Args) -> JsonDict:
    name = args.required("filename", "invalid_arguments")
    length = args.integer("length", error="invalid_arguments")
    if length is None or length <= 0:
        raise ApiError("invalid_arguments", "[ERROR] length must be a positive integer")
    file_id = ws.new_id("F")
    ws.files[file_id] = StoredFile(id=file_id, name=name, length=length)
    return {"upload_url": ws.upload_base + UPLOAD_PATH.format(file_id=file_id), "file_id": file_id}


def complete_upload(ws: Workspace, args: Args) -> JsonDict:
    wanted = args.json("files", error="invalid_arguments")
    if not isinstance(wanted, list) or not wanted:
        raise ApiError("invalid_arguments", "[ERROR] files must be a non-empty JSON array")
    files: list[StoredFile] = []
    for entry in wanted:
        stored = ws.files.get(str(entry.get("id"))) if isinstance(entry, dict) else None
        if stored is None or stored.content is None or stored.shared_in is not None:
            raise ApiError("file_not_found")
        files.append(stored)
    target = args.text("channel_id")
    channel = ws.post_target(target) if target else None
    for entry, stored in zip(wanted, files, strict=True):
        stored.title = str(entry.get("title") or stored.name)
        stored.shared_in = channel.id if channel else ""
    if channel is not None:
        thread_ts = args.text("thread_ts") or None
        message = Message(
            channel=channel.id,
            ts=ws.next_ts(),
            user=ws.bot_user_id,
            text=args.text("initial_comment") or "",
            files=[f.payload() for f in files],
            thread_ts=thread_ts,
            bot_id=ws.bot_id,
        )
        ws.messages.setdefault(channel.id, {})[message.ts] = message
    return {"files": [f.payload() for f in files]}


def upload(ws: Workspace) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler of the upload URLs getUploadURLExternal hands out (step 2)."""

    async def receive(request: web.Request) -> web.Response:
        stored = ws.files.get(request.match_info["file_id"])
        if stored is None:
            return web.Response(status=404, text="file not found")
        content = await request.read()
        if len(content) != stored.length:
            return web.Response(status=400, text=f"expected {stored.length} bytes, got {len(content)}")
        stored.content = content
        return web.Response(status=200, text=f"OK - {len(content)}")

    return receive


METHODS: Final[dict[str, tuple[Handler, TokenKind]]] = {
    "files.getUploadURLExternal": (get_upload_url, "bot"),
    "files.completeUploadExternal": (complete_upload, "bot"),
}
