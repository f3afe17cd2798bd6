"""Record the simulator's scenarios once, then regroup them offline in seconds (issue 17).

The simulation does not depend on the grouping (it regroups only at the end), so a run's
SQLite database holds everything the grouping reads. `record` keeps each scenario's database
and hidden types; `evaluate` recomputes the signals and groups with the current code and
prints the `simulate --scenarios` table (the same figures, without replaying the weeks).

    .venv/bin/python -m bench.insights_tuning record --seeds 1 --out runs/
    .venv/bin/python -m bench.insights_tuning evaluate --seeds 1,2 --out runs/

`record --scenarios "usual;research mix"` plays only the scenarios named (semicolon-separated:
the names themselves hold commas), to save time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pickle
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from content_store.analytics.insights import content_team_marks, workspace_signals
from content_store.database import Database
from content_store.models import Share
from domain.programme import ProgrammeStatus
from insights.grouping import Thresholds, place_all
from insights.signals import Signals
from simulation.scenarios import (
    SCENARIOS,
    TABLE_HEADER,
    TABLE_NOTE,
    Scenario,
    format_row,
    scenario_row,
)
from simulation.scoring import (
    GroupScore,
    JoinedRecall,
    baseline,
    macro_f1,
    recall_among_joined,
    score,
)
from simulation.world import START, Config, World, _idea_server

EMPLOYEES, WEEKS = 200, 8


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name).strip("-")


def _stem(out: Path, seed: int, name: str) -> Path:
    return out / f"s{seed}-{_slug(name)}"


def chosen_scenarios(names: str | None) -> list[Scenario]:
    """The scenarios named in `names` (semicolon-separated, any case), in the table's order;
    every scenario when None. An unknown name is an error that lists the known ones."""
    if names is None:
        return list(SCENARIOS)
    wanted = {name.strip().casefold() for name in names.split(";") if name.strip()}
    known = {scenario.name.casefold() for scenario in SCENARIOS}
    unknown = sorted(wanted - known)
    if unknown or not wanted:
        listed = "; ".join(scenario.name for scenario in SCENARIOS)
        raise ValueError(f"unknown scenario(s) {unknown or names!r}; known: {listed}")
    return [scenario for scenario in SCENARIOS if scenario.name.casefold() in wanted]


async def record(seed: int, out: Path, scenarios: list[Scenario] | None = None) -> None:
    """Play every scenario (or those given) on `seed`, keeping its database and hidden types."""
    for scenario in SCENARIOS if scenarios is None else scenarios:
        stem = _stem(out, seed, scenario.name)
        if stem.with_suffix(".json").exists():
            continue
        path = stem.with_suffix(".db")
        path.unlink(missing_ok=True)
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await db.upgrade()
            config = Config(EMPLOYEES, WEEKS, seed, habits=scenario.habits, name=scenario.name)
            async with _idea_server() as (base_url, port):
                world = World(db, config, ideas_url=base_url, port=port)
                result = await world.run()
            facts = {
                "workspace_id": world.workspace_id,
                "hidden": {str(k): v for k, v in result.hidden.items()},
                # Everyone who ever answered the invitation "in", for the needs-help ceiling.
                "joined": sorted(result.joined),
                "recorded": result.as_json(),
            }
        finally:
            await db.dispose()
        stem.with_suffix(".json").write_text(json.dumps(facts))
        print(f"seed {seed}: {scenario.name} {result.macro_f1:.3f}", flush=True)


@dataclass
class Run:
    """One recorded scenario, ready to regroup offline."""

    seed: int
    name: str
    combined: bool
    hidden: dict[int, str]
    signals: list[Signals]
    status: dict[int, str]
    share_counts: dict[int, int]
    marks: dict[int, Any]
    joined: frozenset[int]


async def load(seed: int, out: Path, thresholds: Thresholds) -> list[Run]:
    """Every recorded scenario of `seed`, with signals computed by the current code."""
    runs = []
    for scenario in SCENARIOS:
        stem = _stem(out, seed, scenario.name)
        if not stem.with_suffix(".json").exists():
            continue  # not recorded (yet)
        facts = json.loads(stem.with_suffix(".json").read_text())
        db = Database(f"sqlite+aiosqlite:///{stem.with_suffix('.db')}")
        try:
            async with db.session() as session:
                workspace_id = facts["workspace_id"]
                signals = await workspace_signals(
                    session,
                    workspace_id=workspace_id,
                    now=START + timedelta(weeks=WEEKS),
                    timing=thresholds.timing,
                )
                marks = await content_team_marks(session, workspace_id=workspace_id)
                query = select(Share.person_id, func.count()).group_by(Share.person_id)
                counts = {pid: n for pid, n in await session.execute(query) if pid is not None}
        finally:
            await db.dispose()
        hidden = {int(k): v for k, v in facts["hidden"].items()}
        status = {s.person_id: s.status for s in signals}
        if "joined" in facts:
            joined = frozenset(int(pid) for pid in facts["joined"])
        else:
            # Recorded before "joined" was kept: a simulated person answers the invitation once
            # and never leaves, so those who joined are those in the programme at the end.
            joined = frozenset(p for p, st in status.items() if st == ProgrammeStatus.IN.value)
        runs.append(
            Run(
                seed,
                scenario.name,
                scenario.combined,
                hidden,
                signals,
                status,
                counts,
                marks,
                joined,
            )
        )
    return runs


@dataclass
class Scored:
    """A regrouped run's figures, shaped like simulation.world.Result for scenario_row."""

    scores: dict[str, GroupScore]
    baseline_scores: dict[str, GroupScore]
    not_sure_share: float
    needs_help_joined: JoinedRecall

    @property
    def macro_f1(self) -> float:
        """The groups' macro-F1."""
        return macro_f1(self.scores)

    @property
    def baseline_macro_f1(self) -> float:
        """The baseline's macro-F1."""
        return macro_f1(self.baseline_scores)

    def as_json(self) -> dict[str, Any]:
        """Only what scenario_row reads."""
        return {
            "groups": {k: {"recall": v.recall} for k, v in self.scores.items()},
            "baseline_groups": {k: {"recall": v.recall} for k, v in self.baseline_scores.items()},
        }


