"""Captions from an OpenAI-compatible chat model, falling back to templates on any failure."""

from __future__ import annotations

import asyncio
import logging

from openai import APIStatusError, AsyncOpenAI

from captions.models import CaptionRequest, CaptionSuggestion, CaptionWriter
from captions.prompt import RESPONSE_FORMAT, CaptionAnswerError, build_messages, parse_captions
from captions.suggestions import build_suggestion, require_room

logger = logging.getLogger(__name__)


class OpenAICaptionWriter:
    """Asks a chat model for captions once, with a hard time limit; templates otherwise."""

    reads_colleague_openings = True  # the prompt asks the model to open differently

    def __init__(
        self,
        *,
        client: AsyncOpenAI,
        model: str,
        fallback: CaptionWriter,
        timeout_seconds: float = 5.0,
    ) -> None:
        # A person is waiting in a chat: one quick attempt, never retries, then the fallback.
        self._client = client.with_options(timeout=timeout_seconds, max_retries=0)
        self._model = model
        self._fallback = fallback
        self._timeout_seconds = timeout_seconds

    async def write(self, request: CaptionRequest) -> CaptionSuggestion:
        """The model's captions, fitted to the network; the fallback's if anything goes wrong."""
        room = require_room(request)  # a link/disclosure problem is not the model's to solve
        try:
            captions = await asyncio.wait_for(self._ask(request, room), self._timeout_seconds)
            return build_suggestion(request, [(text, "llm") for text in captions])
        except Exception as error:  # any model failure must cost the person nothing
            logger.warning("Caption model failed (%s); using template captions", _describe(error))
        return await self._fallback.write(request)

    async def aclose(self) -> None:
        """Close the HTTP connections of the client this writer was given."""
        await self._client.close()

    async def _ask(self, request: CaptionRequest, room: int) -> list[str]:
        completion = await self._client.chat.completions.create(
            model=self._model,
            messages=build_messages(request, room=room),
            response_format=RESPONSE_FORMAT,
        )
        if not completion.choices:
            raise CaptionAnswerError("answer has no choices")
        return parse_captions(completion.choices[0].message.content, link=request.link)


def _describe(error: Exception) -> str:
    # Only the kind of failure: error texts from a provider can quote (part of) the API key.
    if isinstance(error, APIStatusError):
        return f"{type(error).__name__}, HTTP {error.status_code}"
    if isinstance(error, CaptionAnswerError):
        return f"unusable answer: {error}"
    return type(error).__name__
