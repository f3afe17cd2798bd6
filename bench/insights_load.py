"""Benchmark: regroup everyone and build every manager digest, against one plain aggregate.

A synthetic year of a 50,000-person organisation (5,000,000 events, with the shares, links,
clicks and chosen topics behind them) is written once per database; then, in a fresh process so
that its peak memory is its own, the run times one plain aggregate over the whole event table
(`SELECT person_id, type, count(*) FROM events GROUP BY person_id, type`: the simplest
per-person figure insights need, and one that must read every row — a count by person alone is
answered from an index on SQLite without touching the table), then regrouping every participant
(`handlers.insights.regroup_workspace`) and building every manager's digest for the last week
(`handlers.manager_digest.build_digests`), and prints the ratio.

    .venv/bin/python -m bench.insights_load --people 50000 --events 5000000 --database both
    .venv/bin/python -m bench.insights_load --folder runs/insights   # keep the data
    .venv/bin/python -m bench.insights_load --measure sqlite+aiosqlite:///$PWD/runs/insights/bench.db
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import insert, text

from bench.workload import ROOT, database_url, fresh_database
from captions import TemplateCaptionWriter
from content_store.database import Database
from content_store.models import (
    Click,
    ContentItem,
    Event,
    Link,
    Person,
    PersonTopic,
    Share,
    Topic,
    Workspace,
)
from domain.events import EventType as E
from domain.programme import ContentStatus, ProgrammeStatus
from handlers.context import Services

NETWORKS = ("linkedin", "x", "bluesky", "facebook")
TYPES = ("self_driven", "needs_help", "not_interested")
CHUNK = 10_000
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def _manager(index: int) -> int | None:
    """Every tenth person manages the nine after them; those managers report to every
    hundredth person, who reports to nobody (ids are index + 1)."""
    if index % 100 == 0:
        return None
    if index % 10 == 0:
        return (index // 100) * 100 + 1
    return (index // 10) * 10 + 1


class Organisation:
    """Deterministic synthetic people and their year of events, written in chunks."""

    def __init__(self, *, people: int, events: int, weeks: int, seed: int) -> None:
        self.people, self.events, self.weeks = people, events, weeks
        self.random = random.Random(seed)  # noqa: S311 - synthetic data, not a secret
        self.start = NOW - timedelta(weeks=weeks)
        self.ids: dict[str, int] = {}

    async def write(self, db: Database) -> dict[str, int]:
        """Everything, in the order foreign keys need; the row counts written."""
        async with db.session() as session:
            workspace = Workspace(platform="slack", external_id="T-INSIGHTS")
            session.add(workspace)
            await session.flush()
            self.workspace_id = workspace.id
        counts = {"people": await self._people(db)}
        self.items = await self._content(db)
        self.topics = await self._topics(db)
        counts.update(await self._activity(db))
        return counts

    async def _people(self, db: Database) -> int:
        rows = []
        for index in range(self.people):
            kind = self.random.choices(TYPES, weights=(2, 4, 4))[0]
            status = ProgrammeStatus.NO if kind == "not_interested" and index % 2 else None
            rows.append(
                {
                    "id": index + 1,
                    "workspace_id": self.workspace_id,
                    "external_id": f"U{index:07d}",
                    "display_name": f"Person {index}",
                    "manager_id": _manager(index),
                    "status": status or ProgrammeStatus.IN,
                    "consent_spotlight": index % 7 == 0,
                    "created_at": self.start,
                }
            )
            self.ids[f"kind:{index + 1}"] = TYPES.index(kind)
        await _insert(db, Person, rows)
        await _reset_sequence(db, "people")
        return len(rows)

    async def _content(self, db: Database) -> list[int]:
        rows: list[dict[str, Any]] = [
            {
                "id": n + 1,
                "workspace_id": self.workspace_id,
                "canonical_url": f"https://example.org/story-{n}",
                "title": f"Story {n}",
                "status": ContentStatus.ACTIVE,
                "publish_from": self.start,
            }
            for n in range(300)
        ]
        await _insert(db, ContentItem, rows)
        await _reset_sequence(db, "content_items")
        return [row["id"] for row in rows]

    async def _topics(self, db: Database) -> list[int]:
        rows: list[dict[str, Any]] = [
            {"id": n + 1, "workspace_id": self.workspace_id, "slug": f"t{n}"} for n in range(12)
        ]
        await _insert(db, Topic, rows)
        await _reset_sequence(db, "topics")
        chosen = [
            {"person_id": p, "topic_id": t, "chosen": True, "inferred_weight": 0.0}
            for p in range(1, self.people + 1)
            if self.ids[f"kind:{p}"] == 0 or p % 3 == 0
            for t in self.random.sample(range(1, 13), 3)
        ]
        await _insert(db, PersonTopic, chosen)
        return [row["id"] for row in rows]

    async def _activity(self, db: Database) -> dict[str, int]:
        per_person = self.events / self.people
        batch = _Batch(db)
        for person in range(1, self.people + 1):
            for table, row in self._person_year(person, per_person):
                await batch.add(table, row)
        await batch.flush_all()
        return {name: batch.written[name] for name in ("events", "shares", "clicks")}

    def _person_year(self, person: int, per_person: float) -> Iterator[tuple[str, dict[str, Any]]]:
        kind = self.ids[f"kind:{person}"]
        budget = max(1, int(self.random.gauss(per_person, per_person / 4)))
        share_p = (0.35, 0.12, 0.01)[kind]
        spontaneous = (0.6, 0.1, 0.0)[kind]
        at = self.start + timedelta(hours=self.random.randrange(48))
        yield "events", self._event(person, E.INVITED, at)
        if kind != 2 or person % 2 == 0:
            yield "events", self._event(person, E.OPTED_IN, at + timedelta(hours=1))
        written, step = 2, timedelta(weeks=self.weeks) / budget
        used: set[tuple[int, str]] = set()
        while written < budget:
            at += step
            roll = self.random.random()
            if roll < share_p and (event := self._share(person, at, spontaneous, used)):
                for row in event:
                    yield row
                    written += row[0] == "events"
                continue
            yield "events", self._ordinary(person, kind, at)
            written += 1

    def _ordinary(self, person: int, kind: int, at: datetime) -> dict[str, Any]:
        roll = self.random.random()
        if roll < 0.80:
            source = "dm" if self.random.random() < 0.8 else "home"
            return self._event(person, E.PICKS_SHOWN, at, payload={"source": source})
        if roll < 0.86:
            return self._event(person, E.REMINDED, at)
        if roll < 0.92:
            kind_type = E.MORE_LIKE_THIS if kind == 0 else E.NOT_FOR_ME
            return self._event(person, kind_type, at, content_id=self.random.choice(self.items))
        if roll < 0.96:
            payload = {"share_with_manager": self.random.random() < 0.3}
            return self._event(person, E.HELP_ASKED, at, payload=payload)
        return self._event(
            person, E.CONTENT_SUGGESTED, at, content_id=self.random.choice(self.items)
        )

    def _share(
        self, person: int, at: datetime, spontaneous: float, used: set[tuple[int, str]]
    ) -> list[tuple[str, dict[str, Any]]] | None:
        item, network = self.random.choice(self.items), self.random.choice(NETWORKS)
        if (item, network) in used:
            return None
        used.add((item, network))
        link_id = self._next("links")
        source = "home" if self.random.random() < spontaneous else "dm"
        ratio = round(self.random.random() * (0.8 if spontaneous > 0.3 else 0.2), 3)
        payload = {"network": network, "source": source, "rewrite_ratio": ratio}
        rows: list[tuple[str, dict[str, Any]]] = [
            (
                "links",
                {
                    "id": link_id,
                    "code": f"c{link_id:011d}",
                    "person_id": person,
                    "content_id": item,
                    "network": network,
                    "created_at": at,
                },
            ),
            (
                "shares",
                {
                    "person_id": person,
                    "content_id": item,
                    "network": network,
                    "source": source,
                    "suggested_caption": "Suggested",
                    "final_caption": "Mine",
                    "rewrite_ratio": ratio,
                    "link_id": link_id,
                    "intent_at": at,
                    "confirmed_at": at + timedelta(minutes=5),
                },
            ),
            ("events", self._event(person, E.SHARE_INTENT, at, content_id=item, payload=payload)),
            (
                "events",
                self._event(
                    person,
                    E.SHARE_CONFIRMED,
                    at + timedelta(minutes=5),
                    content_id=item,
                    payload={"network": network},
                ),
            ),
        ]
        for _ in range(self.random.choice((0, 0, 1, 2, 4))):
            clicked = at + timedelta(hours=self.random.randrange(1, 72))
            rows.append(("clicks", {"link_id": link_id, "clicked_at": clicked}))
            rows.append(
                (
                    "events",
                    self._event(
                        person,
                        E.LINK_CLICKED,
                        clicked,
                        content_id=item,
                        payload={"network": network},
                    ),
                )
            )
        return rows

    def _next(self, name: str) -> int:
        self.ids[name] = self.ids.get(name, 0) + 1
        return self.ids[name]

    def _event(
        self,
        person: int,
        type: E,
        at: datetime,
        *,
        content_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "person_id": person,
            "content_id": content_id,
            "type": type.value,
            "payload": payload or {},
            "created_at": min(at, NOW),
        }


class _Batch:
    """Rows buffered per table and written in chunks, parents before children."""

    ORDER = ("links", "shares", "clicks", "events")
    MODELS: ClassVar[dict[str, Any]] = {
        "links": Link,
        "shares": Share,
        "clicks": Click,
        "events": Event,
    }

    def __init__(self, db: Database) -> None:
        self.db = db
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in self.ORDER}
        self.written = dict.fromkeys(self.ORDER, 0)

    async def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)
        if len(self.rows[table]) >= CHUNK:
            await self.flush_all()

    async def flush_all(self) -> None:
        for name in self.ORDER:
            if self.rows[name]:
                await _insert(self.db, self.MODELS[name], self.rows[name])
                self.written[name] += len(self.rows[name])
                self.rows[name] = []


async def _insert(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    async with db.session() as session:
        for start in range(0, len(rows), CHUNK):
            await session.execute(insert(model), rows[start : start + CHUNK])


async def _reset_sequence(db: Database, table: str) -> None:
    if db.is_postgresql:
        async with db.session() as session:
            await session.execute(
                text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")  # noqa: S608 - our table names
            )


# ------------------------------------------------------------------ measuring


async def opened(url: str) -> tuple[Database, Services, int]:
    """An existing benchmark database, its planner statistics fresh, with plain services and
    the generated workspace's id."""
    db = Database(url)
    services = Services(db=db, captions=TemplateCaptionWriter(), public_base_url="https://x.org")
    if db.is_postgresql:
        async with db.engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
    async with db.session() as session:
        workspace_id = (await session.execute(text("SELECT min(id) FROM workspaces"))).scalar_one()
    return db, services, workspace_id


