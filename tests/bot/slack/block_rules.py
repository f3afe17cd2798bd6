"""What Slack refuses in Block Kit: slack_sdk's models, plus the documented rules they skip.

Every problem reads like Slack's own `errors` entries: `<what> [json-pointer:/blocks/3/text]`.

Sources for the limits (Slack's Block Kit reference, checked 2026):
- blocks: https://api.slack.com/reference/block-kit/blocks — 50 blocks per message, 100 in
  modals and the Home tab; `block_id` at most 255 and unique within a message or view; section
  text 3,000 and at most 10 fields of 2,000; header plain_text of 150; context at most 10
  elements; actions at most 25 elements; input label and hint 2,000; image alt_text 2,000.
- block elements: https://api.slack.com/reference/block-kit/block-elements — button text 75,
  value 2,000, url 3,000, style primary/danger; `action_id` at most 255 and unique within its
  block; checkboxes and radio buttons 1–10 options; static selects at most 100 options or
  option groups; overflow at most 5 options; plain_text_input `min_length` 0–3,000 and
  `max_length` 1–3,000; `initial_option(s)` must exactly match one of the options.
- composition objects: https://api.slack.com/reference/block-kit/composition-objects — text
  objects are plain_text or mrkdwn and not empty; option text 75, value 150, description 75,
  url 3,000; confirmation title 100, text 300, confirm and deny 30.
- views: https://api.slack.com/reference/surfaces/views — modal title, submit and close 24;
  `private_metadata` 3,000; `callback_id` and `external_id` 255; a modal whose blocks hold an
  input block needs a submit button.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
MESSAGE_TEXT_MAX = 40_000
ID_MAX = 255
PRIVATE_METADATA_MAX = 3000
VIEW_TEXT_MAX = 24

Node = Mapping[str, Any]
Rule = Callable[[Node, str], Iterator[str]]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _at(problem: str, pointer: str) -> str:
    return f"{problem} [json-pointer:{pointer}]"


# ---------------------------------------------------------------- public API


def message_problems(blocks: Any) -> list[str]:
    """What Slack refuses in a message's `blocks` (chat.*, response_url, ack bodies)."""
    if not isinstance(blocks, list):
        return ["blocks is not a JSON array"]
    return block_problems(blocks, limit=MESSAGE_BLOCKS_MAX)


def block_problems(blocks: list[Any], *, limit: int) -> list[str]:
    """Too many blocks, invalid ones, and block ids used twice."""
    problems = [f"{len(blocks)} blocks, at most {limit} allowed"] if len(blocks) > limit else []
    for index, block in enumerate(blocks):
        pointer = f"/blocks/{index}"
        problems.extend(_at(p, pointer) for p in _one_block_problems(block))
        if isinstance(block, dict):
            problems.extend(_walk_rules(block, pointer))
    problems.extend(_duplicate_block_ids(blocks))
    return problems


def view_problems(view: Any, *, expected_type: str | None = None) -> list[str]:
    """What Slack refuses in a modal or Home tab view, its blocks included."""
    if not isinstance(view, dict):
        return ["view is not a JSON object"]
    problems: list[str] = []
    if expected_type is not None and view.get("type") != expected_type:
        problems.append(f"view type must be {expected_type}, not {view.get('type')!r}")
    try:
        View(**view).validate_json()
    except Exception as error:  # slack_sdk raises TypeError as well as its own errors
        problems.append(f"view: {type(error).__name__}: {error}")
    for rule in _VIEW_RULES:
        problems.extend(rule(view, ""))
    blocks = view.get("blocks", [])
    if not isinstance(blocks, list):
        return [*problems, "view.blocks is not an array"]
    return problems + block_problems(blocks, limit=VIEW_BLOCKS_MAX)


def view_response_problems(body: Any) -> list[str]:
    """What Slack refuses in the body of a view_submission ack (`response_action`)."""
    if body in (None, "", b""):
        return []
    if not isinstance(body, dict):
        return ["the ack body is not a JSON object"]
    action = body.get("response_action")
    if action in ("update", "push"):
        return view_problems(body.get("view"), expected_type="modal")
    if action == "errors":
        errors = body.get("errors")
        return [] if isinstance(errors, dict) and errors else ["errors must be a non-empty object"]
    if action == "clear":
        return []
    return [f"unknown response_action {action!r}"]


# ---------------------------------------------------------------- slack_sdk's models


def _one_block_problems(raw: Any) -> list[str]:
    if not isinstance(raw, dict):
        return ["not a JSON object"]
    try:
        block = Block.parse(raw)
        if block is None:
            return [f"unknown block type {raw.get('type')!r}"]
        block.validate_json()
        # to_dict() validates nested elements and text objects, which validate_json() skips.
        rendered = block.to_dict()
    except Exception as error:  # slack_sdk raises TypeError as well as its own errors
        return [f"{type(error).__name__}: {error}"]
    return _unknown_parts(rendered)


