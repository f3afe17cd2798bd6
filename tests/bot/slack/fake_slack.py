"""A fake Slack on loopback, as strict as Slack: the Web API, response URLs, triggers and surfaces.

It records every call, refuses what Slack refuses (answering the way Slack does) and keeps what
each person sees: DMs and channel messages, ephemeral messages, the Home tab and open modals.
Every refusal caused by the app is a *violation*; the `tests.bot.slack.strict` plugin fails
the test that caused one unless the test declared it (`allow`, `expect`).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
import random
import time
import weakref
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from tests.bot.slack.block_rules import (
    MESSAGE_BLOCKS_MAX,
    MESSAGE_TEXT_MAX,
    VIEW_BLOCKS_MAX,
    block_problems,
    message_problems,
    view_problems,
    view_response_problems,
)

__all__ = [
    "MESSAGE_BLOCKS_MAX",
    "VIEW_BLOCKS_MAX",
    "FakeSlack",
    "SlackCall",
    "Violation",
    "block_problems",
    "view_problems",
]

# Slack's own ts values look like this; ours count up from here in steps of 100 µs.
FIRST_TS_MICROS = 1_700_000_000_000_100
TS_STEP_MICROS = 100
# A trigger_id may open a modal once, within three seconds of the interaction
# (https://api.slack.com/interactivity/handling#modal_responses).
TRIGGER_SECONDS = 3.0
# A response_url may be used five times within thirty minutes
# (https://api.slack.com/interactivity/handling#message_responses).
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60
# views.push may stack at most three views (https://api.slack.com/methods/views.push).
MODAL_STACK_MAX = 3

Args = dict[str, Any]
Payload = dict[str, Any]

# Every started fake, so the strict plugin can check the ones a test used.
LIVE: weakref.WeakSet[FakeSlack] = weakref.WeakSet()


@dataclass
class SlackCall:
    """One Web API call as received: method, arguments (token removed), token and arrival time.

    `status` and `error` are filled in once the fake has answered, so a test can tell the
    rate-limited or failed attempts from the one that went through.
    """

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    status: int = 200
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the call was answered with HTTP 200 and `"ok": true`."""
        return self.status == 200 and self.error is None


@dataclass(frozen=True)
class Violation:
    """Something the app sent that Slack refuses: where, Slack's error code, and why."""

    method: str
    error: str
    details: tuple[str, ...]
    seq: int = 0

    def __str__(self) -> str:
        return f"{self.method}: {self.error}: {'; '.join(self.details)}"


@dataclass(frozen=True)
class _Expectation:
    error: str
    method: str | None

    def covers(self, violation: Violation) -> bool:
        return violation.error == self.error and self.method in (None, violation.method)


@dataclass
class Trigger:
    """A trigger_id the fake handed out with an interaction."""

    user: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    """A response_url: whose it is, where it answers, and the message it may replace."""

    name: str
    user: str | None
    channel: str | None
    # ("message", channel, ts) or ("ephemeral", ts); None for a slash command.
    source: tuple[str, ...] | None
    issued_at: float
    uses: int = 0


@dataclass
class Ephemeral:
    """A message only `user` sees (chat.postEphemeral, or a response_url answer)."""

    user: str
    channel: str
    ts: str
    text: str
    blocks: list[Any] | None
    deleted: bool = False

    def as_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "message", "text": self.text, "ts": self.ts}
        if self.blocks is not None:
            message["blocks"] = self.blocks
        return message


@dataclass(frozen=True)
class Change:
    """One change to what somebody sees, in order: kind is message, ephemeral, home or modal."""

    seq: int
    audience: str  # a user id, or "*" for a channel everybody may read
    kind: str
    key: str


@dataclass
class Channel:
    """A channel the fake knows: its name, members and whether the bot is one of them."""

    id: str
    name: str
    members: set[str] = field(default_factory=set)
    bot_member: bool = True
    is_private: bool = False


@dataclass(frozen=True)
class _Answer:
    status: int
    body: Payload
    headers: dict[str, str]

    @classmethod
    def success(cls, payload: Payload) -> _Answer:
        return cls(200, {"ok": True, **payload}, {})

    @classmethod
    def failure(cls, error: str, *, status: int = 200, retry_after: int | None = None) -> _Answer:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls(status, {"ok": False, "error": error}, headers)


