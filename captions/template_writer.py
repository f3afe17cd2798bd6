"""The offline caption writer: deterministic, instant, and the fallback for the model."""

from __future__ import annotations

from captions.models import CaptionRequest, CaptionSuggestion
from captions.suggestions import build_suggestion, require_room
from captions.templates import template_drafts


class TemplateCaptionWriter:
    """Captions from per-language templates around the title and a prompt for the person's
    own reason, in an order of each person's own."""

    # Each person's own order already spreads colleagues; a fixed list of colleagues' openings
    # would only crowd everyone into the templates outside it.
    reads_colleague_openings = False

    def suggest(self, request: CaptionRequest) -> CaptionSuggestion:
        """The template suggestion for `request`, computed synchronously."""
        room = require_room(request)
        drafts = template_drafts(request, room=room)
        return build_suggestion(request, [(text, "template") for text in drafts])

    async def write(self, request: CaptionRequest) -> CaptionSuggestion:
        """The template suggestion for `request`."""
        return self.suggest(request)

    async def aclose(self) -> None:
        """Nothing to release; present so callers can close any writer the same way."""
