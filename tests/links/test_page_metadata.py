"""Preview metadata is read from real-world HTML, and garbage never breaks the reader."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from links.page_metadata import (
    MAX_DESCRIPTION_LENGTH,
    MAX_TITLE_LENGTH,
    PageMetadata,
    extract_metadata,
)

BASE = "https://blog.example.com/posts/launch"

OPEN_GRAPH_PAGE = """<!doctype html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Launch | Example Blog</title>
<meta name="description" content="Plain description">
<meta property="og:title" content="We   launched
  today!">
<meta property="og:description" content="Everything you need to know &amp; more.">
<meta property="og:image" content="/img/launch.png">
<meta property="og:site_name" content="Example Blog">
<meta name="twitter:title" content="Twitter title">
<meta name="twitter:image" content="https://cdn.example.com/tw.png">
</head><body><h1>Launch</h1></body></html>
"""


def test_open_graph_wins() -> None:
    assert extract_metadata(OPEN_GRAPH_PAGE, base_url=BASE) == PageMetadata(
        url=BASE,
        title="We launched today!",
        description="Everything you need to know & more.",
        image_url="https://blog.example.com/img/launch.png",
        site_name="Example Blog",
    )


def test_twitter_card_when_there_is_no_open_graph() -> None:
    html = """<html><head><title>Page title</title>
    <meta name="twitter:card" content="summary_large_image">
    <meta name="twitter:title" content="Card title">
    <meta name="twitter:description" content="Card description">
    <meta name="twitter:image" content="https://cdn.example.com/card.jpg">
    </head></html>"""
    metadata = extract_metadata(html, base_url=BASE)
    assert metadata.title == "Card title"
    assert metadata.description == "Card description"
    assert metadata.image_url == "https://cdn.example.com/card.jpg"
    assert metadata.site_name is None


def test_plain_title_and_meta_description() -> None:
    html = """<HTML><HEAD><TITLE>
      Caf&eacute; &#8211; Menu &amp; Prices
    </TITLE><META NAME="Description" CONTENT="Fresh  coffee&nbsp;daily"></HEAD></HTML>"""
    metadata = extract_metadata(html, base_url=BASE)
    assert metadata.title == "Café – Menu & Prices"
    assert metadata.description == "Fresh coffee daily"
    assert metadata.image_url is None


def test_empty_open_graph_title_falls_back_to_title_tag() -> None:
    html = '<meta property="og:title" content="   "><title>Real title</title>'
    assert extract_metadata(html, base_url=BASE).title == "Real title"


def test_no_title_at_all_uses_host_and_path() -> None:
    assert extract_metadata("<p>hello</p>", base_url=BASE).title == "blog.example.com/posts/launch"
    assert extract_metadata("", base_url="https://example.com/").title == "example.com"


def test_svg_icon_titles_are_not_page_titles() -> None:
    html = "<body><svg><title>Close icon</title></svg><p>text</p></body>"
    assert extract_metadata(html, base_url=BASE).title == "blog.example.com/posts/launch"


def test_first_title_tag_counts() -> None:
    html = "<title>First</title><title>Second</title>"
    assert extract_metadata(html, base_url=BASE).title == "First"


def test_relative_image_resolves_against_the_page_and_base_href() -> None:
    relative = '<meta property="og:image" content="../img/a b.png">'
    assert (
        extract_metadata(relative, base_url=BASE).image_url
        == "https://blog.example.com/img/a%20b.png"
    )
    with_base = '<base href="https://static.example.net/assets/">' + relative.replace("../", "")
    assert (
        extract_metadata(with_base, base_url=BASE).image_url
        == "https://static.example.net/assets/img/a%20b.png"
    )


def test_only_http_images_are_kept() -> None:
    html = """<meta property="og:image" content="javascript:alert(1)">
    <meta property="og:image:secure_url" content="data:image/png;base64,AAAA">
    <meta name="twitter:image" content="//cdn.example.com/fallback.png">"""
    assert extract_metadata(html, base_url=BASE).image_url == "https://cdn.example.com/fallback.png"
    only_bad = '<meta property="og:image" content="ftp://example.com/a.png">'
    assert extract_metadata(only_bad, base_url=BASE).image_url is None


def test_long_text_is_trimmed() -> None:
    html = (
        f'<meta property="og:title" content="{"t" * 1000}">'
        f'<meta name="description" content="{"d " * 2000}">'
    )
    metadata = extract_metadata(html, base_url=BASE)
    assert len(metadata.title) == MAX_TITLE_LENGTH
    assert metadata.title.endswith("…")
    assert len(metadata.description) <= MAX_DESCRIPTION_LENGTH
    assert metadata.description.startswith("d d d")


def test_control_characters_are_dropped() -> None:
    html = '<title>Hello\x00\x07 world\x1b</title><meta property="og:site_name" content=" \t ">'
    metadata = extract_metadata(html, base_url=BASE)
    assert metadata.title == "Hello world"
    assert metadata.site_name is None


def test_broken_markup_still_yields_what_was_readable() -> None:
    # html.parser raises AssertionError on the unknown marked section at the end.
    html = '<title>Unclosed <meta property="og:description" content="desc"><![foo[ bar'
    metadata = extract_metadata(html, base_url=BASE)
    assert metadata.description == "desc"
    assert metadata.title.startswith("Unclosed")


_tags = st.sampled_from(
    ["<title>", "</title>", "<meta ", 'property="og:title" ', 'content="', '">', "<svg>", "<!--",
     "<![CDATA[", "<![if", "<![foo[", "&amp;", "&#x", "<base href=", "</", "<", ">", '"', "'"]
)  # fmt: skip


@given(st.lists(st.one_of(_tags, st.text(max_size=10)), max_size=40).map("".join))
def test_garbage_never_raises(html: str) -> None:
    metadata = extract_metadata(html, base_url=BASE)
    assert metadata.title
    assert len(metadata.title) <= MAX_TITLE_LENGTH
    assert len(metadata.description) <= MAX_DESCRIPTION_LENGTH
    assert metadata.image_url is None or metadata.image_url.startswith(("http://", "https://"))