def _unknown_parts(rendered: Any) -> list[str]:
    # slack_sdk turns elements it does not know into None instead of failing.
    if isinstance(rendered, dict):
        return [p for value in rendered.values() for p in _unknown_parts(value)]
    if isinstance(rendered, list):
        unknown = ["unknown element"] if any(item is None for item in rendered) else []
        return unknown + [p for item in rendered for p in _unknown_parts(item)]
    return []


# ---------------------------------------------------------------- rules the models skip


def _walk_rules(node: Any, pointer: str) -> Iterator[str]:
    """Apply the rule of every typed object, at any depth, to it."""
    if isinstance(node, dict):
        for rule in _RULES.get(str(node.get("type", "")), ()):
            yield from rule(node, pointer)
        for key, value in node.items():
            yield from _walk_rules(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk_rules(item, f"{pointer}/{index}")


def _duplicate_block_ids(blocks: list[Any]) -> Iterator[str]:
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if not isinstance(block_id, str):
            continue
        if block_id in seen:
            yield _at(f"duplicate block_id {block_id!r}", f"/blocks/{index}/block_id")
        seen.add(block_id)


def _length(node: Node, key: str) -> int:
    value = node.get(key)
    if isinstance(value, dict):
        value = value.get("text")
    return len(value) if isinstance(value, str) else 0


def _max(key: str, limit: int) -> Rule:
    def rule(node: Node, pointer: str) -> Iterator[str]:
        if key in node and _length(node, key) > limit:
            yield _at(f"{key} must be at most {limit} characters", f"{pointer}/{key}")

    return rule


def _count(key: str, *, low: int, high: int) -> Rule:
    def rule(node: Node, pointer: str) -> Iterator[str]:
        items = node.get(key)
        if isinstance(items, list) and not low <= len(items) <= high:
            yield _at(f"{key} must hold {low} to {high} items, not {len(items)}", pointer)

    return rule


def _plain_text(key: str) -> Rule:
    def rule(node: Node, pointer: str) -> Iterator[str]:
        value = node.get(key)
        if isinstance(value, dict) and value.get("type") != "plain_text":
            yield _at(f"{key} must be a plain_text object", f"{pointer}/{key}")

    return rule


def _not_empty_text(node: Node, pointer: str) -> Iterator[str]:
    text = node.get("text")
    if not isinstance(text, str) or not text:
        yield _at("text must be more than 0 characters", f"{pointer}/text")


def _section_fields(node: Node, pointer: str) -> Iterator[str]:
    for index, field in enumerate(node.get("fields") or []):
        if isinstance(field, dict) and _length(field, "text") > 2000:
            yield _at("a field must be at most 2000 characters", f"{pointer}/fields/{index}")


def _unique_action_ids(node: Node, pointer: str) -> Iterator[str]:
    seen: set[str] = set()
    for index, element in enumerate(node.get("elements") or []):
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if isinstance(action_id, str) and action_id in seen:
            where = f"{pointer}/elements/{index}/action_id"
            yield _at(f"duplicate action_id {action_id!r} in one block", where)
        seen.add(str(action_id))


def _alt_text(node: Node, pointer: str) -> Iterator[str]:
    if not 1 <= _length(node, "alt_text") <= 2000:
        yield _at("alt_text must be 1 to 2000 characters", f"{pointer}/alt_text")


def _style(node: Node, pointer: str) -> Iterator[str]:
    if "style" in node and node["style"] not in ("primary", "danger"):
        yield _at("style must be primary or danger", f"{pointer}/style")


def _options_of(node: Node) -> list[Node]:
    options: list[Node] = [o for o in node.get("options") or [] if isinstance(o, dict)]
    for group in node.get("option_groups") or []:
        if isinstance(group, dict):
            options += [o for o in group.get("options") or [] if isinstance(o, dict)]
    return options


def _option_rules(node: Node, pointer: str) -> Iterator[str]:
    for index, option in enumerate(_options_of(node)):
        where = f"{pointer}/options/{index}"
        if not 1 <= len(str(option.get("value", ""))) <= 150:
            yield _at("option value must be 1 to 150 characters", f"{where}/value")
        if _length(option, "text") > 75:
            yield _at("option text must be at most 75 characters", f"{where}/text")
        if _length(option, "description") > 75:
            yield _at("option description must be at most 75 characters", where)
        if len(str(option.get("url", ""))) > 3000:
            yield _at("option url must be at most 3000 characters", f"{where}/url")


def _one_of_options(node: Node, pointer: str) -> Iterator[str]:
    """initial_option(s) must exactly match options of the element."""
    known = [
        (o.get("value"), (o.get("text") or {}).get("text"))
        for o in _options_of(node)
        if isinstance(o.get("text"), dict)
    ]
    chosen = list(node.get("initial_options") or [])
    if isinstance(node.get("initial_option"), dict):
        chosen.append(node["initial_option"])
    for option in chosen:
        text = option.get("text") if isinstance(option, dict) else None
        pair = (option.get("value"), text.get("text") if isinstance(text, dict) else None)
        if pair not in known:
            yield _at("an initial option must exactly match one of the options", pointer)


def _select_options(node: Node, pointer: str) -> Iterator[str]:
    has_options, has_groups = "options" in node, "option_groups" in node
    if has_options == has_groups:
        yield _at("give exactly one of options and option_groups", pointer)
    yield from _count("options", low=1, high=100)(node, pointer)
    yield from _count("option_groups", low=1, high=100)(node, pointer)


def _text_input(node: Node, pointer: str) -> Iterator[str]:
    low, high = node.get("min_length", 0), node.get("max_length", 3000)
    if not isinstance(low, int) or not 0 <= low <= 3000:
        yield _at("min_length must be 0 to 3000", f"{pointer}/min_length")
    if not isinstance(high, int) or not 1 <= high <= 3000:
        yield _at(f"plain_text_input max_length {high} > 3000", f"{pointer}/max_length")
        return
    if isinstance(low, int) and low > high:
        yield _at("min_length must not exceed max_length", f"{pointer}/min_length")
    initial = node.get("initial_value")
    if isinstance(initial, str) and len(initial) > high:
        where = f"{pointer}/initial_value"
        yield _at(f"initial_value of {len(initial)} characters exceeds max_length {high}", where)


def _date(node: Node, pointer: str) -> Iterator[str]:
    initial = node.get("initial_date")
    if initial is not None and not (isinstance(initial, str) and _DATE.match(initial)):
        yield _at("initial_date must be YYYY-MM-DD", f"{pointer}/initial_date")


def _confirm(node: Node, pointer: str) -> Iterator[str]:
    confirm = node.get("confirm")
    if not isinstance(confirm, dict):
        return
    for key, limit in (("title", 100), ("text", 300), ("confirm", 30), ("deny", 30)):
        yield from _max(key, limit)(confirm, f"{pointer}/confirm")


_RULES: dict[str, tuple[Rule, ...]] = {
    # Text objects, wherever they are.
    "plain_text": (_not_empty_text,),
    "mrkdwn": (_not_empty_text,),
    # Blocks.
    "section": (_max("text", 3000), _count("fields", low=1, high=10), _section_fields),
    "header": (_plain_text("text"), _max("text", 150)),
    "context": (_count("elements", low=1, high=10),),
    "actions": (_count("elements", low=1, high=25), _unique_action_ids),
    "input": (_plain_text("label"), _max("label", 2000), _plain_text("hint"), _max("hint", 2000)),
    "image": (_alt_text, _max("image_url", 3000)),
    # Elements.
    "button": (_plain_text("text"), _max("text", 75), _max("value", 2000), _style, _confirm),
    "checkboxes": (_count("options", low=1, high=10), _option_rules, _one_of_options, _confirm),
    "radio_buttons": (_count("options", low=1, high=10), _option_rules, _one_of_options),
    "static_select": (_select_options, _option_rules, _one_of_options, _confirm),
    "multi_static_select": (_select_options, _option_rules, _one_of_options, _confirm),
    "overflow": (_count("options", low=1, high=5), _option_rules, _confirm),
    "plain_text_input": (_text_input,),
    "datepicker": (_date, _confirm),
}


# ---------------------------------------------------------------- views


def _modal_title(view: Node, pointer: str) -> Iterator[str]:
    if view.get("type") == "modal" and not isinstance(view.get("title"), dict):
        yield "a modal needs a title"


def _submit_for_inputs(view: Node, pointer: str) -> Iterator[str]:
    blocks = view.get("blocks") or []
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if view.get("type") == "modal" and has_input and not isinstance(view.get("submit"), dict):
        yield "a modal with an input block needs a submit button"


def _view_texts(view: Node, pointer: str) -> Iterator[str]:
    for key in ("title", "submit", "close"):
        value = view.get(key, {"type": "plain_text"})
        if not isinstance(value, dict) or value.get("type") != "plain_text":
            yield f"view {key} must be a plain_text object"


_VIEW_RULES: tuple[Rule, ...] = (
    _modal_title,
    _submit_for_inputs,
    _view_texts,
    _max("external_id", ID_MAX),
    _max("callback_id", ID_MAX),
    _max("private_metadata", PRIVATE_METADATA_MAX),
)
