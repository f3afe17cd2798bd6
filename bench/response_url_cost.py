"""Benchmark: CPU per response-URL answer, slack_sdk's webhook client against ours, same run.

    .venv/bin/python -m bench.response_url_cost --answers 2000

Both post the same share answer (a rendered card) to a loopback sink in this process through
one pooled aiohttp session; the CPU time of the process (the sink included) per answer.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack import response_url

Post = Callable[[ClientSession, str, dict[str, Any]], Awaitable[object]]
BODY: dict[str, Any] = {
    "text": "Shared to LinkedIn",
    "replace_original": True,
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Item {n}* shared, thank you"}}
        for n in range(8)
    ],
}


async def _slack_sdk(session: ClientSession, url: str, body: dict[str, Any]) -> object:
    return await AsyncWebhookClient(url=url, session=session).send_dict(body)


async def _ours(session: ClientSession, url: str, body: dict[str, Any]) -> object:
    return await response_url.post(session, url, body)


async def _sink(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text="ok")


async def _measure(post: Post, session: ClientSession, url: str, answers: int) -> float:
    for _ in range(answers // 10):  # warm-up
        await post(session, url, BODY)
    start = time.process_time()
    for _ in range(answers):
        await post(session, url, BODY)
    return (time.process_time() - start) / answers * 1000


async def main(answers: int, rounds: int) -> None:
    app = web.Application()
    app.router.add_post("/hook", _sink)
    server = TestServer(app)
    await server.start_server()
    url = str(server.make_url("/hook"))
    try:
        async with ClientSession() as session:
            print("round  slack_sdk ms  ours ms  ours/slack_sdk")
            for round_ in range(rounds):
                before = await _measure(_slack_sdk, session, url, answers)
                after = await _measure(_ours, session, url, answers)
                print(f"{round_ + 1:>5}  {before:>12.3f}  {after:>7.3f}  {after / before:>14.2f}")
    finally:
        await server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    asyncio.run(main(options.answers, options.rounds))
