"""Log output: readable lines by default, one JSON object per line with LOG_FORMAT=json."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

# Tokens that must never reach a log line, whatever code logged them.
_SECRET_PATTERNS = [
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"sk-[A-Za-z0-9_-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)((?:password|secret|token|api_key)=)[^\s&]+"),
    # OAuth codes and states in LinkedIn's callback, and the secret of a connect link (an
    # access log at DEBUG shows request lines).
    re.compile(r"(?i)([?&](?:code|state)=)[^\s&]+"),
    re.compile(r"(/connect/[a-z]+/)[A-Za-z0-9_-]{20,}"),
]


def redact(text: str) -> str:
    """Text with anything that looks like a credential replaced by '[redacted]'."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text)
    return text


class RedactingFormatter(logging.Formatter):
    """Human-readable lines, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


# Libraries that speak at INFO about their own routine (each scheduler tick, the Agents
# SDK's multi-line connection dump, every HTTP request): their warnings still show.
_ROUTINE = (
    "apscheduler.executors.default",
    "apscheduler.scheduler",
    "microsoft_agents.hosting.core.authorization.connection_manager",
    # One INFO line per card updated or reply sent ("Updating activity: ..."): formatted and
    # redacted on every share submit.
    "microsoft_agents.hosting.core.connector.client.connector_client",
    "aiohttp.access",
)


def configure_logging(*, level: str, fmt: str) -> None:
    """Install one handler on the root logger in the chosen format."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet = logging.WARNING if level != "DEBUG" else logging.DEBUG
    for name in _ROUTINE:
        logging.getLogger(name).setLevel(quiet)
