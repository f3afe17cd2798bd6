"""Spotting a prompt like "[why this matters to you]" still in a caption about to be posted."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from captions import require_filled, unfilled_placeholder
from captions.phrasebooks import PHRASEBOOKS
from domain.errors import InvalidInput

PROMPTS = [prompt for book in PHRASEBOOKS.values() for prompt in book.prompts]


@pytest.mark.parametrize("prompt", PROMPTS)
def test_every_prompt_of_every_language_is_found(prompt: str) -> None:
    assert unfilled_placeholder(f"Just read “Our report”. {prompt} #AI") == prompt
    assert unfilled_placeholder(prompt.upper().replace(" ", "  ")) == prompt.upper().replace(
        " ", "  "
    )


@pytest.mark.parametrize(
    ("caption", "found"),
    [
        (
            "Great read [why this matters to you: we run this]",
            "[why this matters to you: we run this]",
        ),
        ("Read this [why this matters… (I work at Acme)", "[why this matters…"),
        ("Lees dit. [wat jou opviel]", "[wat jou opviel]"),
    ],
)
def test_edited_or_cut_prompts_are_still_found(caption: str, found: str) -> None:
    assert unfilled_placeholder(caption) == found


@pytest.mark.parametrize(
    "caption",
    [
        "Great read: it saves our team hours every week.",
        "Great read [because we run this at scale]",
        "Our [internal] tooling, finally written up",
        "why this matters to you: our bill went down",  # the words, but not as a prompt
        "Read this [why",  # too little left to tell
    ],
)
def test_own_words_and_other_brackets_pass(caption: str) -> None:
    assert unfilled_placeholder(caption) is None
    require_filled(caption)


def test_require_filled_names_the_prompt() -> None:
    with pytest.raises(InvalidInput) as refused:
        require_filled("Just read it. [what you took from it]")
    assert refused.value.code == "caption.placeholder"
    assert refused.value.params == {"placeholder": "[what you took from it]"}


@given(text=st.text(max_size=300))
def test_never_fails_on_any_text(text: str) -> None:
    found = unfilled_placeholder(text)
    assert found is None or found.startswith("[")
