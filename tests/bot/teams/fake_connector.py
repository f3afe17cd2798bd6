"""A loopback stand-in for the Bot Framework connector: records calls, answers as scripted."""

from __future__ import annotations

import json
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Call:
    """One request the bot made: method, conversation, activity id (updates) and JSON body."""

    method: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    authorization: str | None = None


@dataclass(frozen=True)
class Answer:
    """A scripted answer: status, headers and JSON body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakeConnector:
    """Serves /v3/conversations/... on 127.0.0.1; `script` answers come first, then success."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        # Conversation members by Teams id, as GET .../members/{id} answers them.
        self.members: dict[str, dict[str, Any]] = {}
        # Every member the bot asked about, in order (found or not).
        self.member_lookups: list[str] = []
        self.script: deque[Answer] = deque()
        # The bot's side of each request's TCP connection: how many connections it opened.
        self.peers: list[tuple[str, int]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def answer(self, *answers: Answer) -> None:
        """Queue answers for the next calls."""
        self.script.extend(answers)

    async def __aenter__(self) -> FakeConnector:
        app = web.Application(middlewares=[self._peer])
        app.router.add_post("/v3/conversations/{conversation}/activities", self._post)
        # Proactive sends reply to the continuation activity's random id, as the SDKs do.
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self._post)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._put)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        self.port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def connections(self) -> int:
        """How many TCP connections the bot made to this connector."""
        return len(set(self.peers))

    @web.middleware
    async def _peer(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer is not None:
            self.peers.append((str(peer[0]), int(peer[1])))
        return await handler(request)

    async def _member(self, request: web.Request) -> web.Response:
        self.member_lookups.append(request.match_info["member"])
        found = self.members.get(request.match_info["member"])
        if found is None:
            return web.json_response({"error": {"code": "MemberNotFound"}}, status=404)
        return web.json_response(found)

    def posted_to(self, conversation_id: str) -> list[Call]:
        """The messages posted (not updates) to one conversation, in order."""
        return [
            c for c in self.calls if c.method == "POST" and c.conversation_id == conversation_id
        ]

    async def _post(self, request: web.Request) -> web.Response:
        return await self._record(request, default_id=f"act-{len(self.calls) + 1}")

    async def _put(self, request: web.Request) -> web.Response:
        return await self._record(request, default_id=request.match_info["activity"])

    async def _record(self, request: web.Request, *, default_id: str) -> web.Response:
        body = await request.json()
        self.calls.append(
            Call(
                request.method,
                request.match_info["conversation"],
                request.match_info.get("activity"),
                body,
                request.headers.get("Authorization"),
            )
        )
        if self.script:
            scripted = self.script.popleft()
            return web.Response(
                status=scripted.status,
                headers=scripted.headers,
                text=json.dumps(scripted.body),
                content_type="application/json",
            )
        return web.json_response(
            {"id": default_id}, status=201 if request.method == "POST" else 200
        )
