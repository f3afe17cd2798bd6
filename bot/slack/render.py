"""Slack Block Kit rendering of neutral replies: escaped, within Slack's limits, cards whole."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, assert_never
from urllib.parse import quote

from handlers.actions import caption_input
from handlers.types import (
    Actions,
    Block,
    Button,
    Choice,
    ChoiceOption,
    ContentCard,
    DateInput,
    ItemSummary,
    Reply,
    ShareReady,
    Text,
)

SlackBlock = dict[str, Any]
T = TypeVar("T")

# Messages sent before input ids were neutral named the caption input "caption".
LEGACY_CAPTION_ACTION = "caption"
ELLIPSIS = "…"

# Slack's documented limits (Block Kit reference).
_MESSAGE_BLOCKS = 50
_VIEW_BLOCKS = 100
_TEXT_CHARS = 3000
_HEADER_CHARS = 150
_BUTTON_TEXT_CHARS = 75
_BUTTON_VALUE_CHARS = 2000
_URL_CHARS = 3000
_ACTION_ELEMENTS = 25
_CHECKBOX_OPTIONS = 10
_SELECT_OPTIONS = 100
_OPTION_TEXT_CHARS = 75
_OPTION_VALUE_CHARS = 150
_ID_CHARS = 255
_LABEL_CHARS = 2000
_ALT_TEXT_CHARS = 2000
_INPUT_CHARS = 3000
_PLACEHOLDER_CHARS = 150
_VIEW_TITLE_CHARS = 24
_PRIVATE_METADATA_CHARS = 3000
# Slack documents no limit for rich text; this is its largest documented text limit.
_PREFORMATTED_CHARS = 12000
# Our own bounds, so one card's title or link cannot crowd out its description.
_CARD_TITLE_CHARS = 500
_LINK_URL_CHARS = 2000

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# A URL keeps these as they are; anything else (space, |, <, >, quotes, non-ASCII) is
# percent-encoded, so a URL can never end a <url|label> link early or inject markup.
_URL_SAFE = "!#$%&'()*+,-./:;=?@[]_~"
_NUMBERED = re.compile(r":\d+$")
# Blocks that belong to one item carry its id: `<part>:<content id>[:n]`.
_ITEM_BLOCK = re.compile(
    r"^(?:item|reason|caption|card|end|shared|copy|hint|guidelines|share|done):(\d+)(?::\d+)?$"
)


@dataclass(frozen=True)
class RenderedMessage:
    """One Slack message: the notification fallback `text` and its Block Kit `blocks`."""

    text: str
    blocks: list[SlackBlock]


@dataclass(frozen=True)
class _Group:
    """The Slack blocks of one neutral block, kept together when paging, and its fallback."""

    blocks: list[SlackBlock]
    fallback: str


class _Names:
    """Hands out names unique within one scope (block ids in a view, action ids in a block)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def take(self, base: str) -> str:
        """`base`, or `base:n` when it is taken; never longer than Slack's 255 characters."""
        candidate, n = base[:_ID_CHARS], 0
        while candidate in self._used:
            n += 1
            suffix = f":{n}"
            candidate = base[: _ID_CHARS - len(suffix)] + suffix
        self._used.add(candidate)
        return candidate


@dataclass(frozen=True)
class _Context:
    """What every block renderer shares: the block ids in use, whether to show images, and
    the item the blocks belong to when they replace one item's part of a message."""

    ids: _Names
    images: bool
    scope: int | None = None

    def base(self, name: str) -> str:
        """A block id base: plain, or naming the item when the blocks are one item's."""
        return name if self.scope is None else f"done:{self.scope}"


# ---------------------------------------------------------------- public API


