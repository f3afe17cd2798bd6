"""Turning drafts into a suggestion: fitted, distinct variants and this person's starting pick."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from captions.fitting import MIN_CAPTION_ROOM, caption_room, fit_caption, no_room_error
from captions.models import CaptionRequest, CaptionSource, CaptionSuggestion
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
    """The editorial caption (if any) then `drafts`, fitted and de-duplicated, topped up with
    template drafts to at least MIN_VARIANTS; the person's pick is chosen from `person_key`.
    """
    room = require_room(request)
    variants = _fitted(request, [*_editorial(request), *drafts])
    if len(variants) < MIN_VARIANTS:
        padded = _fitted(request, [*variants, *_template_padding(request, room)])
        variants = padded[:MIN_VARIANTS]
    text, source = variants[pick_index(request, len(variants))]
    return CaptionSuggestion(tuple(text for text, _ in variants), text, source)


def pick_index(request: CaptionRequest, count: int) -> int:
    """A stable index in [0, count) that differs between people and between contents.

    Mixing in the content means one person does not get the same template every week.
    """
    key = "\x1f".join((request.person_key, request.network, request.link, request.title))
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count


def _editorial(request: CaptionRequest) -> list[Draft]:
    return [(request.editorial_caption, "editorial")] if request.editorial_caption else []


def _template_padding(request: CaptionRequest, room: int) -> list[Draft]:
    texts = [*template_drafts(request, room=room), *short_drafts(request.locale)]
    return [(text, "template") for text in texts]


def _fitted(request: CaptionRequest, drafts: Iterable[Draft]) -> list[Draft]:
    kept: list[Draft] = []
    # A draft that is nothing but the disclosure says nothing; treat it as seen already.
    seen = {_variant_key(_fit(request, ""))}
    for text, source in drafts:
        fitted = _fit(request, text)
        key = _variant_key(fitted)
        if key not in seen:
            seen.add(key)
            kept.append((fitted, source))
    return kept


def _fit(request: CaptionRequest, text: str) -> str:
    return fit_caption(
        text, network=request.network, link=request.link, disclosure=request.disclosure
    )


def _variant_key(text: str) -> str:
    # Case and spacing alone do not make a different caption.
    return " ".join(text.casefold().split())
