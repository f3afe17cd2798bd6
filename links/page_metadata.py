"""Title, description, image and site name of a web page, read from its HTML."""

from __future__ import annotations

import codecs
import contextlib
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

MAX_TITLE_LENGTH = 300
MAX_DESCRIPTION_LENGTH = 1000
_MAX_IMAGE_URL_LENGTH = 2048
_TITLE_KEYS = ("og:title", "twitter:title")
_DESCRIPTION_KEYS = ("og:description", "twitter:description", "description")
_IMAGE_KEYS = (
    "og:image",
    "og:image:secure_url",
    "og:image:url",
    "twitter:image",
    "twitter:image:src",
)
_WEB_SCHEMES = ("http", "https")
_CHARSET_SNIFF_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# The text encodings of the WHATWG Encoding Standard that Python has, by Python's codec name.
# Anything else a page names (punycode, utf-7, idna, base64, rot13, ...) is not a text
# encoding of the web, and some of them are costly or unsafe to decode: pages naming them
# are read as UTF-8. Every codec here decodes in linear time, in C.
_WEB_ENCODINGS = frozenset(
    codecs.lookup(name).name
    for name in (
        "utf-8",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "ibm866",
        *(f"iso8859-{number}" for number in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)),
        "koi8-r",
        "koi8-u",
        "mac-roman",
        "mac-cyrillic",
        "cp874",
        *(f"cp{number}" for number in range(1250, 1259)),
        "gbk",
        "gb18030",
        "big5",
        "euc-jp",
        "iso2022-jp",
        "shift-jis",
        "euc-kr",
    )
)
# Browsers read pages labelled Latin-1 or ASCII as windows-1252, as the standard says.
_WEB_ALIASES = {codecs.lookup(name).name: "cp1252" for name in ("latin-1", "ascii")}
# Preview metadata sits in <head>; past this much text a page is read no further.
_MAX_HTML_CHARS = 1024 * 1024
_FEED_CHARS = 64 * 1024


@dataclass(frozen=True)
class PageMetadata:
    """What a link preview shows about a page."""

    url: str  # canonical URL of the final page after redirects
    title: str
    description: str
    image_url: str | None  # absolute, http/https only
    site_name: str | None