def escape(text: str) -> str:
    """Slack mrkdwn escaping, so page or user text cannot inject mentions or disguised links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def action_id_for(button: Button) -> str:
    """The Slack action id of a neutral button: the neutral id itself (its value is the argument).

    When one block holds the same id twice, the repeats get `:1`, `:2`… (Slack requires ids
    unique within a block); `neutral_action_id` strips that suffix again.
    """
    return button.action_id[:_ID_CHARS]


def neutral_action_id(slack_action_id: str) -> str:
    """The neutral action id behind a Slack one, without the `:n` added to keep ids unique."""
    return _NUMBERED.sub("", slack_action_id)


def render_message(
    reply: Reply, *, more_text: str = ELLIPSIS, images: bool = True
) -> RenderedMessage:
    """One message of at most 50 blocks; what does not fit is replaced by a `more_text` note."""
    ctx = _Context(ids=_Names(), images=images)
    page = _truncated(_groups(reply, ctx), size=_MESSAGE_BLOCKS, more_text=more_text, ctx=ctx)
    return RenderedMessage(text=page.fallback, blocks=page.blocks)


def render_messages(reply: Reply, *, images: bool = True) -> list[RenderedMessage]:
    """As many messages of at most 50 blocks as the reply needs, never splitting a card."""
    ctx = _Context(ids=_Names(), images=images)
    pages = _pages(_groups(reply, ctx), size=_MESSAGE_BLOCKS)
    return [RenderedMessage(text=page.fallback, blocks=page.blocks) for page in pages]


def render_home(reply: Reply, *, more_text: str = ELLIPSIS, images: bool = True) -> dict[str, Any]:
    """The App Home view: at most 100 blocks, ending in a `more_text` note when cut short."""
    ctx = _Context(ids=_Names(), images=images)
    page = _truncated(_view_groups(reply, ctx), size=_VIEW_BLOCKS, more_text=more_text, ctx=ctx)
    return {"type": "home", "blocks": page.blocks}


def render_item_blocks(
    reply: Reply, content_id: int, *, around: list[SlackBlock]
) -> list[SlackBlock]:
    """The message `around` with one item's blocks (its card or panel) swapped for `reply`'s.

    The new blocks are named after the item and never reuse a block id still in the message,
    since Slack refuses a message whose block ids repeat.
    """
    positions = [i for i, block in enumerate(around) if item_of_block(block) == content_id]
    first, last = (positions[0], positions[-1] + 1) if positions else (len(around), len(around))
    kept = [*around[:first], *around[last:]]
    ids = _Names()
    for block in kept:
        ids.take(str(block.get("block_id", "")))
    ctx = _Context(ids=ids, images=True, scope=content_id)
    new = [block for group in _groups(reply, ctx) for block in group.blocks]
    return [*around[:first], *new, *around[last:]][:_MESSAGE_BLOCKS]


def item_of_block(block: Mapping[str, Any]) -> int | None:
    """The item a block belongs to, from its block id (`card:12`, `copy:12`…), if any."""
    match = _ITEM_BLOCK.match(str(block.get("block_id", "")))
    return int(match.group(1)) if match else None


def render_modal(
    reply: Reply,
    *,
    title: str,
    callback_id: str,
    submit: str | None = None,
    close: str | None = None,
    private_metadata: str = "",
    more_text: str = ELLIPSIS,
    images: bool = True,
) -> dict[str, Any]:
    """A modal view of at most 100 blocks; Slack needs `submit` when it holds a caption input."""
    _check_modal_fields(callback_id=callback_id, private_metadata=private_metadata)
    ctx = _Context(ids=_Names(), images=images)
    page = _truncated(_view_groups(reply, ctx), size=_VIEW_BLOCKS, more_text=more_text, ctx=ctx)
    if submit is None and any(block["type"] == "input" for block in page.blocks):
        raise ValueError("a modal with an input block needs a submit label")
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": _plain(title, _VIEW_TITLE_CHARS),
        "blocks": page.blocks,
    }
    if submit is not None:
        view["submit"] = _plain(submit, _VIEW_TITLE_CHARS)
    if close is not None:
        view["close"] = _plain(close, _VIEW_TITLE_CHARS)
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


# ---------------------------------------------------------------- paging


def _groups(reply: Reply, ctx: _Context) -> list[_Group]:
    """Each neutral block's Slack blocks, leaving out blocks with nothing to show."""
    groups = [_render(block, index=index, ctx=ctx) for index, block in enumerate(reply.blocks)]
    return [group for group in groups if group.blocks]


def _view_groups(reply: Reply, ctx: _Context) -> list[_Group]:
    """As `_groups`, but never empty: Slack rejects a view without blocks."""
    return _groups(reply, ctx) or [_Group([_divider(ctx, base="empty")], "")]


def _pages(groups: Sequence[_Group], *, size: int) -> list[_Group]:
    """Groups packed into pages of at most `size` blocks, a group never split across pages."""
    pages: list[_Group] = []
    blocks: list[SlackBlock] = []
    fallback = ""
    for group in _pieces(groups, size=size):
        if blocks and len(blocks) + len(group.blocks) > size:
            pages.append(_Group(blocks, fallback))
            blocks, fallback = [], ""
        blocks.extend(group.blocks)
        fallback = fallback or group.fallback
    return [*pages, _Group(blocks, fallback)]


