"""How often the team-wave rule marks a pushed share and a share by chance (issue 17).

A small model, not the simulator: one team's week, with shares people make on their own at
random moments (all week, or office hours only: 09:00-17:00 on weekdays) and one push from
outside the bot at an office-hours moment, answered by a few teammates after a delay drawn
from one of several spreads (one share a person). Every share is unprompted by the bot, and
the rule is `insights.signals.team_waves` itself. It prints, per spread, the share of pushed
shares marked as following a teammate and the share of chance shares marked, side by side.

    .venv/bin/python -m bench.team_waves_model --weeks 3000
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable

from insights.signals import ShareFact, Timing, team_waves

HOUR = 3600
Spread = Callable[[random.Random], float]
SPREADS: dict[str, Spread] = {
    "within the hour": lambda rng: rng.uniform(0.0, 1.0),
    "log-normal, median 1.5 h (the simulator)": lambda rng: min(
        20.0, math.exp(rng.gauss(math.log(1.5), 0.9))
    ),
    "log-normal, median 4 h": lambda rng: min(48.0, math.exp(rng.gauss(math.log(4.0), 1.0))),
    "uniform over a day": lambda rng: rng.uniform(0.0, 24.0),
}


def _office(rng: random.Random) -> float:
    """An office-hours moment of the week, in hours from Monday 00:00."""
    return rng.randrange(5) * 24 + rng.uniform(9.0, 17.0)


def _week(
    rng: random.Random, spread: Spread, *, own: float, answers: float, office: bool
) -> tuple[list[tuple[int, list[ShareFact]]], set[int]]:
    """One team-week's people with their share (no nudge of ours before), and who was pushed."""
    moments: list[tuple[float, bool]] = []
    for _ in range(_poisson(rng, own)):
        moments.append((_office(rng) if office else rng.uniform(0.0, 168.0), False))
    push = _office(rng)
    for _ in range(_poisson(rng, answers)):
        moments.append((push + spread(rng), True))
    members = [
        (person, [ShareFact(int(at * HOUR), None)]) for person, (at, _) in enumerate(moments)
    ]
    return members, {person for person, (_, pushed) in enumerate(moments) if pushed}


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def rates(
    spread: Spread, *, window_hours: float, own: float, answers: float, office: bool, weeks: int
) -> tuple[float, float]:
    """Shares of pushed and of chance shares the rule marks."""
    rng = random.Random(17)  # noqa: S311 - a model, not a secret
    timing = Timing(wave_seconds=int(window_hours * HOUR))
    marked = {True: 0, False: 0}
    seen = {True: 0, False: 0}
    for _ in range(weeks):
        members, pushed = _week(rng, spread, own=own, answers=answers, office=office)
        waves = team_waves(members, timing)
        for person, _ in members:
            kind = person in pushed
            seen[kind] += 1
            marked[kind] += person in waves
    return marked[True] / max(1, seen[True]), marked[False] / max(1, seen[False])


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weeks", type=int, default=3000)
    args = parser.parse_args()
    print("| own shares / week | push answers | hours | spread of answers | W | pushed | chance |")
    print("|---|---|---|---|---|---|---|")
    for own, answers in ((2.0, 1.0), (2.0, 2.0), (4.0, 3.0)):
        for office in (False, True):
            for name, spread in SPREADS.items():
                for window in (2.0, 4.0):
                    pushed, chance = rates(
                        spread,
                        window_hours=window,
                        own=own,
                        answers=answers,
                        office=office,
                        weeks=args.weeks,
                    )
                    hours = "office" if office else "any"
                    print(
                        f"| {own:.0f} | {answers:.0f} | {hours} | {name} | {window:.0f} h "
                        f"| {pushed:.2f} | {chance:.2f} |"
                    )


if __name__ == "__main__":
    main()