async def measure(url: str) -> dict[str, float]:
    """Time the plain aggregate, the regrouping and the digests on an existing database."""
    from handlers.insights import regroup_workspace
    from handlers.manager_digest import build_digests

    db, services, workspace_id = await opened(url)
    plain = await _timed(lambda: _plain_aggregate(db))
    plain = min(plain, await _timed(lambda: _plain_aggregate(db)))  # warm, like the rest
    week_start = NOW - timedelta(days=7)
    regroup = await _timed(lambda: regroup_workspace(services, workspace_id=workspace_id))
    digests = await _timed(
        lambda: build_digests(services, workspace_id=workspace_id, week_start=week_start)
    )
    await db.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"plain": plain, "regroup": regroup, "digests": digests, "peak_mib": peak}


async def _plain_aggregate(db: Database) -> None:
    async with db.session() as session:
        query = text("SELECT person_id, type, count(*) FROM events GROUP BY person_id, type")
        (await session.execute(query)).all()


async def _timed(work: Any) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def generate(kind: str, directory: Path, arguments: argparse.Namespace) -> dict[str, int]:
    """A fresh database of `kind` filled with the synthetic organisation."""
    db = await fresh_database(kind, directory)
    try:
        organisation = Organisation(
            people=arguments.people, events=arguments.events, weeks=52, seed=arguments.seed
        )
        return await organisation.write(db)
    finally:
        await db.dispose()