def _pieces(groups: Sequence[_Group], *, size: int) -> Iterator[_Group]:
    """The groups, cutting only one larger than a whole page (nothing else could carry it)."""
    for group in groups:
        for start in range(0, len(group.blocks), size):
            yield _Group(group.blocks[start : start + size], group.fallback)


def _truncated(groups: Sequence[_Group], *, size: int, more_text: str, ctx: _Context) -> _Group:
    """The first page of at most `size` blocks, with a closing note when groups were left out."""
    pages = _pages(groups, size=size)
    if len(pages) == 1:
        return pages[0]
    first = _pages(groups, size=size - 1)[0]
    note = _context(more_text, ctx=ctx, base="more")
    return _Group([*first.blocks, note], first.fallback)


def _render(block: Block, *, index: int, ctx: _Context) -> _Group:
    """The Slack blocks for one neutral block."""
    if isinstance(block, Text):
        return _text(block, index=index, ctx=ctx)
    if isinstance(block, Actions):
        return _Group(_actions(block.buttons, base=ctx.base(f"actions:{index}"), ctx=ctx), "")
    if isinstance(block, Choice):
        return _choice(block, ctx=ctx)
    if isinstance(block, DateInput):
        return _date_input(block, ctx=ctx)
    if isinstance(block, ItemSummary):
        return _item_summary(block, ctx=ctx)
    if isinstance(block, ContentCard):
        return _card(block, ctx=ctx)
    if isinstance(block, ShareReady):
        return _share(block, ctx=ctx)
    assert_never(block)


# ---------------------------------------------------------------- text


def _text(block: Text, *, index: int, ctx: _Context) -> _Group:
    """A header, or as many sections as the text needs."""
    if not block.text.strip():
        return _Group([], "")
    fallback = _fit(block.text.strip(), _TEXT_CHARS)
    if block.heading:
        header = {"type": "header", "text": _plain(block.text, _HEADER_CHARS)}
        return _Group([_with_id(header, ctx=ctx, base=ctx.base(f"text:{index}"))], fallback)
    chunks = _split_escaped(block.text, limit=_TEXT_CHARS)
    return _Group(
        [_section(chunk, ctx=ctx, base=ctx.base(f"text:{index}")) for chunk in chunks], fallback
    )


def _split_escaped(text: str, *, limit: int) -> list[str]:
    """`text` escaped, in chunks of at most `limit` characters, cut at line breaks if possible."""
    chunks: list[str] = []
    rest = text
    while rest:
        size = _fitting_prefix(rest, limit=limit)
        if size < len(rest):
            size = _break_point(rest, size)
        piece, rest = rest[:size], rest[size:]
        if piece.strip():
            chunks.append(escape(piece.strip("\n")))
    return chunks


def _fitting_prefix(text: str, *, limit: int) -> int:
    """How many characters of `text` fit in `limit` once escaped."""
    used = 0
    for position, character in enumerate(text):
        used += len(_ESCAPES.get(character, character))
        if used > limit:
            return position
    return len(text)


