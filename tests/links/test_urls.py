"""Shared links get one canonical spelling, and unusable links are refused with a reason."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from links.urls import MAX_URL_LENGTH, canonicalise_url, host_of


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("  HTTP://Example.COM  ", "http://example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:0080", "http://example.com/"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com?", "https://example.com/"),
        ("https://example.com.", "https://example.com/"),
        ("https://münchen.de/", "https://xn--mnchen-3ya.de/"),
        ("https://ＥＸＡＭＰＬＥ.com/", "https://example.com/"),
        ("https://[2001:DB8::0001]:8080/", "https://[2001:db8::1]:8080/"),
        ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("https://example.com/%7Euser/%41", "https://example.com/~user/A"),
        ("https://example.com/a%2Fb", "https://example.com/a%2Fb"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a/b/..", "https://example.com/a/"),
        ("https://example.com/../../x", "https://example.com/x"),
    ],
)
def test_canonical_form(raw: str, canonical: str) -> None:
    assert canonicalise_url(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (
            "https://example.com/p?utm_source=x&b=2&UTM_Medium=y&a=1&fbclid=z",
            "https://example.com/p?a=1&b=2",
        ),
        (
            "https://example.com/?gclid=1&dclid=2&msclkid=3&mc_cid=4&mc_eid=5&igshid=6"
            "&_hsenc=7&_hsmi=8&ref_src=9&yclid=10",
            "https://example.com/",
        ),
        ("https://example.com/?b=1&a=&c&&a=2", "https://example.com/?a=&a=2&b=1&c"),
        ("https://example.com/?q=caf%c3%a9+bar&x=%41", "https://example.com/?q=caf%C3%A9+bar&x=A"),
        ("https://example.com/?next=/a?b%3Dc", "https://example.com/?next=/a?b%3Dc"),
        ("https://example.com/?utm=keep", "https://example.com/?utm=keep"),
    ],
)
def test_query_cleaning(raw: str, canonical: str) -> None:
    assert canonicalise_url(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("http://2130706433/", "http://127.0.0.1/"),
        ("http://0177.0.0.1/", "http://127.0.0.1/"),
        ("http://0x7f.0.0.1/", "http://127.0.0.1/"),
        ("http://0x7f000001/", "http://127.0.0.1/"),
        ("http://127.1/", "http://127.0.0.1/"),
        ("http://10.1/", "http://10.0.0.1/"),
        ("http://169.254.43518/", "http://169.254.169.254/"),
        ("http://１２７.０.０.１/", "http://127.0.0.1/"),
    ],
)
def test_legacy_ipv4_spellings_become_dotted_quads(raw: str, canonical: str) -> None:
    assert canonicalise_url(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "url.empty"),
        ("   ", "url.empty"),
        ("https://example.com/" + "a" * MAX_URL_LENGTH, "url.too_long"),
        ("ftp://example.com/file", "url.scheme"),
        ("file:///etc/passwd", "url.scheme"),
        ("javascript:alert(1)", "url.scheme"),
        ("example.com/page", "url.scheme"),
        ("http://", "url.no_host"),
        ("http:///path", "url.no_host"),
        ("https://user:secret@example.com/", "url.credentials"),
        ("https://user@example.com/", "url.credentials"),
        ("https://example.com\\@evil.com/", "url.credentials"),
        ("https://example.com:0/", "url.bad_port"),
        ("https://example.com:65536/", "url.bad_port"),
        ("https://example.com:http/", "url.bad_port"),
        ("https://exa mple.com/", "url.bad_host"),
        ("https://example..com/", "url.bad_host"),
        ("https://1.2.3.4.5/", "url.bad_host"),
        ("https://256.0.0.1/", "url.bad_host"),
        ("https://0x1g.0x/", "url.bad_host"),
        ("https://09.0.0.1/", "url.bad_host"),
        ("https://example.09/", "url.bad_host"),
        ("https://[fe80::1%25eth0]/", "url.bad_host"),
        ("https://[not-an-address]/", "url.malformed"),
        ("https://example.com/\x00", "url.malformed"),
        ("https://exam\nple.com/", "url.malformed"),
    ],
)
def test_refusals_have_a_code_and_a_plain_message(raw: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        canonicalise_url(raw)
    assert caught.value.code == code
    assert caught.value.message and "{" not in caught.value.message


def test_messages_name_the_offending_part() -> None:
    with pytest.raises(InvalidInput, match=r"\(99999\)"):
        canonicalise_url("https://example.com:99999/")
    with pytest.raises(InvalidInput, match=r"2049 characters"):
        canonicalise_url("https://example.com/" + "a" * (MAX_URL_LENGTH + 1 - 20))


def test_encoding_that_grows_past_the_limit_is_refused() -> None:
    # 500 characters that each become a 6-character escape: short input, long canonical form.
    with pytest.raises(InvalidInput) as caught:
        canonicalise_url("https://example.com/" + "é" * 500)
    assert caught.value.code == "url.too_long"


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("https://WWW.Example.com:8080/x", "www.example.com"),
        ("https://münchen.de", "xn--mnchen-3ya.de"),
        ("http://[::1]:80/", "::1"),
        ("http://2130706433/", "127.0.0.1"),
    ],
)
def test_host_of(raw: str, host: str) -> None:
    assert host_of(raw) == host


def test_host_of_refuses_what_canonicalise_refuses() -> None:
    with pytest.raises(InvalidInput) as caught:
        host_of("ftp://example.com/")
    assert caught.value.code == "url.scheme"


_url_chars = st.characters(codec="utf-8", min_codepoint=0x20)
_hosts = st.one_of(
    st.sampled_from(["example.com", "EXAMPLE.org", "münchen.de", "127.1", "[::1]", "0x7f.1"]),
    st.from_regex(r"[a-zA-Z0-9]{1,10}(\.[a-zA-Z0-9-]{1,10}){0,3}", fullmatch=True),
)
_query_keys = st.one_of(
    st.sampled_from(["utm_source", "UTM_campaign", "fbclid", "gclid", "a", "b", "q"]),
    st.text(_url_chars, max_size=5),
)
_queries = st.lists(st.tuples(_query_keys, st.text(_url_chars, max_size=8)), max_size=5).map(
    lambda pairs: "&".join(f"{key}={value}" for key, value in pairs)
)
_url_like = st.builds(
    "{}://{}{}/{}?{}#{}".format,
    st.sampled_from(["http", "https", "HTTPS", "ftp"]),
    _hosts,
    st.sampled_from(["", ":80", ":443", ":8080", ":0"]),
    st.text(_url_chars, max_size=20),
    _queries,
    st.text(_url_chars, max_size=5),
)
_any_text = st.one_of(st.text(), st.text(_url_chars), _url_like)


@given(_any_text)
def test_only_ever_refuses_with_invalid_input(raw: str) -> None:
    try:
        canonicalise_url(raw)
    except InvalidInput as error:
        assert error.code.startswith("url.")


@given(_url_like)
def test_accepted_urls_are_idempotent_http_with_a_host(raw: str) -> None:
    try:
        canonical = canonicalise_url(raw)
    except InvalidInput:
        return
    assert canonicalise_url(canonical) == canonical
    parts = urlsplit(canonical)
    assert parts.scheme in {"http", "https"}
    assert parts.hostname
    assert not parts.fragment
    assert len(canonical) <= MAX_URL_LENGTH
    assert canonical.isascii()
    names = [name.lower() for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    assert not any(name.startswith("utm_") or name in {"fbclid", "gclid"} for name in names)


@given(_url_like)
def test_query_parameters_come_out_sorted(raw: str) -> None:
    try:
        canonical = canonicalise_url(raw)
    except InvalidInput:
        return
    query = urlsplit(canonical).query
    names = [pair.partition("=")[0] for pair in query.split("&")] if query else []
    assert names == sorted(names)
