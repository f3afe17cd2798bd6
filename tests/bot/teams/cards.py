"""Adaptive Card checks with Microsoft's Adaptive Cards library (npm `adaptivecards`, via node)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
VALIDATOR = Path(__file__).with_name("validate_cards.js")
LIBRARY = ROOT / "node_modules" / "adaptivecards"


def node_tools_or_skip(*needed: Path) -> str:
    """The node binary; skips when node or the npm packages are missing (fails under CI)."""
    node = shutil.which("node")
    missing = [str(path) for path in needed if not path.exists()]
    if node is None or missing:
        reason = f"node or npm packages missing ({node=}, {missing=}); run `npm ci`"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return node


def card_problems(cards: list[dict[str, Any]]) -> list[list[str]]:
    """For each card, what the Adaptive Cards library reports wrong with it."""
    node = node_tools_or_skip(LIBRARY)
    done = subprocess.run(  # noqa: S603 - fixed script, our own input
        [node, str(VALIDATOR)],
        input=json.dumps(cards),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    found: list[list[str]] = json.loads(done.stdout)
    return found


def assert_valid_cards(cards: list[dict[str, Any]]) -> None:
    """Fail with the library's words unless every card is valid Adaptive Card 1.5."""
    for card in cards:
        assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    problems = card_problems(cards)
    found = {index: found for index, found in enumerate(problems) if found}
    assert not found, f"invalid cards: {found}; first: {json.dumps(cards[min(found)])[:3000]}"
