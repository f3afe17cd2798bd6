"""A fake Slack Web API on loopback that records calls, validates Block Kit and injects failures."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
PLAIN_TEXT_INPUT_MAX_LENGTH = 3000
MESSAGE_TEXT_MAX = 40_000
# Slack's own ts values look like this; ours count up from here in steps of 100 µs.
FIRST_TS_MICROS = 1_700_000_000_000_100
TS_STEP_MICROS = 100

Args = dict[str, Any]
Payload = dict[str, Any]


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
    """Raised by a method handler to answer `{"ok": false, "error": ...}`."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class FakeSlack:
    """A loopback Slack Web API for `AsyncWebClient(base_url=slack.base_url)`.

    Every call lands in `calls`; invalid Block Kit or missing arguments are answered the way
    Slack answers them and also listed in `problems`, so a test can assert `problems == []`.
    """

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test",  # noqa: S107 - a made-up token for tests
        team_id: str = "T-TEST",
        latency: float = 0.0,
        app_token: str = "xapp-test",  # noqa: S107 - a made-up token for tests
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        # Where apps.connections.open sends Socket Mode clients; a test sets it.
        self.socket_url: str | None = None
        self.team_id = team_id
        self.latency = latency
        self.calls: list[SlackCall] = []
        self.problems: list[str] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, str] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.rate_limit_per_second: float | None = None
        # Slack limits posting separately from its other tiers; the bucket models posting.
        self.rate_limited_methods = {"chat.postMessage"}
        self._faults: defaultdict[str, deque[_Answer]] = defaultdict(deque)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._ts = itertools.count(FIRST_TS_MICROS, TS_STEP_MICROS)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._methods: dict[str, Callable[[Args], Payload]] = {
            "auth.test": self._auth_test,
            "team.info": self._team_info,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._chat_post_message,
            "conversations.history": self._conversations_history,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
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

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """The message as it stands now (after updates); KeyError when absent or deleted."""
        return self.messages[(channel, ts)]

    def _queue_fault(self, method: str, answer: _Answer, *, times: int) -> None:
        self._faults[method].extend([answer] * times)

    # -- HTTP ------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args, unreadable = await _read_args(request), None
        except ValueError as error:
            args, unreadable = {}, _Answer.failure("invalid_json")
            self.problems.append(f"{method}: unreadable body ({error})")
        arg_token = args.pop("token", None)
        token = _bearer_token(request) or (str(arg_token) if arg_token else None)
        call = SlackCall(method=method, args=args, token=token, at=time.monotonic())
        self.calls.append(call)
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        answer = unreadable or self._answer(call)
        call.status, call.error = answer.status, answer.body.get("error")
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)

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

    def response_url(self, name: str) -> str:
        """A response_url for a payload; posts to it are recorded as `respond:<name>`."""
        return f"{self.root_url}/response/{name}"

    def responses(self, name: str) -> list[dict[str, Any]]:
        """What the app posted to the response_url `name`, oldest first."""
        return [call.args for call in self.calls if call.method == f"respond:{name}"]

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        # Slack's response_url takes a JSON message; its blocks obey the same rules.
        args = await request.json()
        name = request.match_info["token"]
        self.calls.append(SlackCall(f"respond:{name}", args, None, time.monotonic()))
        if "blocks" in args:
            self.problems.extend(block_problems(args["blocks"], limit=MESSAGE_BLOCKS_MAX))
        return web.Response(text="ok")

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
            return _Answer.failure(rejected.error)

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
            self.problems.append(
                f"upload {file['id']}: {len(data)} bytes sent, {file['size']} announced"
            )
        file["data"] = data
        # Slack's upload endpoint answers in plain text; slack_sdk expects exactly that.
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    # -- validation ------------------------------------------------------------------------

    def _reject(self, method: str, error: str, problems: list[str]) -> _Rejected:
        self.problems.extend(f"{method}: {problem}" for problem in problems)
        return _Rejected(error)

    def _require(self, method: str, args: Args, name: str, *, error: str) -> str:
        value = args.get(name)
        if not value:
            raise self._reject(method, error, [f"missing {name}"])
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
        if not isinstance(blocks, list):
            raise self._reject(method, "invalid_blocks", ["blocks is not a JSON array"])
        problems = block_problems(blocks, limit=MESSAGE_BLOCKS_MAX)
        if problems:
            raise self._reject(method, "invalid_blocks", problems)
        return blocks

    def _view(self, method: str, raw: Any) -> dict[str, Any]:
        if raw is None or raw == "":
            raise self._reject(method, "invalid_arguments", ["missing view"])
        view = _json_value(raw)
        if not isinstance(view, dict):
            raise self._reject(method, "invalid_arguments", ["view is not a JSON object"])
        problems = view_problems(view)
        if problems:
            raise self._reject(method, "invalid_blocks", problems)
        return view

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
        channel = f"D{users[0]}" if len(users) == 1 else "G" + "".join(sorted(users))
        return {"channel": {"id": channel}, "no_op": False, "already_open": False}

    def _chat_post_message(self, args: Args) -> Payload:
        text, blocks = self._message_content("chat.postMessage", args)
        channel, ts = str(args["channel"]), self._next_ts()
        message = self._message_object(text=text, blocks=blocks, ts=ts)
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        if args.get("metadata"):
            message["metadata"] = _json_value(args["metadata"])
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": copy.deepcopy(message)}

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

    def sent_to(self, user: str) -> list[dict[str, Any]]:
        """Every message posted in the DM with a user, oldest first."""
        found = [message for (where, _), message in self.messages.items() if where == f"D{user}"]
        return sorted(found, key=lambda message: message["ts"])

    def _chat_update(self, args: Args) -> Payload:
        text, blocks = self._message_content("chat.update", args)
        channel = str(args["channel"])
        ts = self._require("chat.update", args, "ts", error="message_not_found")
        if (channel, ts) not in self.messages:
            raise _Rejected("message_not_found")
        message = self._message_object(text=text, blocks=blocks, ts=ts)
        message["edited"] = {"user": "UBOT", "ts": self._next_ts()}
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "text": text, "message": copy.deepcopy(message)}

    def _chat_post_ephemeral(self, args: Args) -> Payload:
        self._message_content("chat.postEphemeral", args)
        self._require("chat.postEphemeral", args, "user", error="user_not_in_channel")
        return {"message_ts": self._next_ts()}

    def _chat_delete(self, args: Args) -> Payload:
        channel = self._require("chat.delete", args, "channel", error="channel_not_found")
        ts = self._require("chat.delete", args, "ts", error="message_not_found")
        if self.messages.pop((channel, ts), None) is None:
            raise _Rejected("message_not_found")
        return {"channel": channel, "ts": ts}

    def _views_open(self, args: Args) -> Payload:
        self._require("views.open", args, "trigger_id", error="invalid_arguments")
        view = self._view("views.open", args.get("view"))
        return {"view": self._store_view(view, view_id=None)}

    def _views_publish(self, args: Args) -> Payload:
        user_id = self._require("views.publish", args, "user_id", error="invalid_arguments")
        view = self._view("views.publish", args.get("view"))
        # The Home tab keeps one view per user; republishing replaces it under the same id.
        view_id = self.home_views.get(user_id)
        self._check_hash(args, self.views.get(view_id or ""))
        stored = self._store_view(view, view_id=view_id)
        self.home_views[user_id] = stored["id"]
        return {"view": stored}

    def _views_update(self, args: Args) -> Payload:
        view = self._view("views.update", args.get("view"))
        existing = self._find_view(args)
        if existing is None:
            raise _Rejected("not_found")
        self._check_hash(args, existing)
        return {"view": self._store_view(view, view_id=existing["id"])}

    def _find_view(self, args: Args) -> dict[str, Any] | None:
        if args.get("view_id"):
            return self.views.get(str(args["view_id"]))
        external_id = args.get("external_id")
        if not external_id:
            raise self._reject("views.update", "invalid_arguments", ["missing view_id"])
        return next((v for v in self.views.values() if v.get("external_id") == external_id), None)

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
            "team": self.team_id,
            "text": text,
            "ts": ts,
        }
        if blocks is not None:
            message["blocks"] = blocks
        return message

    def _store_view(self, view: dict[str, Any], *, view_id: str | None) -> dict[str, Any]:
        view_id = view_id or f"V{next(self._ids):010d}"
        stored = {
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            **copy.deepcopy(view),
            "id": view_id,
            "team_id": self.team_id,
            "app_id": "ABOT",
            "bot_id": "BBOT",
            "root_view_id": view_id,
            "state": {"values": {}},
            "hash": f"{self._next_ts()}.hash",
        }
        self.views[view_id] = stored
        return copy.deepcopy(stored)


