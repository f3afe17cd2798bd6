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
# Someone whose e-mail Teams did not tell is asked again after this long, not on every message.
EMAIL_RETRY_SECONDS = 600.0


@dataclass
class Seen:
    """People known to exist (with their workspace id), references written lately, and when
    Teams was last asked for the e-mail of someone stored without one."""

    limit: int = LIMIT
    rewrite_seconds: float = REWRITE_SECONDS
    email_retry_seconds: float = EMAIL_RETRY_SECONDS
    _people: dict[tuple[str, str], int] = field(default_factory=dict)
    _references: dict[tuple[int, str], tuple[str, float]] = field(default_factory=dict)
    _email_asked: dict[tuple[str, str], float] = field(default_factory=dict)

    def workspace_of(self, tenant_id: str, user_id: str) -> int | None:
        """The workspace id of a person this process saw in the database, else None."""
        return self._people.get((tenant_id, user_id))

    def person_exists(self, tenant_id: str, user_id: str, *, workspace_id: int) -> None:
        """Note that the person exists (seen in a committed row)."""
        _bounded(self._people, self.limit)
        self._people[(tenant_id, user_id)] = workspace_id

    def email_due(self, tenant_id: str, user_id: str) -> bool:
        """Whether Teams may be asked for this person's e-mail (not asked within the retry)."""
        asked = self._email_asked.get((tenant_id, user_id))
        return asked is None or time.monotonic() - asked >= self.email_retry_seconds

    def email_asked(self, tenant_id: str, user_id: str) -> None:
        """Note that Teams was just asked for this person's e-mail."""
        _bounded(self._email_asked, self.limit)
        self._email_asked[(tenant_id, user_id)] = time.monotonic()

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
