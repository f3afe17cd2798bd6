"""Caption suggestions for shares: model-written or templated, always sized to the network."""

from __future__ import annotations

from captions.factory import build_caption_writer
from captions.fitting import (
    MIN_CAPTION_ROOM,
    caption_fits,
    caption_length,
    caption_room,
    check_final_caption,
    fit_caption,
)
from captions.models import CaptionRequest, CaptionSource, CaptionSuggestion, CaptionWriter
from captions.openai_writer import OpenAICaptionWriter
from captions.openings import avoidable_openings, opening
from captions.placeholders import require_filled, unfilled_placeholder
from captions.rewrite import rewrite_ratio
from captions.suggestions import MIN_VARIANTS
from captions.template_writer import TemplateCaptionWriter

__all__ = [
    "MIN_CAPTION_ROOM",
    "MIN_VARIANTS",
    "CaptionRequest",
    "CaptionSource",
    "CaptionSuggestion",
    "CaptionWriter",
    "OpenAICaptionWriter",
    "TemplateCaptionWriter",
    "avoidable_openings",
    "build_caption_writer",
    "caption_fits",
    "caption_length",
    "caption_room",
    "check_final_caption",
    "fit_caption",
    "opening",
    "require_filled",
    "rewrite_ratio",
    "unfilled_placeholder",
]