def regroup(run: Run, thresholds: Thresholds) -> Scored:
    """Group a recorded run with the current code and score it."""
    placements = place_all(run.signals, thresholds, run.marks)
    placed = {p.person_id: p.group.value for p in placements}
    predicted = {pid: placed.get(pid, "not_interested") for pid in run.hidden}
    inside = {pid for pid, status in run.status.items() if status == ProgrammeStatus.IN.value}
    unsure = sum(1 for p in placements if p.person_id in inside and not p.sure)
    guess = baseline(run.share_counts, sorted(run.hidden))
    return Scored(
        score(run.hidden, predicted),
        score(run.hidden, guess),
        unsure / len(inside) if inside else 0.0,
        recall_among_joined(run.hidden, predicted, run.joined),
    )


def table(runs: list[Run], thresholds: Thresholds) -> list[dict[str, Any]]:
    """The scenario rows over the runs' seeds."""
    rows = []
    for scenario in SCENARIOS:
        mine = [regroup(r, thresholds) for r in runs if r.name == scenario.name]
        if mine:
            rows.append(scenario_row(scenario.name, scenario.combined, mine))
    return rows


async def _load_all(seeds: list[int], out: Path, thresholds: Thresholds) -> list[Run]:
    runs: list[Run] = []
    for seed in seeds:
        runs += await load(seed, out, thresholds)
    return runs


def main() -> None:
    """record | evaluate | dump."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=("record", "evaluate", "dump"))
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--out", type=Path, required=True, help="a folder for the runs")
    parser.add_argument(
        "--scenarios",
        default=None,
        help='record: only these scenarios, semicolon-separated ("usual;research mix")',
    )
    args = parser.parse_args()
    try:
        scenarios = chosen_scenarios(args.scenarios)
    except ValueError as error:
        parser.error(str(error))
    args.out.mkdir(parents=True, exist_ok=True)
    seeds = [int(word) for word in args.seeds.split(",") if word.strip()]
    thresholds = Thresholds()
    if args.action == "record":
        for seed in seeds:
            asyncio.run(record(seed, args.out, scenarios))
        return
    runs = asyncio.run(_load_all(seeds, args.out, thresholds))
    if args.action == "dump":
        with (args.out / f"runs-{'-'.join(map(str, seeds))}.pickle").open("wb") as handle:
            pickle.dump(runs, handle)
        return
    print(TABLE_HEADER)
    for row in table(runs, thresholds):
        print(format_row(row))
    print(f"\n{TABLE_NOTE}")
    most = max(Counter(r.name for r in runs).values(), default=0)
    print(f"runs per scenario: at most {most} (seeds {args.seeds}; unrecorded ones left out)")


if __name__ == "__main__":
    main()
