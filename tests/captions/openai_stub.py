"""A loopback OpenAI-compatible chat completions server whose answer each test chooses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web


class StubOpenAI:
    """Records every request to /v1/chat/completions and answers as told."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str] = []
        self.status = 200
        self.body: object = {}
        self.hang = False
        self.base_url = ""
        self._released = asyncio.Event()

    def answer_content(self, content: str | None) -> None:
        """Answer 200 with one choice whose message content is `content`."""
        message = {"role": "assistant", "content": content, "refusal": None}
        choice = {"index": 0, "finish_reason": "stop", "message": message}
        self.body = _completion([choice])

    def answer_captions(self, captions: list[Any]) -> None:
        """Answer 200 with a structured-output message holding `captions`."""
        self.answer_content(json.dumps({"captions": captions}))

    def release(self) -> None:
        """Let hanging requests finish so the server can stop."""
        self._released.set()

    def system_prompt(self) -> str:
        """The system message of the last request."""
        return str(self.requests[-1]["messages"][0]["content"])

    def user_prompt(self) -> str:
        """The user message of the last request."""
        return str(self.requests[-1]["messages"][1]["content"])

    async def handle(self, request: web.Request) -> web.Response:
        """Record the request, then hang or answer."""
        self.requests.append(await request.json())
        self.authorizations.append(request.headers.get("Authorization", ""))
        if self.hang:
            await self._released.wait()
        if isinstance(self.body, str):
            return web.Response(status=self.status, text=self.body)
        return web.json_response(self.body, status=self.status)


def _completion(choices: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 0,
        "model": "stub-model",
        "choices": choices,
    }


def empty_completion() -> dict[str, Any]:
    """A completion without any choice."""
    return _completion([])


@asynccontextmanager
async def running_stub() -> AsyncIterator[StubOpenAI]:
    """A StubOpenAI served on 127.0.0.1 at a free port, with `base_url` set."""
    stub = StubOpenAI()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", stub.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        stub.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
        yield stub
    finally:
        stub.release()
        await runner.cleanup()
