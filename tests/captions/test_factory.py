"""Tests for choosing the caption writer from configuration."""

from __future__ import annotations

import pytest

from captions import (
    CaptionRequest,
    OpenAICaptionWriter,
    TemplateCaptionWriter,
    build_caption_writer,
)
from domain.networks import Network
from tests.captions.openai_stub import StubOpenAI

REQUEST = CaptionRequest(
    title="Our new office",
    description="",
    link="https://go.example/r/abc",
    topics=(),
    network=Network.BLUESKY,
)


@pytest.mark.parametrize(("api_key", "base_url"), [(None, None), ("", ""), (None, "")])
async def test_without_key_or_url_only_templates_are_used(
    api_key: str | None, base_url: str | None
) -> None:
    writer = build_caption_writer(api_key=api_key, base_url=base_url, model="m")
    assert isinstance(writer, TemplateCaptionWriter)
    assert (await writer.write(REQUEST)).source == "template"


async def test_a_base_url_alone_uses_the_model_with_a_placeholder_key(stub: StubOpenAI) -> None:
    stub.answer_captions(["Great to see the new office open.", "New office!", "We moved."])
    writer = build_caption_writer(api_key=None, base_url=stub.base_url, model="local-model")
    assert isinstance(writer, OpenAICaptionWriter)
    try:
        suggestion = await writer.write(REQUEST)
    finally:
        await writer.aclose()
    assert suggestion.source == "llm"
    assert stub.authorizations == ["Bearer unused"]
    assert stub.requests[0]["model"] == "local-model"


async def test_an_api_key_is_sent_and_failures_are_not_retried(stub: StubOpenAI) -> None:
    stub.status, stub.body = 503, {"error": {"message": "overloaded"}}
    writer = build_caption_writer(api_key="sk-live-key", base_url=stub.base_url, model="m")
    try:
        suggestion = await writer.write(REQUEST)
    finally:
        assert isinstance(writer, OpenAICaptionWriter)
        await writer.aclose()
    assert suggestion.source == "template"
    assert stub.authorizations == ["Bearer sk-live-key"]
