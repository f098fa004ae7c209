"""Block Kit limit checks, as Slack applies them when a message or view is submitted.

Pure functions: each takes the decoded JSON a client sent and returns a list of problems, empty when
Slack would accept the payload. A problem reads like Slack's own ``response_metadata.messages``
entries, ``"[ERROR] <reason> [json-pointer:/blocks/3/text/text]"``, so a failing test shows where the
payload is wrong in the same words the real API would use.

Only documented limits and structural rules are checked (counts, lengths, required fields, known
types, id uniqueness). Rendering rules that Slack enforces loosely or changes often (emoji, mrkdwn
syntax, which surfaces accept which element) are not, so a payload accepted here is not guaranteed to
be accepted by Slack, but a payload rejected here would be rejected by Slack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "KNOWN_BLOCK_TYPES",
    "KNOWN_ELEMENT_TYPES",
    "MAX_MESSAGE_BLOCKS",
    "MAX_MESSAGE_TEXT",
    "MAX_VIEW_BLOCKS",
    "message_block_problems",
    "view_problems",
]

MAX_MESSAGE_BLOCKS: Final = 50
MAX_VIEW_BLOCKS: Final = 100
# Slack truncates longer text; the stand-in rejects it instead (``msg_too_long``) so the bot never
# silently loses the end of a message.
MAX_MESSAGE_TEXT: Final = 40_000

MAX_SECTION_TEXT: Final = 3000
MAX_SECTION_FIELDS: Final = 10
MAX_FIELD_TEXT: Final = 2000
MAX_HEADER_TEXT: Final = 150
MAX_BUTTON_TEXT: Final = 75
MAX_BUTTON_VALUE: Final = 2000
MAX_ID: Final = 255
MAX_URL: Final = 3000
MAX_ACTIONS_ELEMENTS: Final = 25
MAX_CONTEXT_ELEMENTS: Final = 10
MAX_LABEL: Final = 2000
MAX_PLACEHOLDER: Final = 150
MAX_OPTIONS: Final = 100
MAX_OPTION_TEXT: Final = 75
MAX_OPTION_VALUE: Final = 150
MAX_VIEW_TITLE: Final = 24
MAX_PRIVATE_METADATA: Final = 3000

KNOWN_BLOCK_TYPES: Final = frozenset(
    {
        "actions",
        "context",
        "context_actions",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)

_SELECT_TYPES: Final = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
_INPUT_TYPES: Final = frozenset(
    {
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "rich_text_input",
        "file_input",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "checkboxes",
        "radio_buttons",
    }
)
KNOWN_ELEMENT_TYPES: Final = (
    _SELECT_TYPES
    | _INPUT_TYPES
    | frozenset({"button", "overflow", "image", "workflow_button", "feedback_buttons", "icon_button"})
)
_TEXT_TYPES: Final = frozenset({"plain_text", "mrkdwn"})
_VIEW_TYPES: Final = frozenset({"modal", "home"})


def message_block_problems(blocks: object) -> list[str]:
    """Problems with the ``blocks`` of a message (chat.postMessage, chat.update, chat.postEphemeral).

    ``blocks`` is the decoded JSON value. Returns problems in document order; empty means acceptable.
    """
    return _Checker().blocks(blocks, "/blocks", MAX_MESSAGE_BLOCKS)


def view_problems(view: object) -> list[str]:
    """Problems with a modal or App Home ``view`` (views.open, views.push, views.update, views.publish).

    Covers the view's own fields (type, title, submit, close, ids, private_metadata) and its blocks.
    A modal needs a title, and a submit button as soon as it holds an input block.
    """
    check = _Checker()
    if not isinstance(view, Mapping):
        return [_error("must be an object", "/view")]
    view_type = view.get("type")
    if view_type is None:
        check.add("missing required field: type", "/view")
    elif view_type not in _VIEW_TYPES:
        check.add(f"unsupported view type `{view_type}`", "/view/type")
    if view_type == "modal":
        if "title" not in view:
            check.add("missing required field: title", "/view")
        for name in ("title", "submit", "close"):
            if name in view and view[name] is not None:
                check.text(view[name], f"/view/{name}", max_len=MAX_VIEW_TITLE, plain_only=True)
        has_input = isinstance(view.get("blocks"), list) and any(
            isinstance(b, Mapping) and b.get("type") == "input" for b in view["blocks"]
        )
        if has_input and view.get("submit") is None:
            check.add("submit is required when an input block is present", "/view")
    check.string(view.get("callback_id"), "/view/callback_id", MAX_ID)
    check.string(view.get("external_id"), "/view/external_id", MAX_ID)
    check.string(view.get("private_metadata"), "/view/private_metadata", MAX_PRIVATE_METADATA)
    if "blocks" not in view:
        check.add("missing required field: blocks", "/view")
    else:
        check.blocks(view["blocks"], "/view/blocks", MAX_VIEW_BLOCKS)
    return check.problems


def _error(reason: str, pointer: str) -> str:
    return f"[ERROR] {reason} [json-pointer:{pointer}]"


class _Checker:
    """Accumulates problems while walking one message or view; tracks block_id uniqueness across it."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._block_ids: set[str] = set()

    def add(self, reason: str, pointer: str) -> None:
        self.problems.append(_error(reason, pointer))

    def blocks(self, blocks: object, pointer: str, max_blocks: int) -> list[str]:
        if not isinstance(blocks, list):
            self.add("must be an array", pointer)
            return self.problems
        if len(blocks) > max_blocks:
            self.add(f"no more than {max_blocks} items allowed", pointer)
        for index, block in enumerate(blocks):
            self.block(block, f"{pointer}/{index}")
        return self.problems

    def block(self, block: object, pointer: str) -> None:
        if not isinstance(block, Mapping):
            self.add("must be an object", pointer)
            return
        block_type = block.get("type")
        if not isinstance(block_type, str) or block_type not in KNOWN_BLOCK_TYPES:
            self.add(f"unknown block type `{block_type}`", f"{pointer}/type")
            return
        self._unique_id(block, "block_id", pointer, self._block_ids)
        # action_id uniqueness is per containing block: that is Slack's documented rule, and the
        # same action_id on a button in each of several sections is valid Slack.
        action_ids: set[str] = set()
        if block_type == "section":
            self._section(block, pointer, action_ids)
        elif block_type == "header":
            self.text(block.get("text"), f"{pointer}/text", max_len=MAX_HEADER_TEXT, plain_only=True)
        elif block_type == "actions":
            self._elements(block, pointer, MAX_ACTIONS_ELEMENTS, action_ids)
        elif block_type == "context":
            self._context(block, pointer)
        elif block_type == "image":
            self._image(block, pointer)
        elif block_type == "input":
            self._input(block, pointer, action_ids)

    def _section(self, block: Mapping[str, Any], pointer: str, action_ids: set[str]) -> None:
        if "text" not in block and "fields" not in block:
            self.add("must provide either `text` or `fields`", pointer)
        if "text" in block:
            self.text(block["text"], f"{pointer}/text", max_len=MAX_SECTION_TEXT)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list):
                self.add("must be an array", f"{pointer}/fields")
            else:
                if len(fields) > MAX_SECTION_FIELDS:
                    self.add(f"no more than {MAX_SECTION_FIELDS} items allowed", f"{pointer}/fields")
                for index, field in enumerate(fields):
                    self.text(field, f"{pointer}/fields/{index}", max_len=MAX_FIELD_TEXT)
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory", action_ids)

    def _elements(self, block: Mapping[str, Any], pointer: str, limit: int, action_ids: set[str]) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.add("must be a non-empty array", f"{pointer}/elements")
            return
        if len(elements) > limit:
            self.add(f"no more than {limit} items allowed", f"{pointer}/elements")
        for index, element in enumerate(elements):
            self.element(element, f"{pointer}/elements/{index}", action_ids)

    def _context(self, block: Mapping[str, Any], pointer: str) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.add("must be a non-empty array", f"{pointer}/elements")
            return
        if len(elements) > MAX_CONTEXT_ELEMENTS:
            self.add(f"no more than {MAX_CONTEXT_ELEMENTS} items allowed", f"{pointer}/elements")
        for index, element in enumerate(elements):
            at = f"{pointer}/elements/{index}"
            if isinstance(element, Mapping) and element.get("type") == "image":
                self._image(element, at)
            else:
                self.text(element, at, max_len=MAX_SECTION_TEXT)

    def _image(self, image: Mapping[str, Any], pointer: str) -> None:
        if "image_url" in image:
            self.string(image["image_url"], f"{pointer}/image_url", MAX_URL)
        elif "slack_file" not in image:
            self.add("must provide either `image_url` or `slack_file`", pointer)
        if not isinstance(image.get("alt_text"), str):
            self.add("missing required field: alt_text", pointer)
        else:
            self.string(image["alt_text"], f"{pointer}/alt_text", MAX_LABEL)

    def _input(self, block: Mapping[str, Any], pointer: str, action_ids: set[str]) -> None:
        self.text(block.get("label"), f"{pointer}/label", max_len=MAX_LABEL, plain_only=True)
        if "hint" in block:
            self.text(block["hint"], f"{pointer}/hint", max_len=MAX_LABEL, plain_only=True)
        if "element" not in block:
            self.add("missing required field: element", pointer)
        else:
            self.element(block["element"], f"{pointer}/element", action_ids)

    def _unique_id(self, item: Mapping[str, Any], key: str, pointer: str, seen: set[str]) -> None:
        """Check the optional id ``item[key]`` (length, and unique among ``seen``), then add it to ``seen``."""
        value = item.get(key)
        if value is None:
            return
        if self.string(value, f"{pointer}/{key}", MAX_ID) and value in seen:
            self.add(f"duplicate {key} `{value}`", f"{pointer}/{key}")
        if isinstance(value, str):
            seen.add(value)

    def element(self, element: object, pointer: str, action_ids: set[str]) -> None:
        if not isinstance(element, Mapping):
            self.add("must be an object", pointer)
            return
        element_type = element.get("type")
        if not isinstance(element_type, str) or element_type not in KNOWN_ELEMENT_TYPES:
            self.add(f"unknown element type `{element_type}`", f"{pointer}/type")
            return
        self._unique_id(element, "action_id", pointer, action_ids)
        if element_type == "button":
            self.text(element.get("text"), f"{pointer}/text", max_len=MAX_BUTTON_TEXT, plain_only=True)
            self.string(element.get("value"), f"{pointer}/value", MAX_BUTTON_VALUE)
            self.string(element.get("url"), f"{pointer}/url", MAX_URL)
            style = element.get("style")
            if style is not None and style not in ("primary", "danger"):
                self.add(f"unsupported style `{style}`", f"{pointer}/style")
        elif element_type == "image":
            self._image(element, pointer)
        if "placeholder" in element:
            placeholder = element["placeholder"]
            self.text(placeholder, f"{pointer}/placeholder", max_len=MAX_PLACEHOLDER, plain_only=True)
        if "options" in element:
            self._options(element["options"], f"{pointer}/options")

    def _options(self, options: object, pointer: str) -> None:
        if not isinstance(options, list):
            self.add("must be an array", pointer)
            return
        if len(options) > MAX_OPTIONS:
            self.add(f"no more than {MAX_OPTIONS} items allowed", pointer)
        for index, option in enumerate(options):
            at = f"{pointer}/{index}"
            if not isinstance(option, Mapping):
                self.add("must be an object", at)
                continue
            self.text(option.get("text"), f"{at}/text", max_len=MAX_OPTION_TEXT)
            self.string(option.get("value"), f"{at}/value", MAX_OPTION_VALUE)

    def text(self, obj: object, pointer: str, *, max_len: int, plain_only: bool = False) -> None:
        """Check a text object: known type (plain_text only where Slack demands it), 1..max_len chars."""
        if not isinstance(obj, Mapping):
            self.add("must be a text object", pointer)
            return
        text_type = obj.get("type")
        if plain_only and text_type != "plain_text":
            self.add("must be a plain_text object", f"{pointer}/type")
        elif text_type not in _TEXT_TYPES:
            self.add(f"unsupported text type `{text_type}`", f"{pointer}/type")
        text = obj.get("text")
        if not isinstance(text, str):
            self.add("missing required field: text", pointer)
        elif not text:
            self.add("must be more than 0 characters", f"{pointer}/text")
        elif len(text) > max_len:
            self.add(f"must be less than {max_len + 1} characters", f"{pointer}/text")

    def string(self, value: object, pointer: str, max_len: int) -> bool:
        """Check an optional string field; True when it is a string within the limit."""
        if value is None:
            return False
        if not isinstance(value, str):
            self.add("must be a string", pointer)
            return False
        if len(value) > max_len:
            self.add(f"must be less than {max_len + 1} characters", pointer)
            return False
        return True
