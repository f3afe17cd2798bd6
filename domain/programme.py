"""Programme states, cadences, roles and consents a person can have."""

from __future__ import annotations

import enum


class ProgrammeStatus(enum.StrEnum):
    """Where a person stands: never asked, in, asked again later, or a permanent no."""

    NOT_ASKED = "not_asked"
    IN = "in"
    LATER = "later"
    NO = "no"


class Cadence(enum.StrEnum):
    """How often a person wants picks."""

    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    PAUSED = "paused"


class Role(enum.StrEnum):
    """Privileged roles; every person is an employee without one."""

    CONTENT = "content"
    MANAGER = "manager"
    ADMIN = "admin"


class Consent(enum.StrEnum):
    """Things a person may allow; nothing is allowed until they say so."""

    SPOTLIGHT = "spotlight"
    LEARN_STYLE = "learn_style"


class ContentStatus(enum.StrEnum):
    """Life of a content item; `suggested` items wait for the content team's approval."""

    SUGGESTED = "suggested"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    EXPIRED = "expired"
    RETIRED = "retired"
    REJECTED = "rejected"
