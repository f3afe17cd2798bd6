"""What one server process already knows about Teams people and conversations, so that a
message does not read or write it again. Only a speed-up: forgetting costs a query."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

# Bounds, so a process serving a huge tenant does not grow without limit.
LIMIT = 50_000
# A reference written this long ago is written again (its `updated_at` orders personal chats).
REWRITE_SECONDS = 600.0


@dataclass
class Seen:
    """People known to exist (with their workspace id) and references written lately."""

    limit: int = LIMIT
    rewrite_seconds: float = REWRITE_SECONDS
    _people: dict[tuple[str, str], int] = field(default_factory=dict)
    _references: dict[tuple[int, str], tuple[str, float]] = field(default_factory=dict)

    def workspace_of(self, tenant_id: str, user_id: str) -> int | None:
        """The workspace id of a person this process saw in the database, else None."""
        return self._people.get((tenant_id, user_id))

    def person_exists(self, tenant_id: str, user_id: str, *, workspace_id: int) -> None:
        """Note that the person exists (seen in a committed row)."""
        _bounded(self._people, self.limit)
        self._people[(tenant_id, user_id)] = workspace_id

    def written_lately(
        self, workspace_id: int, conversation_id: str, reference: dict[str, Any]
    ) -> bool:
        """True if this very reference was written by this process within `rewrite_seconds`."""
        found = self._references.get((workspace_id, conversation_id))
        if found is None:
            return False
        fingerprint, at = found
        fresh = time.monotonic() - at < self.rewrite_seconds
        return fresh and fingerprint == _fingerprint(reference)

    def reference_written(
        self, workspace_id: int, conversation_id: str, reference: dict[str, Any]
    ) -> None:
        """Note a reference just committed."""
        _bounded(self._references, self.limit)
        self._references[(workspace_id, conversation_id)] = (
            _fingerprint(reference),
            time.monotonic(),
        )

    def forget_conversation(self, workspace_id: int, conversation_id: str) -> None:
        """The app left the conversation: the next reference must be written."""
        self._references.pop((workspace_id, conversation_id), None)


def _fingerprint(reference: dict[str, Any]) -> str:
    return json.dumps(reference, sort_keys=True, separators=(",", ":"), default=str)


def _bounded(cache: dict[Any, Any], limit: int) -> None:
    if len(cache) >= limit:
        cache.clear()
