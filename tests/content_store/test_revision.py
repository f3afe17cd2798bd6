"""`socialboost db revision`: migrations written by comparing the models with the database."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from content_store.database import Database, next_revision_id


def _body(path: Path, function: str) -> list[ast.stmt]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    (found,) = (
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == function
    )
    return found.body


async def test_the_migrations_build_exactly_the_schema_of_the_models(
    db: Database, tmp_path: Path
) -> None:
    # On an up-to-date database autogenerate finds nothing: the models and the migrations agree,
    # so a migration written after a model change holds that change and nothing else.
    path = await db.revision("Nothing changed", directory=tmp_path)
    assert path.parent == tmp_path
    assert re.fullmatch(r"\d{4}_nothing_changed\.py", path.name)
    for function in ("upgrade", "downgrade"):
        assert [type(statement) for statement in _body(path, function)] == [ast.Pass], (
            f"models and migrations differ:\n{path.read_text(encoding='utf-8')}"
        )


@pytest.mark.parametrize(
    ("head", "message", "expected"),
    [
        (
            "0009_do_not_invite",
            "Add a column: people.pronouns!",
            "0010_add_a_column_people_pronouns",
        ),
        ("0041_x", "   ", "0042_revision"),
        (None, "Initial", "0001_initial"),
    ],
)
def test_revision_ids_are_numbered_after_the_head(
    head: str | None, message: str, expected: str
) -> None:
    assert next_revision_id(head, message) == expected
