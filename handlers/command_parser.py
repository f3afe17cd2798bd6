"""Parsing the words people type after /boost (Slack) or to the bot (Teams)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from domain.errors import InvalidInput
from domain.programme import Role
from domain.schedules import ScheduleKind, WeeklyTime, parse_kind, parse_weekly_time
from domain.topics import parse_topics

MAX_COMMAND_LENGTH = 4000
MAX_FREE_TEXT = 1000

# Slack sends mentions and links escaped: <@U123|name>, <https://x.example|label>.
_MENTION = re.compile(r"^<@([A-Z0-9]{2,40})(?:\|[^>]*)?>$")
# The Teams adapter writes a mention as <@entra-object-id> (a lowercase GUID).
_TEAMS_MENTION = re.compile(r"^<@([0-9a-f][0-9a-f-]{7,63})>$")
_PLAIN_USER = re.compile(r"^@?([A-Z0-9][A-Z0-9._-]{1,40})$")
_LINK = re.compile(r"^<((?:https?)://[^|>]+)(?:\|[^>]*)?>$")
_ID = re.compile(r"^#?([0-9]{1,9})$")
_SMART_QUOTES = str.maketrans("\u201c\u201d\u2018\u2019", "\"\"''")

EVERYONE = (
    "picks",
    "prefs",
    "insights",
    "tips",
    "in",
    "out",
    "later",
    "suggest",
    "my-data",
    "forget-me",
    "help",
)
CONTENT_TEAM = (
    "add",
    "list",
    "edit",
    "retire",
    "approve",
    "reject",
    "pause",
    "resume",
    "stats",
    "export",
    "send-now",
    "self-driven",
    "needs-help",
)
ADMIN = ("role", "guidelines", "disclosure", "channel", "schedule")
ALIASES = {
    "": "picks",
    "now": "picks",
    "preferences": "prefs",
    "settings": "prefs",
    "stop": "out",
    "join": "in",
    "mydata": "my-data",
    "forgetme": "forget-me",
    "selfdriven": "self-driven",
    "needshelp": "needs-help",
    "tip": "tips",
}


@dataclass(frozen=True)
class Command:
    """A parsed command: its name and whichever arguments it takes."""

    name: str
    url: str | None = None
    content_id: int | None = None
    topics: tuple[str, ...] = ()
    caption: str | None = None
    title: str | None = None
    until: datetime | None = None
    priority: int | None = None
    user_id: str | None = None
    roles: tuple[Role, ...] = ()
    text: str | None = None
    page: int = 1
    topic_or_kind: str | None = None
    schedule_kind: ScheduleKind | None = None
    when: WeeklyTime | None = None
    enabled: bool | None = None


def _tokens(text: str) -> list[str]:
    if len(text) > MAX_COMMAND_LENGTH:
        raise InvalidInput(
            "command.too_long",
            "That command is too long (at most {max} characters).",
            max=MAX_COMMAND_LENGTH,
        )
    # Slack and Teams send typographic quotes when people type them on phones.
    normalised = text.translate(_SMART_QUOTES)
    try:
        return shlex.split(normalised)
    except ValueError:
        raise InvalidInput(
            "command.quote", 'A quote is not closed; put the caption between two " marks.'
        ) from None


def command_name(word: str) -> str:
    """The canonical command for a typed word; refuses unknown ones."""
    name = ALIASES.get(word.lower(), word.lower())
    if name not in (*EVERYONE, *CONTENT_TEAM, *ADMIN):
        raise InvalidInput(
            "command.unknown", "I don't know the command '{word}'. Try 'help'.", word=word[:40]
        )
    return name


def parse_url(token: str) -> str:
    """A URL as typed, or as Slack escaped it (<https://…|label>)."""
    match = _LINK.match(token)
    url = match.group(1) if match else token
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidInput(
            "command.url",
            "'{token}' is not a link; paste one starting with https://.",
            token=token[:80],
        )
    return url


def parse_content_id(token: str) -> int:
    """A content item id such as 42 or #42."""
    match = _ID.match(token.strip())
    if not match:
        raise InvalidInput(
            "command.id", "'{token}' is not an item number (see 'list').", token=token[:40]
        )
    return int(match.group(1))


def parse_user(token: str) -> str:
    """A user id from a mention (<@U123|name>) or a bare id."""
    match = _MENTION.match(token) or _TEAMS_MENTION.match(token) or _PLAIN_USER.match(token)
    if not match:
        raise InvalidInput(
            "command.user", "'{token}' is not a person; mention them with @.", token=token[:40]
        )
    return match.group(1)


def parse_day(token: str, *, label: str = "until") -> datetime:
    """A date YYYY-MM-DD, meaning the end of that day in UTC."""
    try:
        day = date.fromisoformat(token)
    except ValueError:
        raise InvalidInput(
            "command.date",
            "'{token}' after '{label}' is not a date like 2026-12-31.",
            token=token[:40],
            label=label,
        ) from None
    return datetime.combine(day, time.max, tzinfo=UTC)


def _priority(token: str) -> int:
    if not token.isdigit() or not 0 <= int(token) <= 3:
        raise InvalidInput(
            "command.priority", "Priority is a number from 0 to 3, not '{token}'.", token=token[:20]
        )
    return int(token)


def _options(tokens: list[str]) -> dict[str, object]:
    """The shared options: #topics, caption "…", title "…", until DATE, priority N."""
    found: dict[str, object] = {}
    topics: list[str] = []
    position = 0
    while position < len(tokens):
        word = tokens[position]
        if word.startswith("#"):
            topics.append(word)
            position += 1
            continue
        key = word.lower()
        if key not in ("caption", "title", "until", "priority") or position + 1 >= len(tokens):
            raise InvalidInput(
                "command.argument",
                "I don't understand '{word}'. Use #topics, caption \"…\", until YYYY-MM-DD "
                "or priority 0-3.",
                word=word[:40],
            )
        found[key] = tokens[position + 1]
        position += 2
    if topics:
        found["topics"] = parse_topics(topics)
    return found


def _free_text(tokens: list[str], *, name: str) -> str:
    text = " ".join(tokens).strip()
    if len(text) > MAX_FREE_TEXT:
        raise InvalidInput(
            "command.text_too_long",
            "The text for '{name}' is too long (at most {max} characters).",
            name=name,
            max=MAX_FREE_TEXT,
        )
    return text


def _require(tokens: list[str], count: int, *, name: str) -> None:
    if len(tokens) < count:
        raise InvalidInput("command.missing", "'{name}' needs more: see 'help {name}'.", name=name)


def _with_options(
    name: str, rest: list[str], *, url: str | None = None, content_id: int | None = None
) -> Command:
    options = _options(rest)
    until, priority = options.get("until"), options.get("priority")
    topics = options.get("topics", ())
    return Command(
        name=name,
        url=url,
        content_id=content_id,
        topics=topics if isinstance(topics, tuple) else (),
        caption=_caption(options.get("caption")),
        title=_caption(options.get("title")),
        until=parse_day(str(until)) if until is not None else None,
        priority=_priority(str(priority)) if priority is not None else None,
    )


def _caption(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > 3000:
        raise InvalidInput(
            "command.caption", "A caption needs 1 to 3000 characters between quotes."
        )
    return text


def _roles(tokens: list[str]) -> tuple[Role, ...]:
    if [t.lower() for t in tokens] == ["none"]:
        return ()
    try:
        return tuple(dict.fromkeys(Role(token.lower()) for token in tokens))
    except ValueError:
        raise InvalidInput(
            "command.role",
            "Roles are content, manager, admin, or none (not '{words}').",
            words=" ".join(tokens)[:60],
        ) from None


def parse_command(text: str) -> Command:
    """Parse a whole command line; refuses anything malformed with a message naming it."""
    tokens = _tokens(text.strip())
    name = command_name(tokens[0] if tokens else "")
    rest = tokens[1:]
    if name in ("add", "suggest"):
        _require(rest, 1, name=name)
        return _with_options(name, rest[1:], url=parse_url(rest[0]))
    if name in ("edit",):
        _require(rest, 2, name=name)
        return _with_options(name, rest[1:], content_id=parse_content_id(rest[0]))
    if name in ("stats", "approve"):
        return Command(name=name, content_id=parse_content_id(rest[0]) if rest else None)
    if name in ("retire", "reject"):
        _require(rest, 1, name=name)
        return Command(name=name, content_id=parse_content_id(rest[0]))
    if name == "list":
        return Command(name=name, page=_page(rest))
    if name == "role":
        _require(rest, 2, name=name)
        return Command(name=name, user_id=parse_user(rest[0]), roles=_roles(rest[1:]))
    if name in ("guidelines", "disclosure", "channel"):
        return Command(name=name, text=_free_text(rest, name=name) if rest else None)
    if name == "schedule":
        return _schedule(rest)
    if name == "insights":
        return _insights(rest)
    if name == "help":
        return Command(name=name, topic_or_kind=rest[0].lower() if rest else None)
    if name == "export":
        return _export(rest)
    if rest:
        raise InvalidInput(
            "command.extra",
            "'{name}' takes no arguments (got '{extra}').",
            name=name,
            extra=" ".join(rest)[:60],
        )
    return Command(name=name)


def _export(tokens: list[str]) -> Command:
    """'export', 'export items', 'export weekly json'."""
    if len(tokens) > 2:
        raise InvalidInput("command.export", "Write 'export <what> [csv|json]'.")
    words = [token.lower() for token in tokens]
    return Command(
        name="export",
        topic_or_kind=words[0] if words else None,
        text=words[1] if len(words) > 1 else None,
    )


def _insights(tokens: list[str]) -> Command:
    """'insights' (your own group) or 'insights refresh' (the content team regroups)."""
    words = [token.lower() for token in tokens]
    if words not in ([], ["refresh"]):
        raise InvalidInput(
            "command.insights", "Write 'insights', or 'insights refresh' to regroup everyone."
        )
    return Command(name="insights", topic_or_kind=words[0] if words else None)


def _schedule(tokens: list[str]) -> Command:
    """'schedule', 'schedule picks mon 10:00', 'schedule digest off' (or 'on')."""
    if not tokens:
        return Command(name="schedule")
    kind = parse_kind(tokens[0])
    setting = [token.lower() for token in tokens[1:]]
    if setting in (["on"], ["off"]):
        return Command(name="schedule", schedule_kind=kind, enabled=setting == ["on"])
    if len(setting) != 2:
        raise InvalidInput(
            "command.schedule",
            "Write 'schedule {kind} mon 10:00', or 'schedule {kind} off' (or on).",
            kind=kind.value,
        )
    return Command(name="schedule", schedule_kind=kind, when=parse_weekly_time(*setting))


def _page(tokens: list[str]) -> int:
    if not tokens:
        return 1
    if len(tokens) != 1 or not tokens[0].isdigit() or not 1 <= int(tokens[0]) <= 10_000:
        raise InvalidInput("command.page", "'list' takes a page number, like 'list 2'.")
    return int(tokens[0])
