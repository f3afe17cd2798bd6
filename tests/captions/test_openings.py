"""How captions open: first words without case, punctuation, names; bounded lists of them."""

from __future__ import annotations

from captions import avoidable_openings, opening
from captions.openings import MAX_AVOIDED_OPENINGS, opening_words, starts_alike


def test_the_first_five_words_ignoring_case_and_punctuation() -> None:
    assert opening_words("Just read “How we cut our bill”. [why]") == (
        "just",
        "read",
        "how",
        "we",
        "cut",
    )
    assert opening("JUST read: how, we cut it all") == "just read how we cut"
    assert opening("🚀🚀") == ""


def test_mentions_and_addresses_name_no_one() -> None:
    assert opening("Thanks @jan.devries and @Ana for this") == "thanks and for this"
    assert "example" not in opening("Mail jan@example.org about it")


def test_starting_alike_is_one_being_the_other_s_first_words() -> None:
    assert starts_alike(("just", "read"), ("just", "read", "how", "we", "cut"))
    assert starts_alike(("worth", "a", "read"), ("worth", "a"))
    assert not starts_alike(("just", "read"), ("just", "saw"))
    assert not starts_alike((), ("just",))


def test_avoidable_openings_are_distinct_bounded_and_short() -> None:
    captions = [f"Caption number {n} opens like this and goes on and on" for n in range(30)]
    openings = avoidable_openings(["Same start here, one", "same start here, two!", *captions])
    assert openings[0] == "same start here one"
    assert openings[1] == "same start here two"
    assert len(openings) == MAX_AVOIDED_OPENINGS
    assert all(len(o.split()) <= 5 and len(o) <= 60 for o in openings)
    assert avoidable_openings(["", "  ", "!!"]) == ()
