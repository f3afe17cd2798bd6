"""Named scenarios: habits the grouping was not designed around, alone and combined."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from simulation.behaviour import Habits
from simulation.scoring import JoinedRecall


@dataclass(frozen=True)
class Scenario:
    """One named variation of the organisation."""

    name: str
    habits: Habits
    combined: bool = False


_NEXT_DAY = 0.6
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("usual", Habits()),
    Scenario("research mix", Habits(mix="research")),
    Scenario("many willing", Habits(mix="willing")),
    Scenario("self-driven share as-is", Habits(editing="verbatim")),
    Scenario("needs-help rewrite all", Habits(editing="diligent")),
    Scenario("no tips, no topics", Habits(tips="none", topics="none")),
    Scenario("four-week holiday", Habits(holiday_weeks=4)),
    Scenario("25-person teams", Habits(team_size=25)),
    Scenario("manager pushes, unlogged", Habits(outside_nudges="manager")),
    Scenario("manager pushes, logged", Habits(outside_nudges="logged")),
    Scenario("back the next day", Habits(next_day=_NEXT_DAY)),
    Scenario(
        "combined: as-is + rewrite all + next day",
        Habits(editing="both", next_day=_NEXT_DAY),
        combined=True,
    ),
    Scenario(
        "combined: research mix + rewrite all + no tips/topics + logged pushes",
        Habits(mix="research", editing="both", tips="none", topics="none", outside_nudges="logged"),
        combined=True,
    ),
    Scenario(
        "combined: everything, pushes unlogged",
        Habits(
            mix="research",
            editing="both",
            tips="none",
            topics="none",
            outside_nudges="manager",
            next_day=_NEXT_DAY,
            holiday_weeks=4,
            team_size=25,
        ),
        combined=True,
    ),
)


def by_name(names: Sequence[str]) -> list[Scenario]:
    """The scenarios with these names (all of them without names)."""
    if not names:
        return list(SCENARIOS)
    known = {s.name: s for s in SCENARIOS}
    return [known[name] for name in names]


class Scored(Protocol):
    """What a scenario row reads from a run's result."""

    @property
    def macro_f1(self) -> float: ...

    @property
    def baseline_macro_f1(self) -> float: ...

    @property
    def not_sure_share(self) -> float: ...

    @property
    def needs_help_joined(self) -> JoinedRecall: ...

    def as_json(self) -> dict[str, Any]: ...


def scenario_row(name: str, combined: bool, results: Sequence[Scored]) -> dict[str, Any]:
    """One scenario's figures over its seeds: means, and the worst macro-F1."""
    count = len(results)

    def mean(values: Sequence[float]) -> float:
        return round(sum(values) / count, 3)

    def recall(result: Scored, key: str) -> float:
        return float(result.as_json()[key]["needs_help"]["recall"])

    return {
        "scenario": name,
        "combined": combined,
        "macro_f1": mean([r.macro_f1 for r in results]),
        "worst_macro_f1": round(min(r.macro_f1 for r in results), 3),
        "needs_help_recall": mean([recall(r, "groups") for r in results]),
        "needs_help_ceiling": mean([r.needs_help_joined.ceiling for r in results]),
        "needs_help_joined_recall": mean([r.needs_help_joined.recall for r in results]),
        "baseline_macro_f1": mean([r.baseline_macro_f1 for r in results]),
        "baseline_needs_help_recall": mean([recall(r, "baseline_groups") for r in results]),
        "not_sure": mean([r.not_sure_share for r in results]),
    }


TABLE_HEADER = (
    "| scenario | macro-F1 (worst seed) | needs-help recall | ceiling | recall if joined "
    "| baseline macro-F1 | baseline needs-help recall | not sure yet |"
    "\n|---|---|---|---|---|---|---|---|"
)
# Printed once after the table: what the two columns beside needs-help recall mean.
TABLE_NOTE = (
    "ceiling: share of the people who need help who ever joined (answered the invitation\n"
    '"in"), the highest needs-help recall any grouping could reach.\n'
    "recall if joined: needs-help recall among those who joined."
)


def format_row(row: dict[str, Any]) -> str:
    """A scenario's row as one Markdown table line."""
    return (
        f"| {row['scenario']} | {row['macro_f1']:.3f} (worst {row['worst_macro_f1']:.3f}) "
        f"| {row['needs_help_recall']:.3f} | {row['needs_help_ceiling']:.3f} "
        f"| {row['needs_help_joined_recall']:.3f} | {row['baseline_macro_f1']:.3f} "
        f"| {row['baseline_needs_help_recall']:.3f} | {row['not_sure']:.1%} |"
    )