class _Rejected(Exception):
    """Raised by a method handler to answer `{"ok": false, "error": ..., "errors": [...]}`."""

    def __init__(self, error: str, problems: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.problems = problems or []


class FakeSlack:
    """A loopback Slack for `AsyncWebClient(base_url=slack.base_url)` and response URLs.

    Every call lands in `calls`. Invalid Block Kit, missing arguments, stale triggers and the
    like are answered the way Slack answers them and recorded in `violations` (and, as text,
    in `problems`).
    """

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test",  # noqa: S107 - a made-up token for tests
        team_id: str = "T-TEST",
        latency: float = 0.0,
        app_token: str = "xapp-test",  # noqa: S107 - a made-up token for tests
        scopes: frozenset[str] = frozenset({"chat:write", "im:write", "users:read"}),
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.scopes = scopes
        # Where apps.connections.open sends Socket Mode clients; a test sets it.
        self.socket_url: str | None = None
        self.team_id = team_id
        self.latency = latency
        self.calls: list[SlackCall] = []
        self.violations: list[Violation] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.ephemerals: dict[str, Ephemeral] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, str] = {}
        # Each person's open modals, the one on top last.
        self.modal_stacks: defaultdict[str, list[str]] = defaultdict(list)
        self.view_owners: dict[str, str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.changes: list[Change] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.rate_limit_per_second: float | None = None
        # Slack limits posting separately from its other tiers; the bucket models posting.
        self.rate_limited_methods = {"chat.postMessage"}
        self._expected: list[_Expectation] = []
        self._declared: set[int] = set()
        self._reported = 0
        self._skew = 0.0
        self._seq = itertools.count(1)
        self._faults: defaultdict[str, deque[_Answer]] = defaultdict(deque)
        # Calls that take effect and are then answered as failures: (share, generator, kinds).
        self._done_then_failed: dict[str, tuple[float, random.Random, Iterator[str]]] = {}
        self.ambiguous: Counter[str] = Counter()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._ts = itertools.count(FIRST_TS_MICROS, TS_STEP_MICROS)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._methods: dict[str, Callable[[Args], Payload]] = {
            "auth.test": self._auth_test,
            "team.info": self._team_info,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "views.update": self._views_update,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        # Uploads may be larger than aiohttp's 1 MiB default body limit.
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/response/{token}", self._handle_response_url)
        app.router.add_get("/stats", self._handle_stats)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        LIVE.add(self)

    async def stop(self) -> None:
        """Stop listening; safe to call twice."""
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def root_url(self) -> str:
        """`http://127.0.0.1:PORT` of the running server."""
        if self._port is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """The Web API base URL to give `AsyncWebClient`: `http://127.0.0.1:PORT/api/`."""
        return f"{self.root_url}/api/"

    # -- the fake's clock ------------------------------------------------------------------

    def now(self) -> float:
        """Slack's clock: real elapsed time plus whatever the test added with `advance`."""
        return time.monotonic() + self._skew

    def advance(self, seconds: float) -> None:
        """Move Slack's clock forward (triggers and response URLs age with it)."""
        self._skew += seconds

    # -- violations ------------------------------------------------------------------------

    @property
    def problems(self) -> list[str]:
        """Every violation's details as text, e.g. `chat.postMessage: blocks[0]: ...`."""
        return [f"{v.method}: {detail}" for v in self.violations for detail in v.details]

    def allow(self, error: str, *, method: str | None = None) -> None:
        """Declare that this test provokes `error` (on `method`) on purpose: not a failure."""
        self._expected.append(_Expectation(error, method))

    @contextmanager
    def expect(self, error: str, *, method: str | None = None) -> Iterator[None]:
        """The block must cause at least one `error` violation; those do not fail the test."""
        before = len(self.violations)
        expectation = _Expectation(error, method)
        self._expected.append(expectation)
        try:
            yield
        finally:
            self._expected.remove(expectation)
        caused = self.violations[before:]
        matched = [v for v in caused if expectation.covers(v)]
        if not matched:
            raise AssertionError(f"expected Slack to refuse with {error}; it saw {caused}")
        # Matched ones are declared; mark them so the strict check lets them pass.
        self._declared.update(v.seq for v in matched)

    def unexpected(self) -> list[Violation]:
        """Violations nobody declared."""
        return [
            v
            for v in self.violations
            if v.seq not in self._declared and not any(e.covers(v) for e in self._expected)
        ]

    def take_unreported(self) -> list[Violation]:
        """Undeclared violations not handed out before (each is reported once)."""
        fresh = [v for v in self.unexpected() if v.seq > self._reported]
        if self.violations:
            self._reported = self.violations[-1].seq
        return fresh

    def _violate(self, method: str, error: str, problems: list[str]) -> None:
        self.violations.append(Violation(method, error, tuple(problems), next(self._seq)))

    # -- test helpers ----------------------------------------------------------------------

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[SlackCall]:
        """The calls to `method` in order; only the successful (or failed) ones when `ok` is set."""
        return [c for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    def add_user(
        self,
        user_id: str,
        *,
        locale: str = "en-US",
        tz: str = "Europe/Amsterdam",
        name: str | None = None,
        email: str | None = None,
        real_name: str | None = None,
        is_bot: bool = False,
    ) -> dict[str, Any]:
        """Register a person for users.info / users.lookupByEmail and return the user object."""
        username = name or f"user.{user_id.lower()}"
        user = _user_object(
            user_id=user_id, team_id=self.team_id, name=username, real_name=real_name or username
        )
        user.update(locale=locale, is_bot=is_bot, **_timezone_fields(tz))
        if email is not None:
            user["profile"]["email"] = email
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        members: tuple[str, ...] = (),
        bot_member: bool = True,
        is_private: bool = False,
    ) -> Channel:
        """A channel; the bot posts in it only as a member (or with chat:write.public)."""
        channel = Channel(channel_id, name, set(members), bot_member, is_private)
        self.channels[channel_id] = channel
        return channel

    def fail_next(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next `times` calls to `method` with `{"ok": false, "error": error}`."""
        self._queue_fault(method, _Answer.failure(error), times=times)

    def rate_limit_next(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls to `method` with HTTP 429 and `Retry-After`."""
        answer = _Answer.failure("ratelimited", status=429, retry_after=retry_after)
        self._queue_fault(method, answer, times=times)

    def server_error_next(self, method: str, *, times: int = 1, status: int = 500) -> None:
        """Answer the next `times` calls to `method` with an HTTP `status` server error."""
        self._queue_fault(method, _Answer.failure("internal_error", status=status), times=times)

    def done_then_failed(
        self,
        method: str,
        *,
        share: float,
        seed: int = 0,
        kinds: tuple[str, ...] = ("internal_error", "fatal_error", "dropped"),
    ) -> None:
        """Let `share` of the calls to `method` take effect and then answer as if they failed.

        `kinds` in turn: HTTP 500 `internal_error`, HTTP 200 `fatal_error`, and a connection
        dropped before any answer, which is what Slack does when it posted but could not say so.
        """
        self._done_then_failed[method] = (share, random.Random(seed), itertools.cycle(kinds))

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """The message as it stands now (after updates); KeyError when absent or deleted."""
        return self.messages[(channel, ts)]

    def sent_to(self, user: str) -> list[dict[str, Any]]:
        """Every message the bot posted in the DM with a user, oldest first."""
        found = [
            message
            for (where, _), message in self.messages.items()
            if where == f"D{user}" and message.get("bot_id")
        ]
        return sorted(found, key=lambda message: message["ts"])

    def _queue_fault(self, method: str, answer: _Answer, *, times: int) -> None:
        self._faults[method].extend([answer] * times)

    # -- what Slack hands out with each interaction ----------------------------------------

    def trigger_id(self, user: str = "") -> str:
        """A fresh trigger_id for an interaction by `user`, valid once for three seconds."""
        trigger = f"{next(self._ids)}.{next(self._ids)}.{abs(hash((user, self.now()))):x}"
        self.triggers[trigger] = Trigger(user=user, issued_at=self.now())
        return trigger

    def response_url(
        self,
        name: str,
        *,
        user: str | None = None,
        channel: str | None = None,
        source: tuple[str, ...] | None = None,
    ) -> str:
        """A response_url; posts to it are recorded as `respond:<name>` and shown to `user`."""
        self.response_urls[name] = ResponseUrl(name, user, channel, source, self.now())
        return f"{self.root_url}/response/{name}"

    def responses(self, name: str) -> list[dict[str, Any]]:
        """What the app posted to the response_url `name`, oldest first."""
        return [call.args for call in self.calls if call.method == f"respond:{name}"]

    def dm_channel(self, user: str) -> str:
        """The id of the DM between the bot and `user`."""
        return f"D{user}"

    def user_posted(self, *, user: str, channel: str, text: str) -> dict[str, Any]:
        """A message typed by a person (as Slack stores it before sending the event)."""
        ts = self._next_ts()
        message = {"type": "message", "user": user, "text": text, "ts": ts, "team": self.team_id}
        self.messages[(channel, ts)] = message
        return copy.deepcopy(message)

    def command_acked(self, *, user: str, channel: str, body: Any) -> None:
        """Slack shows a slash command's ack body, if it holds a message, to the person."""
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return
        problems = message_problems(body["blocks"]) if "blocks" in body else []
        if problems:
            self._violate("ack:command", "invalid_blocks", problems)
            return
        self._add_ephemeral(user, channel, str(body.get("text") or ""), body.get("blocks"))

    def view_submitted(self, *, user: str, view_id: str, body: Any) -> None:
        """Apply a view_submission ack: close the modal, or update, push, clear, or show errors."""
        problems = view_response_problems(body)
        if problems:
            self._violate("ack:view_submission", "invalid_arguments", problems)
            return
        action = body.get("response_action") if isinstance(body, dict) else None
        stack = self.modal_stacks[user]
        if action == "errors":
            self._check_error_keys(view_id, body["errors"])
        elif action == "update":
            self._store_view(body["view"], view_id=view_id, owner=user)
        elif action == "push":
            with suppress(_Rejected):  # recorded as a violation by _push
                self._push(user, body["view"])
        elif action == "clear":
            stack.clear()
            self._changed(user, "modal", view_id)
        else:
            self._close_modal(user, view_id)

    def modal_closed(self, *, user: str, view_id: str) -> None:
        """The person closed a modal with its close button or the ×."""
        self._close_modal(user, view_id)

    def _check_error_keys(self, view_id: str, errors: dict[str, Any]) -> None:
        inputs = {
            b.get("block_id") for b in self.views[view_id]["blocks"] if b.get("type") == "input"
        }
        unknown = [key for key in errors if key not in inputs]
        if unknown:
            self._violate(
                "ack:view_submission", "invalid_arguments", [f"errors for unknown inputs {unknown}"]
            )

    def _close_modal(self, user: str, view_id: str) -> None:
        stack = self.modal_stacks[user]
        if view_id in stack:
            stack.remove(view_id)
            self._changed(user, "modal", view_id)

    # -- what a person sees ----------------------------------------------------------------

    def open_modals(self, user: str) -> list[dict[str, Any]]:
        """The person's open modals, the visible one last."""
        return [copy.deepcopy(self.views[view_id]) for view_id in self.modal_stacks[user]]

    def home_of(self, user: str) -> dict[str, Any] | None:
        """The Home tab view last published for the person."""
        view_id = self.home_views.get(user)
        return copy.deepcopy(self.views[view_id]) if view_id else None

    def ephemerals_for(self, user: str) -> list[Ephemeral]:
        """The ephemeral messages the person still sees, oldest first."""
        found = [e for e in self.ephemerals.values() if e.user == user and not e.deleted]
        return sorted(found, key=lambda e: e.ts)

    def visible_to(self, user: str, channel: str) -> bool:
        """Whether `user` can read `channel` (their DM, a channel they are in, or an open one)."""
        if channel.startswith("D"):
            return channel == self.dm_channel(user)
        known = self.channels.get(channel)
        return known is None or not known.members or user in known.members

    def _changed(self, audience: str, kind: str, key: str) -> None:
        self.changes.append(Change(next(self._seq), audience, kind, key))

    def _audience(self, channel: str) -> str:
        return channel[1:] if channel.startswith("D") else "*"

    # -- HTTP ------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args, unreadable = await _read_args(request), None
        except ValueError as error:
            args, unreadable = {}, _Answer.failure("invalid_json")
            self._violate(method, "invalid_json", [f"unreadable body ({error})"])
        arg_token = args.pop("token", None)
        token = _bearer_token(request) or (str(arg_token) if arg_token else None)
        call = SlackCall(method=method, args=args, token=token, at=time.monotonic())
        self.calls.append(call)
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        answer = unreadable or self._answer(call)
        failure = self._failure_after(method, answer)
        if failure == "dropped" and request.transport is not None:
            call.status, call.error = 0, "dropped"
            request.transport.abort()
            return web.Response()
        if failure is not None:
            answer = _Answer.failure(failure, status=500 if failure == "internal_error" else 200)
        call.status, call.error = answer.status, answer.body.get("error")
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)

    def _failure_after(self, method: str, answer: _Answer) -> str | None:
        """The failure to answer although the call took effect, if one is due."""
        chosen = self._done_then_failed.get(method)
        if chosen is None or not answer.body.get("ok"):
            return None
        share, generator, kinds = chosen
        if generator.random() >= share:
            return None
        kind = next(kinds)
        self.ambiguous[kind] += 1
        return kind

    async def _handle_stats(self, _: web.Request) -> web.Response:
        """Counts for a benchmark running the fake in another process."""
        posts = self.calls_to("chat.postMessage")
        per_channel = Counter(str(call.args.get("channel")) for call in posts if call.status == 200)
        return web.json_response(
            {
                "posted": sum(per_channel.values()),
                "recipients": len(per_channel),
                "duplicates": sum(count - 1 for count in per_channel.values()),
                "rate_limited": sum(call.status == 429 for call in posts),
            }
        )

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        name = request.match_info["token"]
        try:
            args = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            args = None
        call = SlackCall(f"respond:{name}", args if isinstance(args, dict) else {}, None, 0.0)
        call.at = time.monotonic()
        self.calls.append(call)
        error = self._respond(name, args)
        call.status, call.error = (200, None) if error is None else (_WEBHOOK_STATUS[error], error)
        # Response URLs answer like incoming webhooks: a plain-text body, 4xx on refusal
        # (github.com/louislam/uptime-kuma/issues/941: "400 invalid_blocks").
        return web.Response(status=call.status, text=error or "ok")

    def _respond(self, name: str, args: Any) -> str | None:
        """Apply a response_url post; the error code when Slack would refuse it."""
        url = self.response_urls.get(name)
        problems = self._response_url_problems(url, args)
        if problems:
            error, details = problems
            self._violate("respond", error, details)
            return error
        assert url is not None and isinstance(args, dict)
        url.uses += 1
        if url.user is None:
            return None  # a bare test URL: recorded, shown to nobody
        if _truthy(args.get("delete_original")):
            self._delete_source(url)
            return None
        text, blocks = str(args.get("text") or ""), args.get("blocks")
        if _truthy(args.get("replace_original")) and url.source is not None:
            self._replace_source(url, text, blocks)
        elif args.get("response_type") == "in_channel" and url.channel:
            self._post(url.channel, text=text, blocks=blocks)
        else:
            self._add_ephemeral(url.user, url.channel or self.dm_channel(url.user), text, blocks)
        return None

    def _response_url_problems(
        self, url: ResponseUrl | None, args: Any
    ) -> tuple[str, list[str]] | None:
        if url is None:
            return "expired_url", ["a response_url Slack never issued"]
        if url.uses >= RESPONSE_URL_USES:
            return "used_url", [f"response_url {url.name} used more than {RESPONSE_URL_USES} times"]
        if self.now() - url.issued_at > RESPONSE_URL_SECONDS:
            return "expired_url", [f"response_url {url.name} is older than 30 minutes"]
        if not isinstance(args, dict):
            return "invalid_payload", ["the body is not a JSON object"]
        if _truthy(args.get("delete_original")):
            return None
        if len(str(args.get("text") or "")) > MESSAGE_TEXT_MAX:
            return "msg_too_long", ["text longer than 40000 characters"]
        if "blocks" in args:
            problems = message_problems(args["blocks"])
            if problems:
                return "invalid_blocks", problems
        if not args.get("text") and not args.get("blocks"):
            return "no_text", ["neither text nor blocks"]
        return None

    def _replace_source(self, url: ResponseUrl, text: str, blocks: Any) -> None:
        assert url.source is not None and url.user is not None
        if url.source[0] == "ephemeral":
            shown = self.ephemerals.get(url.source[1])
            if shown is not None and not shown.deleted:
                shown.text, shown.blocks = text, blocks
                self._changed(url.user, "ephemeral", shown.ts)
            return
        _, channel, ts = url.source
        if (channel, ts) in self.messages:
            message = self._message_object(text=text, blocks=blocks, ts=ts)
            message["edited"] = {"user": "UBOT", "ts": self._next_ts()}
            self.messages[(channel, ts)] = message
            self._changed(self._audience(channel), "message", f"{channel}:{ts}")

    def _delete_source(self, url: ResponseUrl) -> None:
        if url.source is None or url.user is None:
            return
        if url.source[0] == "ephemeral" and url.source[1] in self.ephemerals:
            self.ephemerals[url.source[1]].deleted = True
            self._changed(url.user, "ephemeral", url.source[1])
        elif url.source[0] == "message":
            _, channel, ts = url.source
            self.messages.pop((channel, ts), None)
            self._changed(self._audience(channel), "message", f"{channel}:{ts}")

    def _answer(self, call: SlackCall) -> _Answer:
        if call.method == "apps.connections.open":
            # Socket Mode authenticates with the app-level token, not the bot token.
            if call.token != self.app_token or self.socket_url is None:
                return _Answer.failure("invalid_auth")
            return _Answer.success({"url": self.socket_url})
        if call.token != self.bot_token:
            return _Answer.failure("invalid_auth")
        if self._faults[call.method]:
            return self._faults[call.method].popleft()
        retry_after = self._take_rate_token() if call.method in self.rate_limited_methods else None
        if retry_after is not None:
            return _Answer.failure("ratelimited", status=429, retry_after=retry_after)
        handler = self._methods.get(call.method)
        if handler is None:
            return _Answer.failure("unknown_method")
        try:
            return _Answer.success(handler(call.args))
        except _Rejected as rejected:
            answer = _Answer.failure(rejected.error)
            if rejected.problems:
                answer.body["errors"] = list(rejected.problems)
                messages = [f"[ERROR] {problem}" for problem in rejected.problems]
                answer.body["response_metadata"] = {"messages": messages}
            return answer

    def _take_rate_token(self) -> int | None:
        """Spend a token from the team's bucket; None if allowed, else seconds to wait."""
        rate = self.rate_limit_per_second
        if rate is None:
            return None
        capacity = max(1.0, rate)  # one second's worth of burst, as Slack tolerates short bursts
        now = time.monotonic()
        tokens, last = self._buckets.get(self.team_id, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._buckets[self.team_id] = (tokens - 1.0, now)
            return None
        self._buckets[self.team_id] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / rate))

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file = self.files.get(request.match_info["file_id"])
        if file is None:
            return web.Response(status=404, text="file_not_found")
        data = await _upload_body(request)
        if len(data) != file["size"]:
            self._violate(
                "upload",
                "invalid_arguments",
                [f"upload {file['id']}: {len(data)} bytes sent, {file['size']} announced"],
            )
        file["data"] = data
        # Slack's upload endpoint answers in plain text; slack_sdk expects exactly that.
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    # -- validation ------------------------------------------------------------------------

    def _reject(self, method: str, error: str, problems: list[str]) -> _Rejected:
        """A refusal caused by what the app sent: recorded as a violation."""
        self._violate(method, error, problems)
        return _Rejected(error, problems)

    def _require(self, method: str, args: Args, name: str, *, error: str) -> str:
        """A required argument: absent is `invalid_arguments`, empty is `error` (as Slack
        answers: github.com/brekkylab/backlot/issues/84, measured against slack.com)."""
        if name not in args or args[name] is None:
            problem = f"missing required field: {name} [json-pointer:/{name}]"
            raise self._reject(method, "invalid_arguments", [problem])
        value = args[name]
        if not value:
            raise self._reject(method, error, [f"empty {name}"])
        return str(value)

    def _message_content(self, method: str, args: Args) -> tuple[str, list[Any] | None]:
        """The message's text and parsed blocks, after Slack's checks."""
        self._require(method, args, "channel", error="channel_not_found")
        text = str(args.get("text") or "")
        if len(text) > MESSAGE_TEXT_MAX:
            raise self._reject(method, "msg_too_long", [f"text of {len(text)} characters"])
        blocks = self._blocks(method, args.get("blocks"))
        if not text and not blocks:
            raise self._reject(method, "no_text", ["neither text nor blocks"])
        return text, blocks

    def _blocks(self, method: str, raw: Any) -> list[Any] | None:
        if raw is None or raw == "":
            return None
        blocks = _json_value(raw)
        problems = message_problems(blocks)
        if problems:
            raise self._reject(method, "invalid_blocks", problems)
        return list(blocks)

    def _view(self, method: str, raw: Any, *, expected_type: str | None) -> dict[str, Any]:
        if raw is None or raw == "":
            raise self._reject(method, "invalid_arguments", ["missing view"])
        view = _json_value(raw)
        if not isinstance(view, dict):
            raise self._reject(method, "invalid_arguments", ["view is not a JSON object"])
        if expected_type is not None and view.get("type") != expected_type:
            problem = f"view type must be {expected_type}, not {view.get('type')!r}"
            raise self._reject(method, "invalid_arguments", [problem])
        problems = view_problems(view)
        if problems:
            raise self._reject(method, "invalid_blocks", problems)
        return view

    def _take_trigger(self, method: str, args: Args) -> Trigger:
        """The interaction's trigger, refused when unknown, used already or too old."""
        trigger_id = self._require(method, args, "trigger_id", error="invalid_arguments")
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise self._reject(method, "invalid_trigger_id", [f"unknown trigger {trigger_id}"])
        if trigger.used:
            raise self._reject(method, "exchanged_trigger_id", [f"{trigger_id} was used before"])
        age = self.now() - trigger.issued_at
        if age > TRIGGER_SECONDS:
            problem = f"{trigger_id} is {age:.1f} s old, at most {TRIGGER_SECONDS:.0f} s"
            raise self._reject(method, "expired_trigger_id", [problem])
        trigger.used = True
        return trigger

    # -- methods ---------------------------------------------------------------------------

    def _auth_test(self, args: Args) -> Payload:
        return {
            "url": "https://socialboost-test.slack.com/",
            "team": "Social Boost Test",
            "user": "socialboost",
            "team_id": self.team_id,
            "user_id": "UBOT",
            "bot_id": "BBOT",
            "is_enterprise_install": False,
        }

    def _team_info(self, args: Args) -> Payload:
        team = {
            "id": self.team_id,
            "name": "Social Boost Test",
            "domain": "socialboost-test",
            "email_domain": "example.com",
            "icon": {"image_default": True},
        }
        return {"team": team}

    def _conversations_open(self, args: Args) -> Payload:
        if args.get("channel"):
            return {"channel": {"id": str(args["channel"])}, "already_open": True}
        users = _id_list(args.get("users"))
        if not users:
            raise self._reject("conversations.open", "users_list_not_supplied", ["missing users"])
        # A one-to-one DM gets "D" + the user id; a group DM a stable "G" id.
        channel = self.dm_channel(users[0]) if len(users) == 1 else "G" + "".join(sorted(users))
        return {"channel": {"id": channel}, "no_op": False, "already_open": False}

    def _conversations_info(self, args: Args) -> Payload:
        channel_id = self._require("conversations.info", args, "channel", error="channel_not_found")
        known = self.channels.get(channel_id)
        if known is None:
            raise _Rejected("channel_not_found")
        return {
            "channel": {
                "id": known.id,
                "name": known.name,
                "is_channel": not known.is_private,
                "is_private": known.is_private,
                "is_member": known.bot_member,
                "num_members": len(known.members),
            }
        }

    def _chat_post_message(self, args: Args) -> Payload:
        text, blocks = self._message_content("chat.postMessage", args)
        channel = str(args["channel"])
        if channel.startswith(("U", "W")):
            # Posting to a user id posts in the app's DM with them (its Messages tab).
            channel = self.dm_channel(channel)
        self._check_membership(channel)
        message = self._post(channel, text=text, blocks=blocks)
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        if args.get("metadata"):
            message["metadata"] = _json_value(args["metadata"])
        return {"channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _check_membership(self, channel: str) -> None:
        known = self.channels.get(channel)
        if known is None or known.bot_member:
            return
        if known.is_private or "chat:write.public" not in self.scopes:
            raise _Rejected("not_in_channel")

    def _post(self, channel: str, *, text: str, blocks: list[Any] | None) -> dict[str, Any]:
        ts = self._next_ts()
        message = self._message_object(text=text, blocks=blocks, ts=ts)
        self.messages[(channel, ts)] = message
        self._changed(self._audience(channel), "message", f"{channel}:{ts}")
        return message

    def _conversations_history(self, args: Args) -> Payload:
        channel = self._require("conversations.history", args, "channel", error="channel_not_found")
        limit = int(args.get("limit") or 100)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        found = sorted(
            (message for (where, _), message in self.messages.items() if where == channel),
            key=lambda message: message["ts"],
            reverse=True,
        )[:limit]
        messages = [copy.deepcopy(message) for message in found]
        if not with_metadata:
            for message in messages:
                message.pop("metadata", None)
        return {"messages": messages, "has_more": False}

    def _chat_update(self, args: Args) -> Payload:
        text, blocks = self._message_content("chat.update", args)
        channel = str(args["channel"])
        ts = self._require("chat.update", args, "ts", error="message_not_found")
        if (channel, ts) not in self.messages:
            raise _Rejected("message_not_found")
        message = self._message_object(text=text, blocks=blocks, ts=ts)
        message["edited"] = {"user": "UBOT", "ts": self._next_ts()}
        self.messages[(channel, ts)] = message
        self._changed(self._audience(channel), "message", f"{channel}:{ts}")
        return {"channel": channel, "ts": ts, "text": text, "message": copy.deepcopy(message)}

    def _chat_post_ephemeral(self, args: Args) -> Payload:
        text, blocks = self._message_content("chat.postEphemeral", args)
        user = self._require("chat.postEphemeral", args, "user", error="user_not_in_channel")
        shown = self._add_ephemeral(user, str(args["channel"]), text, blocks)
        return {"message_ts": shown.ts}

    def _add_ephemeral(self, user: str, channel: str, text: str, blocks: Any) -> Ephemeral:
        shown = Ephemeral(user, channel, self._next_ts(), text, blocks)
        self.ephemerals[shown.ts] = shown
        self._changed(user, "ephemeral", shown.ts)
        return shown

    def _chat_delete(self, args: Args) -> Payload:
        channel = self._require("chat.delete", args, "channel", error="channel_not_found")
        ts = self._require("chat.delete", args, "ts", error="message_not_found")
        if self.messages.pop((channel, ts), None) is None:
            raise _Rejected("message_not_found")
        self._changed(self._audience(channel), "message", f"{channel}:{ts}")
        return {"channel": channel, "ts": ts}

    def _views_open(self, args: Args) -> Payload:
        view = self._view("views.open", args.get("view"), expected_type="modal")
        trigger = self._take_trigger("views.open", args)
        stored = self._store_view(view, view_id=None, owner=trigger.user)
        self.modal_stacks[trigger.user] = [stored["id"]]
        return {"view": stored}

    def _views_push(self, args: Args) -> Payload:
        view = self._view("views.push", args.get("view"), expected_type="modal")
        trigger = self._take_trigger("views.push", args)
        if not self.modal_stacks[trigger.user]:
            raise self._reject("views.push", "not_found", ["no modal is open to push onto"])
        return {"view": self._push(trigger.user, view)}

    def _push(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        stack = self.modal_stacks[user]
        if len(stack) >= MODAL_STACK_MAX:
            raise self._reject("views.push", "push_limit_reached", ["three views are stacked"])
        stored = self._store_view(view, view_id=None, owner=user)
        stored["previous_view_id"] = stack[-1] if stack else None
        self.views[stored["id"]]["previous_view_id"] = stored["previous_view_id"]
        stack.append(stored["id"])
        return stored

    def _views_publish(self, args: Args) -> Payload:
        user_id = self._require("views.publish", args, "user_id", error="invalid_arguments")
        view = self._view("views.publish", args.get("view"), expected_type="home")
        # The Home tab keeps one view per user; republishing replaces it under the same id.
        view_id = self.home_views.get(user_id)
        self._check_hash(args, self.views.get(view_id or ""))
        stored = self._store_view(view, view_id=view_id, owner=user_id)
        self.home_views[user_id] = stored["id"]
        return {"view": stored}

    def _views_update(self, args: Args) -> Payload:
        existing = self._find_view(args)
        expected = str(existing["type"]) if existing else None
        view = self._view("views.update", args.get("view"), expected_type=expected)
        if existing is None:
            raise self._reject("views.update", "not_found", ["no such view is open"])
        self._check_hash(args, existing)
        owner = self.view_owners.get(existing["id"], "")
        return {"view": self._store_view(view, view_id=existing["id"], owner=owner)}

    def _find_view(self, args: Args) -> dict[str, Any] | None:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise self._reject("views.update", "invalid_arguments", ["missing view_id"])
        found = (
            self.views.get(str(view_id))
            if view_id
            else next((v for v in self.views.values() if v.get("external_id") == external_id), None)
        )
        if found is None or not self._is_open(found):
            return None
        return found

    def _is_open(self, view: dict[str, Any]) -> bool:
        owner = self.view_owners.get(view["id"], "")
        if view.get("type") == "home":
            return bool(self.home_views.get(owner) == view["id"])
        return bool(view["id"] in self.modal_stacks[owner])

    def _check_hash(self, args: Args, existing: dict[str, Any] | None) -> None:
        # Slack refuses an update based on a stale copy of the view.
        if args.get("hash") and existing is not None and args["hash"] != existing["hash"]:
            raise _Rejected("hash_conflict")

    def _users_info(self, args: Args) -> Payload:
        user = self.users.get(str(args.get("user") or ""))
        if user is None:
            raise _Rejected("user_not_found")
        answer = copy.deepcopy(user)
        # Slack includes the locale only when asked for it.
        if not _truthy(args.get("include_locale")):
            answer.pop("locale", None)
        return {"user": answer}

    def _users_lookup_by_email(self, args: Args) -> Payload:
        email = str(args.get("email") or "").lower()
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == email and email:
                answer = copy.deepcopy(user)
                answer.pop("locale", None)
                return {"user": answer}
        raise _Rejected("users_not_found")

    def _files_get_upload_url(self, args: Args) -> Payload:
        method = "files.getUploadURLExternal"
        filename = self._require(method, args, "filename", error="invalid_arguments")
        length = str(args.get("length", ""))
        if not length.isdigit() or int(length) == 0:
            raise self._reject(method, "invalid_arguments", [f"bad length {length!r}"])
        file_id = f"F{next(self._ids):010d}"
        self.files[file_id] = {"id": file_id, "name": filename, "size": int(length), "data": None}
        return {"upload_url": f"{self.root_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: Args) -> Payload:
        method = "files.completeUploadExternal"
        entries = _json_value(args.get("files") or "[]")
        if not isinstance(entries, list) or not entries:
            raise self._reject(method, "invalid_arguments", ["files must be a non-empty array"])
        channel = args.get("channel_id")
        return {"files": [self._complete_file(method, entry, channel) for entry in entries]}

    def _complete_file(self, method: str, entry: Any, channel: Any) -> dict[str, Any]:
        file = self.files.get(str(entry.get("id"))) if isinstance(entry, dict) else None
        if file is None or file["data"] is None:
            raise self._reject(method, "file_not_found", [f"file not uploaded: {entry!r}"])
        file["title"] = entry.get("title") or file["name"]
        file["channels"] = [str(channel)] if channel else []
        return _file_object(file, team_id=self.team_id)

    # -- helpers ---------------------------------------------------------------------------

    def _next_ts(self) -> str:
        micros = next(self._ts)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _message_object(self, *, text: str, blocks: list[Any] | None, ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": "UBOT",
            "bot_id": "BBOT",
            "app_id": "ABOT",
            "team": self.team_id,
            "text": text,
            "ts": ts,
        }
        if blocks is not None:
            message["blocks"] = blocks
        return message

    def _store_view(
        self, view: dict[str, Any], *, view_id: str | None, owner: str
    ) -> dict[str, Any]:
        view_id = view_id or f"V{next(self._ids):010d}"
        previous = self.views.get(view_id, {})
        stored = {
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            **copy.deepcopy(view),
            "id": view_id,
            "team_id": self.team_id,
            "app_id": "ABOT",
            "bot_id": "BBOT",
            "root_view_id": previous.get("root_view_id", view_id),
            "previous_view_id": previous.get("previous_view_id"),
            "state": {"values": {}},
            "hash": f"{self._next_ts()}.hash",
        }
        self.views[view_id] = stored
        self.view_owners[view_id] = owner
        self._changed(owner or "*", str(stored.get("type")), view_id)
        return copy.deepcopy(stored)


# Refusals of a response URL and the HTTP status Slack's webhooks give them.
_WEBHOOK_STATUS = {
    "expired_url": 404,
    "used_url": 404,
    "invalid_payload": 400,
    "msg_too_long": 400,
    "invalid_blocks": 400,
    "no_text": 400,
}


# -- request parsing and object shapes -----------------------------------------------------


async def _read_args(request: web.Request) -> Args:
    """Query string, then a JSON or form body, merged the way Slack reads them."""
    args: Args = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return args
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError as error:
            raise ValueError(str(error)) from error
        if not isinstance(body, dict):
            raise ValueError("JSON body is not an object")
        args.update(body)
    else:
        form = await request.post()
        args.update({key: value for key, value in form.items() if isinstance(value, str)})
    return args


async def _upload_body(request: web.Request) -> bytes:
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        for value in form.values():
            if isinstance(value, web.FileField):
                return bytes(value.file.read())
        return b""
    return await request.read()


def _bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _json_value(raw: Any) -> Any:
    """Form-encoded arguments carry JSON as strings; JSON bodies carry it as is."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return None


def _id_list(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(item) for item in raw if item]
    return [part.strip() for part in str(raw or "").split(",") if part.strip()]


def _truthy(raw: Any) -> bool:
    return raw is True or str(raw).lower() in {"1", "true"}


def _user_object(*, user_id: str, team_id: str, name: str, real_name: str) -> dict[str, Any]:
    profile = {"real_name": real_name, "display_name": name, "image_72": ""}
    return {
        "id": user_id,
        "team_id": team_id,
        "name": name,
        "deleted": False,
        "real_name": real_name,
        "is_admin": False,
        "is_app_user": False,
        "profile": profile,
    }


def _timezone_fields(tz: str) -> dict[str, Any]:
    try:
        now = datetime.now(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return {"tz": tz, "tz_label": tz, "tz_offset": 0}
    offset = now.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    return {"tz": tz, "tz_label": now.tzname() or tz, "tz_offset": seconds}


def _file_object(file: dict[str, Any], *, team_id: str) -> dict[str, Any]:
    file_id, name = file["id"], file["name"]
    return {
        "id": file_id,
        "name": name,
        "title": file["title"],
        "mimetype": "application/octet-stream",
        "size": len(file["data"]),
        "user": "UBOT",
        "user_team": team_id,
        "channels": list(file["channels"]),
        "url_private": f"https://files.slack.com/files-pri/{team_id}-{file_id}/{name}",
        "permalink": f"https://socialboost-test.slack.com/files/UBOT/{file_id}/{name}",
    }