class _MetaCollector(HTMLParser):
    """Gathers <meta> properties, the document <title> and <base href> in one pass."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self.base_href: str | None = None
        self._title_state = "before"  # before -> inside -> done
        self._svg_depth = 0
        self.in_body = False  # past the head: a <body> or </head> was seen

    @property
    def done(self) -> bool:
        """Whether the head is read: the body started and no <title> is still open."""
        return self.in_body and self._title_state != "inside"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "body":
            self.in_body = True
        if tag == "meta":
            self._add_meta(values)
        elif tag == "base" and self.base_href is None and values.get("href"):
            self.base_href = values["href"]
        elif tag == "svg":
            self._svg_depth += 1
        # An inline SVG icon's <title> names the icon, not the page.
        elif tag == "title" and self._title_state == "before" and not self._svg_depth:
            self._title_state = "inside"

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_body = True
        if tag == "svg":
            self._svg_depth = max(0, self._svg_depth - 1)
        elif tag == "title" and self._title_state == "inside":
            self._title_state = "done"

    def handle_data(self, data: str) -> None:
        if self._title_state == "inside":
            self.title_parts.append(data)

    def _add_meta(self, values: dict[str, str]) -> None:
        # Sites mix `property` and `name` for both Open Graph and Twitter keys.
        key = (values.get("property") or values.get("name") or "").strip().lower()
        if key and "content" in values:
            self.meta.setdefault(key, values["content"])


def read_page(body: bytes, *, header_charset: str | None, base_url: str) -> PageMetadata:
    """Decode a fetched page and read its preview metadata (CPU work: run it off the loop)."""
    return extract_metadata(decode_page(body, header_charset=header_charset), base_url=base_url)


def decode_page(body: bytes, *, header_charset: str | None) -> str:
    """Decode with the header's charset, else a <meta> charset, else UTF-8; never raises.

    Only the web's text encodings are used: a page naming any other codec is read as UTF-8.
    """
    for charset in (header_charset, _sniff_meta_charset(body)):
        codec = _web_codec(charset)
        if codec is not None:
            return body.decode(codec, errors="replace")
    return body.decode("utf-8", errors="replace")


def _web_codec(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        name = codecs.lookup(charset.strip()).name
    except (LookupError, ValueError):
        return None
    name = _WEB_ALIASES.get(name, name)
    return name if name in _WEB_ENCODINGS else None


def _sniff_meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_CHARSET_SNIFF_BYTES])
    return match.group(1).decode("ascii") if match else None


def extract_metadata(html: str, *, base_url: str) -> PageMetadata:
    """Read a page's preview metadata from its HTML; never raises, whatever the markup.

    `base_url` is the absolute http(s) address the HTML came from: relative image links
    are resolved against it and it becomes the result's `url`.
    """
    collector = _collect(html)
    meta = collector.meta
    title = (
        _first_text(meta, _TITLE_KEYS, limit=MAX_TITLE_LENGTH)
        or _clean("".join(collector.title_parts), limit=MAX_TITLE_LENGTH)
        or _fallback_title(base_url)
    )
    return PageMetadata(
        url=base_url,
        title=title,
        description=_first_text(meta, _DESCRIPTION_KEYS, limit=MAX_DESCRIPTION_LENGTH),
        image_url=_image_url(meta, base=_image_base(base_url, collector.base_href)),
        site_name=_clean(meta.get("og:site_name", ""), limit=MAX_TITLE_LENGTH) or None,
    )


def _collect(html: str) -> _MetaCollector:
    collector = _MetaCollector()
    # html.parser can still trip over pathological markup (it has raised AssertionError and
    # friends); a preview built from what was read before that point beats no preview.
    # Some markup also takes it time that grows much faster than the page: the caller runs
    # this in a worker with a time cap, and reading stops once the head is read.
    with contextlib.suppress(Exception):
        for start in range(0, min(len(html), _MAX_HTML_CHARS), _FEED_CHARS):
            collector.feed(html[start : start + _FEED_CHARS])
            if collector.done:
                break
        collector.close()
    return collector


def _first_text(meta: dict[str, str], keys: tuple[str, ...], *, limit: int) -> str:
    for key in keys:
        text = _clean(meta.get(key, ""), limit=limit)
        if text:
            return text
    return ""


def _clean(text: str, *, limit: int) -> str:
    """Drop control characters, collapse whitespace and cut to `limit` characters."""
    visible = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) != "Cc")
    collapsed = " ".join(visible.split())
    if len(collapsed) <= limit:
        return collapsed
    return collapsed[: limit - 1].rstrip() + "…"


def _fallback_title(base_url: str) -> str:
    try:
        parts = urlsplit(base_url)
        host = parts.hostname or ""
    except ValueError:
        return _clean(base_url, limit=MAX_TITLE_LENGTH)
    path = unquote(parts.path).rstrip("/")
    return _clean(host + path, limit=MAX_TITLE_LENGTH) or _clean(base_url, limit=MAX_TITLE_LENGTH)


def _image_base(base_url: str, base_href: str | None) -> str:
    if base_href is None:
        return base_url
    return _absolute_web_url(base_href, base=base_url) or base_url


def _image_url(meta: dict[str, str], *, base: str) -> str | None:
    for key in _IMAGE_KEYS:
        url = _absolute_web_url(meta.get(key, ""), base=base)
        if url is not None:
            return url
    return None


def _absolute_web_url(value: str, *, base: str) -> str | None:
    """`value` resolved against `base` if that gives a plain http(s) URL, else None."""
    text = value.strip().replace(" ", "%20")
    if not text or any(unicodedata.category(ch) == "Cc" for ch in text):
        return None
    try:
        url = urljoin(base, text)
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in _WEB_SCHEMES or not host or "@" in parts.netloc:
        return None
    return url if len(url) <= _MAX_IMAGE_URL_LENGTH else None
