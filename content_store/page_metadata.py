"""Title, description, image and site name of a web page, read from its HTML."""

from __future__ import annotations

import contextlib
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

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
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
    with contextlib.suppress(Exception):
        collector.feed(html)
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
