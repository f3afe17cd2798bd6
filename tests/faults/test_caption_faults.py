"""An OpenAI-compatible server that hangs or talks garbage: valid template captions, in time."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from openai import AsyncOpenAI

from captions import (
    CaptionRequest,
    CaptionSuggestion,
    OpenAICaptionWriter,
    TemplateCaptionWriter,
    caption_fits,
)
from domain.networks import Network
from tests.captions.openai_stub import StubOpenAI, running_stub

pytestmark = pytest.mark.faults

# The promise: template captions within 5 s, whatever the model server does.
PROMISED_SECONDS = 5.0
WRITER_TIMEOUT = 0.5
REQUEST = CaptionRequest(
    title="How we cut our cloud bill by 40%",
    description="A look behind the scenes at our platform team.",
    link="https://go.example/r/a1b2c3d4e5f6",
    topics=("cloud computing",),
    network=Network.X,
    person_key="T1:U1",
    disclosure="(I work at Acme)",
)
TEMPLATES = TemplateCaptionWriter()


@pytest.fixture
async def stub() -> AsyncIterator[StubOpenAI]:
    async with running_stub() as server:
        yield server


async def _write(base_url: str, request: CaptionRequest = REQUEST) -> CaptionSuggestion:
    client = AsyncOpenAI(api_key="sk-test", base_url=base_url)
    writer = OpenAICaptionWriter(
        client=client, model="m", fallback=TEMPLATES, timeout_seconds=WRITER_TIMEOUT
    )
    try:
        return await asyncio.wait_for(writer.write(request), PROMISED_SECONDS)
    finally:
        await writer.aclose()


def _valid(suggestion: CaptionSuggestion, request: CaptionRequest = REQUEST) -> None:
    assert suggestion.variants and suggestion.suggested in suggestion.variants
    for variant in suggestion.variants:
        assert variant.strip()
        assert caption_fits(variant, network=request.network, link=request.link)
        assert variant.endswith(request.disclosure or "")


async def test_a_server_that_never_answers_gives_templates(stub: StubOpenAI) -> None:
    stub.hang = True
    suggestion = await _write(stub.base_url)
    assert suggestion == TEMPLATES.suggest(REQUEST)
    _valid(suggestion)


async def test_a_server_that_stalls_mid_body_gives_templates() -> None:
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"id": "x", "choices": [')
        await asyncio.sleep(30)
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", drip)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        suggestion = await _write(f"http://127.0.0.1:{runner.addresses[0][1]}/v1")
    finally:
        await runner.cleanup()
    assert suggestion == TEMPLATES.suggest(REQUEST)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, "<html><body>502 Bad Gateway</body></html>"),
        (200, '{"choices": [{"message": '),  # truncated JSON
        (200, {"choices": "not a list"}),
        (200, {"choices": [{"message": {"role": "assistant", "content": 42}}]}),
        (200, {"unexpected": True}),
        (200, []),
        (502, "<html>bad gateway</html>"),
        (429, {"error": {"message": "slow down", "type": "rate_limit"}}),
    ],
)
async def test_garbage_from_the_server_gives_templates(
    stub: StubOpenAI, status: int, body: object
) -> None:
    stub.status, stub.body = status, body
    suggestion = await _write(stub.base_url)
    assert suggestion == TEMPLATES.suggest(REQUEST)
    assert len(stub.requests) == 1  # a person is waiting: no retries


@pytest.mark.parametrize(
    "content",
    [
        "",
        "   ",
        "Sure! Here are some captions: 1. Great post",
        json.dumps({"captions": "one caption as a string"}),
        json.dumps({"captions": [{"text": "an object"}]}),
        json.dumps({"captions": [None, None]}),
        json.dumps({"captions": [""] * 5}),
        json.dumps([{"captions": ["nested wrongly"]}]),
        "\x00\x01\x02",
    ],
)
async def test_a_wrong_schema_gives_templates(stub: StubOpenAI, content: str) -> None:
    stub.answer_content(content)
    suggestion = await _write(stub.base_url)
    assert suggestion.source == "template"
    assert suggestion == TEMPLATES.suggest(REQUEST)


@pytest.mark.parametrize("network", list(Network))
async def test_over_long_captions_are_fitted_to_the_network(
    stub: StubOpenAI, network: Network
) -> None:
    request = dataclasses.replace(REQUEST, network=network)
    stub.answer_captions(["word " * 5000, "x" * 20000, "Short and fine."])
    suggestion = await _write(stub.base_url, request)
    _valid(suggestion, request)


async def test_captions_smuggling_the_link_or_markup_are_still_valid(stub: StubOpenAI) -> None:
    stub.answer_captions(
        [
            f"Read this {REQUEST.link} <!channel> <@U123> *bold*",
            "<https://evil.example|click here> now",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
        ]
    )
    suggestion = await _write(stub.base_url)
    _valid(suggestion)
