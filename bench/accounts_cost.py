"""Benchmark: what connected accounts add to a share press, and what sealing a token costs.

A share press with connected accounts configured also asks whether the person connected the
network (one more statement); without configuration nothing is asked. Both are timed in the
same run, like `bench.share_cost`, plus Fernet sealing and opening of a LinkedIn-sized token.

    .venv/bin/python -m bench.accounts_cost --database sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import secrets
import tempfile
import time
from pathlib import Path

from bench.share_cost import _counter, _cpu_ms, workload
from bench.workload import fresh_database
from content_store.token_box import TokenBox
from publishing.bluesky import BlueskyConfig
from publishing.config import AccountsConfig
from publishing.linkedin import LinkedInConfig

BOX = TokenBox.from_settings(listed="", secret_key=b"bench secret")
ACCOUNTS = AccountsConfig(
    linkedin=LinkedInConfig(client_id="id", client_secret="bench"),  # noqa: S106 - no real app
    bluesky=BlueskyConfig(),
    box=BOX,
    pkce_key=b"bench",
)


async def measure(kind: str, directory: Path, *, count: int) -> dict[str, tuple[float, float]]:
    """CPU ms and statements per share, with accounts off and on, on one database."""
    db = await fresh_database(kind, directory)
    try:
        load = await workload(db)
        results = {}
        on = dataclasses.replace(load.services, accounts=ACCOUNTS)
        for name, services in (("off", load.services), ("on", on)):
            one_share = load.sharer(services)
            await _cpu_ms(one_share, count=200)
            statements = _counter(db)
            before = statements[0]
            cpu = await _cpu_ms(one_share, count=count)
            results[name] = (cpu, (statements[0] - before) / count)
        return results
    finally:
        await db.dispose()


def seal_open_us(count: int = 20000) -> tuple[float, float]:
    """Microseconds to seal, and to open, a 350-character token (LinkedIn's are about that)."""
    token = secrets.token_urlsafe(262)
    started = time.perf_counter()
    sealed = [BOX.seal(token) for _ in range(count)]
    sealing = (time.perf_counter() - started) / count * 1e6
    started = time.perf_counter()
    for one in sealed:
        BOX.open(one)
    return sealing, (time.perf_counter() - started) / count * 1e6


def main() -> None:
    """Parse arguments, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--shares", type=int, default=2000)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        results = asyncio.run(measure(arguments.database, Path(directory), count=arguments.shares))
    print(f"{'accounts':<9} {'share ms':>9} {'statements':>10}")
    for name, (cpu, statements) in results.items():
        print(f"{name:<9} {cpu:>9.2f} {statements:>10.1f}")
    sealing, opening = seal_open_us()
    print(f"seal {sealing:.1f} us, open {opening:.1f} us per token")


if __name__ == "__main__":
    main()
