"""Slack payloads to neutral values: who acts, which item, which caption."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from domain.errors import InvalidInput

_ITEM_BLOCK = re.compile(
    r"^(?:item|reason|caption|card|end|shared|copy|hint|guidelines|share|done):(\d+)(?::\d+)?$"
)


def team_id(body: Mapping[str, Any]) -> str:
    """The workspace of any payload: commands carry team_id, interactions team.id."""
    team = body.get("team")
    found = team.get("id") if isinstance(team, Mapping) else body.get("team_id")
    if not isinstance(found, str) or not found:
        raise InvalidInput("slack.payload", "The request from Slack has no workspace.")
    return found


def user_id(body: Mapping[str, Any]) -> str:
    """The acting user of any payload."""
    user = body.get("user")
    found = user.get("id") if isinstance(user, Mapping) else body.get("user_id")
    if not isinstance(found, str) or not found:
        raise InvalidInput("slack.payload", "The request from Slack has no user.")
    return found


def replace_item_blocks(
    blocks: list[dict[str, Any]], content_id: int, replacement: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The message's blocks with those of one item (its card or share panel) replaced."""
    positions = [i for i, block in enumerate(blocks) if _item_of(block) == content_id]
    if not positions:
        return [*blocks, *replacement]
    first, last = positions[0], positions[-1]
    return [*blocks[:first], *replacement, *blocks[last + 1 :]]


def _item_of(block: Mapping[str, Any]) -> int | None:
    match = _ITEM_BLOCK.match(str(block.get("block_id", "")))
    return int(match.group(1)) if match else None
