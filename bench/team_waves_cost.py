"""Benchmark: what team waves add to turning a workspace's raw figures into signals.

Synthetic raw figures (people in teams, a year of shares each, some soon after a nudge), then,
alternately, `insights.signals.summarise_all` with team waves off (the baseline, the work a
regrouping did before) and on; prints both times and their ratio.

    .venv/bin/python -m bench.team_waves_cost --people 50000 --team-size 10 --shares 10
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace
from datetime import UTC, datetime

from insights.signals import DAY_SECONDS, Raw, ShareFact, Timing, summarise_all

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
YEAR = 365 * DAY_SECONDS


def raws(people: int, team_size: int, shares: int, seed: int) -> list[Raw]:
    """Everyone's raw figures: `shares` shares a year on average, a third soon after a nudge."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not a secret
    start = int(NOW.timestamp()) - YEAR
    found = []
    for person in range(people):
        moments = sorted(start + rng.randrange(YEAR) for _ in range(rng.randint(0, 2 * shares)))
        facts = [
            ShareFact(at, rng.randrange(3600, 8 * 3600) if rng.random() < 0.33 else None)
            for at in moments
        ]
        found.append(
            Raw(
                person_id=person + 1,
                status="in",
                invited=True,
                counts={},
                first_in=start,
                first_reminded=None,
                shares=facts,
                help_asks=(),
                rewrite_ratio=None,
                topics_chosen=0,
                topics=None,
                content_topics={},
                clicks=0,
                team=person // team_size,
            )
        )
    return found


def _timed(everyone: list[Raw], timing: Timing) -> float:
    started = time.perf_counter()
    summarise_all(everyone, now=NOW, timing=timing)
    return time.perf_counter() - started


def main() -> None:
    """Time both, alternately, and print the best of each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--team-size", type=int, default=10)
    parser.add_argument("--shares", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    everyone = raws(args.people, args.team_size, args.shares, seed=5)
    on = Timing()
    off = replace(on, wave_seconds=0)
    times: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(args.rounds):
        times["off"].append(_timed(everyone, off))
        times["on"].append(_timed(everyone, on))
    total = sum(len(raw.shares) for raw in everyone)
    best_off, best_on = min(times["off"]), min(times["on"])
    print(f"{args.people} people in teams of {args.team_size}, {total} shares")
    print(f"signals without team waves (baseline): {best_off:.2f} s")
    print(f"signals with team waves:               {best_on:.2f} s")
    print(f"ratio {best_on / best_off:.2f}; {(best_on - best_off) / total * 1e6:.2f} µs a share")


if __name__ == "__main__":
    main()