# -- Block Kit checks ----------------------------------------------------------------------


def block_problems(blocks: list[Any], *, limit: int) -> list[str]:
    """What Slack would refuse in a list of blocks: too many, unknown or invalid ones."""
    problems = [f"{len(blocks)} blocks, at most {limit} allowed"] if len(blocks) > limit else []
    for index, block in enumerate(blocks):
        problems.extend(f"blocks[{index}]: {problem}" for problem in _one_block_problems(block))
    return problems


def view_problems(view: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a modal or Home tab view, its blocks included."""
    problems: list[str] = []
    try:
        View(**view).validate_json()
    except Exception as error:  # slack_sdk raises TypeError as well as its own errors
        problems.append(f"view: {type(error).__name__}: {error}")
    blocks = view.get("blocks", [])
    if not isinstance(blocks, list):
        return [*problems, "view.blocks is not an array"]
    return problems + block_problems(blocks, limit=VIEW_BLOCKS_MAX)


def _one_block_problems(raw: Any) -> list[str]:
    if not isinstance(raw, dict):
        return ["not a JSON object"]
    try:
        block = Block.parse(raw)
        if block is None:
            return [f"unknown block type {raw.get('type')!r}"]
        block.validate_json()
        # to_dict() validates nested elements and text objects, which validate_json() skips.
        rendered = block.to_dict()
    except Exception as error:  # slack_sdk raises TypeError as well as its own errors
        return [f"{type(error).__name__}: {error}"]
    return _unknown_parts(rendered) + _limit_problems(raw)


def _unknown_parts(rendered: Any) -> list[str]:
    # slack_sdk turns elements it does not know into None instead of failing.
    if isinstance(rendered, dict):
        return [p for value in rendered.values() for p in _unknown_parts(value)]
    if isinstance(rendered, list):
        unknown = ["unknown element"] if any(item is None for item in rendered) else []
        return unknown + [p for item in rendered for p in _unknown_parts(item)]
    return []


def _limit_problems(raw: dict[str, Any]) -> list[str]:
    """Documented limits that slack_sdk's models do not check."""
    problems = []
    for node in _walk(raw):
        max_length = node.get("max_length")
        too_long = isinstance(max_length, int) and max_length > PLAIN_TEXT_INPUT_MAX_LENGTH
        if node.get("type") == "plain_text_input" and too_long:
            problems.append(f"plain_text_input max_length {max_length} > 3000")
    return problems


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


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
