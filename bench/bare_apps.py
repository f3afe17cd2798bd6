"""The baselines for the HTTP load benchmark: a Bolt app and an Agents SDK app that only ack.

Each is served by aiohttp exactly as `socialboost serve` serves the real ones (the same request
conversion for Bolt, the same CloudAdapter and token check for Teams), with nothing behind them.

    python -m bench.bare_apps slack 8123 3978   # POST /slack/events, GET /healthz
    python -m bench.bare_apps teams 8124 3978   # POST /api/messages, GET /healthz

The last argument is the Playground port whose service URL anonymous local mode accepts.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import warnings

from aiohttp import web
from microsoft_agents.hosting.core import TurnContext
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.teams.cloud import (
    Unauthorized,
    auth_configuration,
    authorize,
    build_cloud_adapter,
    check_local_service_url,
    playground_service_url,
)


def slack_app() -> web.Application:
    """Bolt with one listener for every action: ack, nothing else."""
    client = AsyncWebClient(token="xoxb-test", base_url=os.environ["SLACK_API_URL"])  # noqa: S106
    bolt = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @bolt.action(re.compile(".*"))
    async def ack_only(ack: AsyncAck) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    return _served(web.post("/slack/events", events))


class _Nothing:
    """An agent that hears every activity and does nothing with it."""

    async def on_turn(self, context: TurnContext) -> None:
        return None


def teams_app(connector_port: int) -> web.Application:
    """The Agents SDK's CloudAdapter in anonymous local mode, running an empty turn after the
    same checks as ours (loopback peer, no forwarding header, the Playground's service URL)."""
    # As in `socialboost serve`: without an app id the SDK warns on every turn.
    logging.getLogger("microsoft_agents.hosting.core.connector.client.user_token_client").setLevel(
        logging.ERROR
    )
    configuration = auth_configuration(None)
    cloud = build_cloud_adapter(configuration)
    agent = _Nothing()
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
    app = slack_app() if platform == "slack" else teams_app(connector)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
