"""Choosing the caption writer from configuration."""

from __future__ import annotations

from openai import AsyncOpenAI

from captions.models import CaptionWriter
from captions.openai_writer import OpenAICaptionWriter
from captions.template_writer import TemplateCaptionWriter

# Local OpenAI-compatible servers (llama.cpp, Ollama, vLLM) ignore the key but the client needs one.
PLACEHOLDER_API_KEY = "unused"


def build_caption_writer(
    *, api_key: str | None, base_url: str | None, model: str, timeout_seconds: float = 5.0
) -> CaptionWriter:
    """A model-backed writer when an API key or a base URL is configured, else templates only."""
    templates = TemplateCaptionWriter()
    if not api_key and not base_url:
        return templates
    client = AsyncOpenAI(
        api_key=api_key or PLACEHOLDER_API_KEY,
        base_url=base_url or None,
        timeout=timeout_seconds,
        max_retries=0,
    )
    return OpenAICaptionWriter(
        client=client, model=model, fallback=templates, timeout_seconds=timeout_seconds
    )
