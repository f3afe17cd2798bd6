"""LinkedIn's "little" text format for post commentary: reserved characters escaped.

Unescaped, a reserved character can make LinkedIn cut the post short, so every one is
escaped with a backslash, except a hashtag, which becomes LinkedIn's hashtag template.
"""

from __future__ import annotations

import re

RESERVED = frozenset("\\|{}@[]()<>#*_~")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_TEMPLATE = re.compile(r"\{hashtag\|\\#\|(\w+)\}")


def escape(text: str) -> str:
    """`text` as little text: `#tag` as a hashtag template, reserved characters escaped."""
    out: list[str] = []
    position = 0
    for match in _HASHTAG.finditer(text):
        out.append(_escape_plain(text[position : match.start()]))
        out.append("{hashtag|\\#|" + match.group(1) + "}")
        position = match.end()
    out.append(_escape_plain(text[position:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    return "".join("\\" + char if char in RESERVED else char for char in text)


def unescape(little: str) -> str:
    """The text a reader sees (for tests and fakes): templates and escapes undone."""
    shown = _TEMPLATE.sub(lambda match: "#" + match.group(1), little)
    return re.sub(r"\\(.)", r"\1", shown)


def unescaped_reserved(little: str) -> list[str]:
    """Reserved characters left unescaped outside hashtag templates (what LinkedIn truncates at)."""
    plain = _TEMPLATE.sub("", little)
    found, index = [], 0
    while index < len(plain):
        char = plain[index]
        if char == "\\" and index + 1 < len(plain):
            index += 2
            continue
        if char in RESERVED:
            found.append(char)
        index += 1
    return found
