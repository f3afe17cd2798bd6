"""The baselines for the HTTP load benchmark: a Bolt app and an Agents SDK app that only ack,
or that ack and send one fixed answer the way the platform wants a press answered in place.

Each is served by aiohttp exactly as `socialboost serve` serves the real ones (the same request
conversion for Bolt, the same CloudAdapter and token check for Teams), with nothing behind them.

    python -m bench.bare_apps slack 8123 3978   # POST /slack/events, GET /healthz
    python -m bench.bare_apps teams 8124 3978   # POST /api/messages, GET /healthz
    python -m bench.bare_apps slack 8123 3978 answer.json   # ack, then POST it to response_url
    python -m bench.bare_apps teams 8124 3978 answer.json   # the card update it holds

The third argument is the Playground port whose service URL anonymous local mode accepts. The
fourth, when given, is a JSON body: for Slack the message posted to each click's response URL,
for Teams the activity that replaces the pressed card (sent through the SDK's connector client).
Nothing is rendered or looked up per request: the floor of answering, not of deciding what.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import TurnContext
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.teams.cloud import (
    Unauthorized,
    auth_configuration,
    authorize,
    build_cloud_adapter,
    check_local_service_url,
    playground_service_url,
)


def slack_app(answer: dict[str, Any] | None = None) -> web.Application:
    """Bolt with one listener for every action: ack, then (with `answer`) post it to the
    click's response URL over one kept session, as `socialboost serve` does."""
    client = AsyncWebClient(token="xoxb-test", base_url=os.environ["SLACK_API_URL"])  # noqa: S106
    bolt = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])
    kept: list[aiohttp.ClientSession] = []

    @bolt.action(re.compile(".*"))
    async def ack_only(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if answer is not None:
            webhook = AsyncWebhookClient(url=body["response_url"], session=kept[0])
            await webhook.send_dict(answer)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def open_session(app: web.Application) -> None:
        kept.append(aiohttp.ClientSession())

    async def close_session(app: web.Application) -> None:
        await kept[0].close()

    app = _served(web.post("/slack/events", events))
    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    return app


class _Nothing:
    """An agent that hears every activity and, given an answer, replaces the pressed card."""

    def __init__(self, answer: Activity | None = None) -> None:
        self.answer = answer

    async def on_turn(self, context: TurnContext) -> None:
        if self.answer is not None and context.activity.reply_to_id:
            update = self.answer.model_copy(update={"id": context.activity.reply_to_id})
            await context.update_activity(update)


def teams_app(connector_port: int, answer: dict[str, Any] | None = None) -> web.Application:
    """The Agents SDK's CloudAdapter in anonymous local mode, running an empty turn (or one card
    update) after the same checks as ours (loopback peer, no forwarding header, the
    Playground's service URL)."""
    # As in `socialboost serve`: without an app id the SDK warns on every turn.
    logging.getLogger("microsoft_agents.hosting.core.connector.client.user_token_client").setLevel(
        logging.ERROR
    )
    configuration = auth_configuration(None)
    cloud = build_cloud_adapter(configuration)
    agent = _Nothing(Activity.model_validate(answer) if answer is not None else None)
    allowed = playground_service_url(connector_port)

    async def messages(request: web.Request) -> web.StreamResponse:
        try:
            identity = await authorize(
                configuration,
                request.headers.get("Authorization"),
                peer=request.remote,
                headers=request.headers,
            )
            check_local_service_url(await request.read(), allowed=allowed)
        except Unauthorized:
            return web.json_response({"error": "unauthorized"}, status=401)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            request["claims_identity"] = identity
        response = await cloud.process(request, agent)
        return response if response is not None else web.Response(status=200)

    app = _served(web.post("/api/messages", messages))
    app.on_cleanup.append(lambda _: cloud.aclose())
    return app


def _served(route: web.RouteDef) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.add_routes([route, web.get("/healthz", healthz)])
    return app


if __name__ == "__main__":
    platform, port, connector = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    answer = json.loads(Path(sys.argv[4]).read_text()) if len(sys.argv) > 4 else None
    app = slack_app(answer) if platform == "slack" else teams_app(connector, answer)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
