"""Turning drafts into a suggestion: the editorial caption first, then distinct fitted variants."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from captions.fitting import MIN_CAPTION_ROOM, caption_room, fit_caption, no_room_error
from captions.models import CaptionRequest, CaptionSource, CaptionSuggestion
from captions.openings import Opening, opening_words
from captions.templates import short_drafts, template_drafts

MIN_VARIANTS = 3

Draft = tuple[str, CaptionSource]


def require_room(request: CaptionRequest) -> int:
    """Characters left for the caption's words; InvalidInput 'caption.no_room' when too few."""
    room = caption_room(network=request.network, link=request.link, disclosure=request.disclosure)
    # The short drafts must fit untrimmed, or the variants could not stay distinct.
    if room < MIN_CAPTION_ROOM:
        raise no_room_error(network=request.network, room=room)
    return room


def build_suggestion(request: CaptionRequest, drafts: Sequence[Draft]) -> CaptionSuggestion:
    """The editorial caption (if any) then `drafts`, fitted, none opening like an earlier one,
    topped up with template drafts to at least MIN_VARIANTS; the person starts from the first.

    The content team's caption comes first for everyone, so everyone sees it; the variants that
    follow are this person's own.
    """
    room = require_room(request)
    variants = _fitted(request, [*_editorial(request), *drafts])
    if len(variants) < MIN_VARIANTS:
        padded = _fitted(request, [*variants, *_template_padding(request, room)])
        variants = padded[: max(MIN_VARIANTS, len(variants))]
    text, source = variants[0]
    return CaptionSuggestion(tuple(text for text, _ in variants), text, source)


def _editorial(request: CaptionRequest) -> list[Draft]:
    return [(request.editorial_caption, "editorial")] if request.editorial_caption else []


def _template_padding(request: CaptionRequest, room: int) -> list[Draft]:
    texts = [*template_drafts(request, room=room), *short_drafts(request.locale)]
    return [(text, "template") for text in texts]


def _fitted(request: CaptionRequest, drafts: Iterable[Draft]) -> list[Draft]:
    kept: list[Draft] = []
    # A draft that is nothing but the disclosure says nothing; treat it as seen already.
    seen = {_variant_key(_fit(request, ""))}
    openings: set[Opening] = set()
    for text, source in drafts:
        fitted = _fit(request, text)
        key, first_words = _variant_key(fitted), opening_words(fitted)
        # Two variants opening with the same words read as one template, however they end.
        if key not in seen and first_words not in openings:
            seen.add(key)
            if first_words:  # captions without words (emoji only) have no opening to compare
                openings.add(first_words)
            kept.append((fitted, source))
    return kept


def _fit(request: CaptionRequest, text: str) -> str:
    return fit_caption(
        text, network=request.network, link=request.link, disclosure=request.disclosure
    )


def _variant_key(text: str) -> str:
    # Case and spacing alone do not make a different caption.
    return " ".join(text.casefold().split())