def _break_point(text: str, size: int) -> int:
    """Where to cut `text[:size]`: after a line break, else after a space, else at `size`."""
    for separator in ("\n", " "):
        # Only in the second half, so a break near the start does not waste a whole block.
        at = text.rfind(separator, size // 2, size)
        if at != -1:
            return at + 1
    return size


def _fit(text: str, limit: int) -> str:
    """`text` escaped and shortened with an ellipsis to at most `limit` characters."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    # An entity cut in half would show as stray "&am" text.
    amp = cut.rfind("&", max(0, len(cut) - 4))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def _clip(text: str, limit: int) -> str:
    """`text` shortened with an ellipsis to at most `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _one_line(text: str) -> str:
    """`text` with runs of whitespace (line breaks too) made single spaces."""
    return " ".join(text.split())


# ---------------------------------------------------------------- small blocks


def _plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object; Slack rejects empty text, so blank text becomes an ellipsis."""
    return {"type": "plain_text", "text": _clip(text.strip() or ELLIPSIS, limit)}


def _mrkdwn(escaped: str) -> dict[str, Any]:
    """A mrkdwn object; verbatim, so Slack does not turn a bare @channel into a mention."""
    return {"type": "mrkdwn", "text": escaped, "verbatim": True}


def _with_id(block: SlackBlock, *, ctx: _Context, base: str) -> SlackBlock:
    """`block` with a block id unique within the message or view."""
    return {**block, "block_id": ctx.ids.take(base)}


def _section(escaped: str, *, ctx: _Context, base: str) -> SlackBlock:
    """A section of already escaped mrkdwn."""
    return _with_id({"type": "section", "text": _mrkdwn(escaped)}, ctx=ctx, base=base)


def _context(text: str, *, ctx: _Context, base: str) -> SlackBlock:
    """A context line of plain text (escaped here)."""
    escaped = _fit(text.strip() or ELLIPSIS, _TEXT_CHARS)
    return _with_id({"type": "context", "elements": [_mrkdwn(escaped)]}, ctx=ctx, base=base)


def _divider(ctx: _Context, *, base: str) -> SlackBlock:
    """A divider line."""
    return _with_id({"type": "divider"}, ctx=ctx, base=base)


def _chunked(items: Sequence[T], size: int) -> list[list[T]]:
    """`items` in consecutive lists of at most `size`."""
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


# ---------------------------------------------------------------- buttons


def _actions(buttons: Sequence[Button], *, base: str, ctx: _Context) -> list[SlackBlock]:
    """Actions blocks of at most 25 buttons each, action ids unique within each block."""
    elements = [_button(button) for button in buttons]
    return [
        _with_id({"type": "actions", "elements": _unique_action_ids(chunk)}, ctx=ctx, base=base)
        for chunk in _chunked(elements, _ACTION_ELEMENTS)
    ]


def _button(button: Button) -> dict[str, Any]:
    """A button element; a link button also carries its action id and value."""
    element: dict[str, Any] = {
        "type": "button",
        "text": _plain(button.label, _BUTTON_TEXT_CHARS),
        **_action_id(action_id_for(button)),
    }
    if button.value:
        element["value"] = button.value[:_BUTTON_VALUE_CHARS]
    if button.style in ("primary", "danger"):
        element["style"] = button.style
    url = _web_url(button.url or "", limit=_URL_CHARS)
    # A link Slack would refuse (too long, not http) would sink the whole message; the
    # button then still reaches us as an action.
    if url is not None:
        element["url"] = url
    return element


def _action_id(action_id: str) -> dict[str, str]:
    """The action_id field, left out when empty (Slack rejects an empty one)."""
    return {"action_id": action_id[:_ID_CHARS]} if action_id else {}


def _unique_action_ids(elements: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The elements, repeated action ids numbered (`id`, `id:1`…), as Slack requires."""
    names = _Names()
    return [
        {**element, "action_id": names.take(element["action_id"])}
        if "action_id" in element
        else element
        for element in elements
    ]


def _web_url(url: str, *, limit: int) -> str | None:
    """`url` percent-encoded where needed, or None unless it is http(s) and fits `limit`."""
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        return None
    encoded = quote(url, safe=_URL_SAFE)
    return encoded if len(encoded) <= limit else None


# ---------------------------------------------------------------- choices


def _choice(block: Choice, *, ctx: _Context) -> _Group:
    """Input blocks of checkboxes (several) or a select (one), read when a button is pressed.

    Input blocks do not report every tick, so what a person ticks is saved only by the Save
    button of the same message, together with everything else they chose there.
    """
    options = _distinct_options(block.options)
    if not options:
        return _Group([], "")
    elements = _checkboxes(block, options) if block.multiple else [_select(block, options)]
    blocks = [
        _input_block(block.label, element, ctx=ctx, base=ctx.base(block.action_id or "choice"))
        for element in elements
    ]
    return _Group(blocks, _fit(block.label.strip(), _TEXT_CHARS))


def _input_block(label: str, element: dict[str, Any], *, ctx: _Context, base: str) -> SlackBlock:
    """An optional input block that does not report changes as they happen."""
    block = {
        "type": "input",
        "dispatch_action": False,
        "optional": True,
        "label": _plain(label, _LABEL_CHARS),
        "element": element,
    }
    return _with_id(block, ctx=ctx, base=base)


def _date_input(block: DateInput, *, ctx: _Context) -> _Group:
    """A date picker, empty unless a date is set."""
    element: dict[str, Any] = {"type": "datepicker", **_action_id(block.input_id)}
    if block.initial is not None:
        element["initial_date"] = block.initial.isoformat()
    base = ctx.base(block.input_id or "date")
    return _Group([_input_block(block.label, element, ctx=ctx, base=base)], "")


def _item_summary(summary: ItemSummary, *, ctx: _Context) -> _Group:
    """The linked title, the details and the image, in one section."""
    head = f"*{_link(summary.url, _fit(_one_line(summary.title), _CARD_TITLE_CHARS))}*"
    room = _TEXT_CHARS - len(head) - 1
    details = summary.details.strip()
    text = f"{head}\n{_fit(details, room)}" if details and room > 1 else head
    section = _section(text, ctx=ctx, base=ctx.base("summary"))
    image_url = _web_url(summary.image_url or "", limit=_URL_CHARS) if ctx.images else None
    if image_url is not None:
        section = {**section, "accessory": _image(image_url, alt=_one_line(summary.title))}
    return _Group([section], _fit(_one_line(summary.title), _TEXT_CHARS))


def _distinct_options(options: Sequence[ChoiceOption]) -> list[ChoiceOption]:
    """Options with a value not seen before (after Slack's cut): others could not be told apart."""
    seen: set[str] = set()
    kept: list[ChoiceOption] = []
    for option in options:
        value = option.value[:_OPTION_VALUE_CHARS]
        if value and value not in seen:
            seen.add(value)
            kept.append(option)
    return kept


def _option(option: ChoiceOption) -> dict[str, Any]:
    """A Slack option object."""
    return {
        "text": _plain(option.label, _OPTION_TEXT_CHARS),
        "value": option.value[:_OPTION_VALUE_CHARS],
    }


def _options(options: Sequence[ChoiceOption]) -> list[dict[str, Any]]:
    """Slack option objects."""
    return [_option(option) for option in options]


def _checkboxes(block: Choice, options: Sequence[ChoiceOption]) -> list[dict[str, Any]]:
    """Checkbox elements of at most 10 options each."""
    elements: list[dict[str, Any]] = []
    for chunk in _chunked(options, _CHECKBOX_OPTIONS):
        element: dict[str, Any] = {
            "type": "checkboxes",
            **_action_id(block.action_id),
            "options": _options(chunk),
        }
        selected = [_option(option) for option in chunk if option.selected]
        if selected:
            element["initial_options"] = selected
        elements.append(element)
    return elements


def _select(block: Choice, options: Sequence[ChoiceOption]) -> dict[str, Any]:
    """A static select; past 100 options they go in numbered groups of 100."""
    kept = options[: _SELECT_OPTIONS * _SELECT_OPTIONS]
    element: dict[str, Any] = {
        "type": "static_select",
        **_action_id(block.action_id),
        "placeholder": _plain(block.label, _PLACEHOLDER_CHARS),
    }
    if len(kept) <= _SELECT_OPTIONS:
        element["options"] = _options(kept)
    else:
        element["option_groups"] = _option_groups(kept)
    selected = next((option for option in kept if option.selected), None)
    if selected is not None:
        element["initial_option"] = _option(selected)
    return element


def _option_groups(options: Sequence[ChoiceOption]) -> list[dict[str, Any]]:
    """Options in groups of 100 labelled by position ("1–100"), needing no translation."""
    groups: list[dict[str, Any]] = []
    for start in range(0, len(options), _SELECT_OPTIONS):
        chunk = options[start : start + _SELECT_OPTIONS]
        label = f"{start + 1}–{start + len(chunk)}"
        groups.append({"label": _plain(label, _OPTION_TEXT_CHARS), "options": _options(chunk)})
    return groups


# ---------------------------------------------------------------- cards


def _card(card: ContentCard, *, ctx: _Context) -> _Group:
    """Summary, reason, caption input, buttons and a divider: one group, never split."""
    blocks = [_card_summary(card, ctx=ctx)]
    if card.reason.strip():
        blocks.append(_context(card.reason, ctx=ctx, base=f"reason:{card.content_id}"))
    blocks.append(_caption_input(card, ctx=ctx))
    blocks += _actions(card.actions, base=f"card:{card.content_id}", ctx=ctx)
    blocks.append(_divider(ctx, base=f"end:{card.content_id}"))
    return _Group(blocks, _fit(_one_line(card.title), _TEXT_CHARS))


def _card_summary(card: ContentCard, *, ctx: _Context) -> SlackBlock:
    """The linked bold title, the description and, when there is one, the image."""
    section = _section(_card_text(card), ctx=ctx, base=f"item:{card.content_id}")
    image_url = _web_url(card.image_url or "", limit=_URL_CHARS) if ctx.images else None
    if image_url is None:
        return section
    alt = _one_line(card.title) or _one_line(card.url)
    return {**section, "accessory": _image(image_url, alt=alt)}


def _image(url: str, *, alt: str) -> dict[str, Any]:
    """An image element; Slack requires a non-empty alt text."""
    return {"type": "image", "image_url": url, "alt_text": _clip(alt or ELLIPSIS, _ALT_TEXT_CHARS)}


def _card_text(card: ContentCard) -> str:
    """`*<url|title>*` and the description below it, within a section's 3000 characters."""
    head = f"*{_link(card.url, _fit(_one_line(card.title), _CARD_TITLE_CHARS))}*"
    room = _TEXT_CHARS - len(head) - 1
    description = card.description.strip()
    if not description or room < 2:
        return head
    return f"{head}\n{_fit(description, room)}"


def _link(url: str, label: str) -> str:
    """A mrkdwn link to `url` showing the escaped `label`; just the label if the URL is unfit."""
    target = _web_url(url, limit=_URL_CHARS)
    # Slack reads & as the start of an entity everywhere in mrkdwn, links included.
    target = target.replace("&", "&amp;") if target is not None else None
    if target is None or len(target) > _LINK_URL_CHARS:
        return label or ELLIPSIS
    return f"<{target}|{label}>" if label else f"<{target}>"


def _caption_input(card: ContentCard, *, ctx: _Context) -> SlackBlock:
    """The editable caption, prefilled, limited to the caption budget."""
    max_length = max(1, min(_INPUT_CHARS, card.caption_max_chars))
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": caption_input(card.content_id),
        "multiline": True,
        "max_length": max_length,
    }
    if card.caption:
        element["initial_value"] = _clip(card.caption, max_length)
    block = {
        "type": "input",
        "dispatch_action": False,
        "label": _plain(card.caption_label, _LABEL_CHARS),
        "optional": False,
        "element": element,
    }
    return _with_id(block, ctx=ctx, base=f"caption:{card.content_id}")


# ---------------------------------------------------------------- share ready


def _share(share: ShareReady, *, ctx: _Context) -> _Group:
    """Title and network, the caption to copy, the hints and the buttons: one group."""
    key = share.content_id
    blocks = [_section(_share_heading(share), ctx=ctx, base=f"shared:{key}")]
    if share.caption.strip():
        blocks.append(_preformatted(share.caption, ctx=ctx, base=f"copy:{key}"))
    if share.copy_hint.strip():
        blocks.append(_context(share.copy_hint, ctx=ctx, base=f"hint:{key}"))
    if share.guidelines.strip():
        blocks.append(_context(share.guidelines, ctx=ctx, base=f"guidelines:{key}"))
    blocks += _actions(share.actions, base=f"share:{key}", ctx=ctx)
    return _Group(blocks, _fit(_one_line(share.title), _TEXT_CHARS))


def _share_heading(share: ShareReady) -> str:
    """`*title* — network`, escaped."""
    network = _fit(_one_line(share.network_label), _CARD_TITLE_CHARS)
    title = _fit(_one_line(share.title), _TEXT_CHARS - len(network) - 5)
    parts = [f"*{title}*" if title else "", network]
    return " — ".join(part for part in parts if part) or ELLIPSIS


def _preformatted(text: str, *, ctx: _Context, base: str) -> SlackBlock:
    """Text in a code box, easy to copy; rich text is never parsed as mrkdwn, so no escaping."""
    preformatted = {
        "type": "rich_text_preformatted",
        "elements": [{"type": "text", "text": _clip(text, _PREFORMATTED_CHARS)}],
    }
    return _with_id({"type": "rich_text", "elements": [preformatted]}, ctx=ctx, base=base)


def _check_modal_fields(*, callback_id: str, private_metadata: str) -> None:
    """Refuse fields Slack would reject; cutting them would silently corrupt them."""
    if not 0 < len(callback_id) <= _ID_CHARS:
        raise ValueError("callback_id must be 1 to 255 characters")
    if len(private_metadata) > _PRIVATE_METADATA_CHARS:
        raise ValueError("private_metadata must be at most 3000 characters")
