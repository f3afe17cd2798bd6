"""LinkedIn's little text: what a reader sees survives, nothing reserved is left bare."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from publishing.little_text import escape, unescape, unescaped_reserved


def test_reserved_characters_are_escaped_and_hashtags_kept() -> None:
    text = "Our launch (finally!) — 50% off_now @ #Launch2026 <3 [beta] {x} a*b~c \\ | done #AI"
    little = escape(text)
    assert "{hashtag|\\#|Launch2026}" in little and "{hashtag|\\#|AI}" in little
    assert "\\(finally!\\)" in little and "\\_" in little and "\\@" in little
    assert unescaped_reserved(little) == []
    assert unescape(little) == text


def test_a_hash_that_is_not_a_hashtag_is_escaped() -> None:
    assert escape("Room # 4 and C#") == "Room \\# 4 and C\\#"


@given(st.text(max_size=200))
def test_any_text_round_trips_with_nothing_reserved_left_bare(text: str) -> None:
    little = escape(text)
    assert unescaped_reserved(little) == []
    assert unescape(little) == text