def run(kind: str, arguments: argparse.Namespace) -> dict[str, Any]:
    """Generate, then measure in a child process; one row of results."""
    if arguments.folder:
        # Kept, so that later runs (and other versions of the code) measure the same data
        # with `--measure <url>` instead of generating it again for ten minutes.
        directory = Path(arguments.folder).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "bench.db").unlink(missing_ok=True)
        return _generated_and_measured(kind, directory, arguments)
    with tempfile.TemporaryDirectory() as name:
        return _generated_and_measured(kind, Path(name), arguments)


def _generated_and_measured(
    kind: str, directory: Path, arguments: argparse.Namespace
) -> dict[str, Any]:
    started = time.perf_counter()
    counts = asyncio.run(generate(kind, directory, arguments))
    generated = time.perf_counter() - started
    url = database_url(kind, directory)
    child = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.insights_load", "--measure", url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    return {"database": kind, "url": url, "generated_s": round(generated, 1), **counts, **figures}


def main() -> None:
    """Parse arguments, run, print the table and a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--folder",
        help="keep the generated SQLite file here (PostgreSQL's stays in its database); "
        "measure it again later with --measure <url>",
    )
    parser.add_argument("--measure", metavar="URL", help="only measure this existing database")
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(asyncio.run(measure(arguments.measure))))
        return
    kinds = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(
        f"{'database':<11} {'events':>9} {'plain s':>8} {'regroup s':>10} {'digests s':>10} "
        f"{'ratio':>6} {'peak MiB':>9}"
    )
    rows = []
    for kind in kinds:
        row = run(kind, arguments)
        row["ratio"] = round((row["regroup"] + row["digests"]) / row["plain"], 2)
        rows.append(row)
        print(
            f"{kind:<11} {row['events']:>9} {row['plain']:>8.2f} {row['regroup']:>10.2f} "
            f"{row['digests']:>10.2f} {row['ratio']:>6.2f} {row['peak_mib']:>9.0f}"
        )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
