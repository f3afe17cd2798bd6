"""Reading the words people type after /boost (Slack) or to the bot (Teams): tokens and arguments.

Adapters hand over plain text in which mentions are already neutral: a person as `<@id>`, a
channel as `<#id>`, links as bare URLs. Which command a word names is the registry's business
(`handlers.commands`); this module only turns tokens into typed arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from domain.errors import InvalidInput
from domain.programme import Role
from domain.schedules import ScheduleKind, WeeklyTime, parse_kind, parse_weekly_time
from domain.topics import parse_topics

MAX_COMMAND_LENGTH = 4000
MAX_FREE_TEXT = 1000

# A person: <@U123>, <@U123|name> as Slack writes it, <@entra-object-id> as the Teams adapter does.
_MENTION = re.compile(r"^<@([A-Za-z0-9][A-Za-z0-9._-]{1,63})(?:\|[^>]*)?>$")
_PLAIN_USER = re.compile(r"^@?([A-Z0-9][A-Z0-9._-]{1,40})$")
_TEAMS_ID = re.compile(r"^[0-9a-f][0-9a-f-]{7,63}$")
_LINK = re.compile(r"^<((?:https?)://[^|>]+)(?:\|[^>]*)?>$")
_ID = re.compile(r"^#?([0-9]{1,9})$")
# A channel mention where a topic is expected: Slack turns "#engineering" into one when such
# a channel exists. The name after | is the topic.
_CHANNEL_AS_TOPIC = re.compile(r"^<#[A-Z0-9]+\|([^>]+)>$")
# Only double quotes group words: "I'm in" and "what's this?" are ordinary text.
_QUOTES = '"\u201c\u201d\u201e\u00ab\u00bb'
_TOKEN = re.compile(rf"[{_QUOTES}]([^{_QUOTES}]*)[{_QUOTES}]|([^\s{_QUOTES}]+)|([{_QUOTES}])")


@dataclass(frozen=True)
class Command:
    """A parsed command: its registry name and whichever arguments it takes."""

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
    day: date | None = None


def tokens(text: str) -> list[str]:
    """Words, with text between double quotes (straight or typographic) kept as one token."""
    if len(text) > MAX_COMMAND_LENGTH:
        raise InvalidInput(
            "command.too_long",
            "That command is too long (at most {count} characters).",
            count=MAX_COMMAND_LENGTH,
        )
    found: list[str] = []
    for match in _TOKEN.finditer(text):
        quoted, word, stray = match.groups()
        if stray is not None:
            raise InvalidInput(
                "command.quote", 'A quote is not closed; put the caption between two " marks.'
            )
        found.append(quoted if quoted is not None else word)
    return found


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
    """A user id from a mention (<@U123>, <@U123|name>, <@entra-object-id>) or a bare id."""
    match = _MENTION.match(token)
    if match and (match.group(1).isupper() or _TEAMS_ID.match(match.group(1))):
        return match.group(1)
    plain = _PLAIN_USER.match(token)
    if not plain:
        raise InvalidInput(
            "command.user", "'{token}' is not a person; mention them with @.", token=token[:40]
        )
    return plain.group(1)


def parse_day(token: str, *, label: str = "until") -> datetime:
    """A date YYYY-MM-DD, meaning the end of that day in UTC."""
    return datetime.combine(parse_date(token, label=label), time.max, tzinfo=UTC)


def parse_date(token: str, *, label: str = "until") -> date:
    """A calendar date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(token)
    except ValueError:
        raise InvalidInput(
            "command.date",
            "'{token}' after '{label}' is not a date like 2026-12-31.",
            token=token[:40],
            label=label,
        ) from None


def _small_number(token: str) -> bool:
    """Plain ASCII digits, few enough to be a number we use ('²' is a digit to Python)."""
    return token.isascii() and token.isdigit() and len(token) <= 9


def _priority(token: str) -> int:
    if not _small_number(token) or not 0 <= int(token) <= 3:
        raise InvalidInput(
            "command.priority", "Priority is a number from 0 to 3, not '{token}'.", token=token[:20]
        )
    return int(token)


def _options(words: list[str]) -> dict[str, object]:
    """The shared options: #topics, caption "…", title "…", until DATE, priority N."""
    found: dict[str, object] = {}
    topics: list[str] = []
    position = 0
    while position < len(words):
        word = words[position]
        channel = _CHANNEL_AS_TOPIC.match(word)
        if channel:
            word = f"#{channel.group(1)}"
        if word.startswith("#"):
            topics.append(word)
            position += 1
            continue
        key = word.lower()
        if key not in ("caption", "title", "until", "priority") or position + 1 >= len(words):
            raise InvalidInput(
                "command.argument",
                "I don't understand '{word}'. Use #topics, caption \"…\", until YYYY-MM-DD "
                "or priority 0-3.",
                word=word[:40],
            )
        found[key] = words[position + 1]
        position += 2
    if topics:
        found["topics"] = parse_topics(topics)
    return found


def free_text(words: list[str], *, name: str) -> str:
    """The rest of the line as one text, within MAX_FREE_TEXT characters."""
    text = " ".join(words).strip()
    if len(text) > MAX_FREE_TEXT:
        raise InvalidInput(
            "command.text_too_long",
            "The text for '{name}' is too long (at most {count} characters).",
            name=name,
            count=MAX_FREE_TEXT,
        )
    return text


def require(words: list[str], count: int, *, name: str) -> None:
    """Refuse a command given fewer than `count` arguments."""
    if len(words) < count:
        raise InvalidInput("command.missing", "'{name}' needs more: see 'help {name}'.", name=name)


def no_arguments(name: str, words: list[str]) -> Command:
    """A command that takes nothing after its name."""
    if words:
        raise InvalidInput(
            "command.extra",
            "'{name}' takes no arguments (got '{extra}').",
            name=name,
            extra=" ".join(words)[:60],
        )
    return Command(name=name)


def with_options(
    name: str, words: list[str], *, url: str | None = None, content_id: int | None = None
) -> Command:
    """A command with the shared options after its fixed arguments."""
    options = _options(words)
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


def url_and_options(name: str, words: list[str]) -> Command:
    """'add <link> [options]', 'suggest <link>'."""
    require(words, 1, name=name)
    return with_options(name, words[1:], url=parse_url(words[0]))


def id_and_options(name: str, words: list[str]) -> Command:
    """'edit <id> <options>'."""
    require(words, 2, name=name)
    return with_options(name, words[1:], content_id=parse_content_id(words[0]))


def optional_id(name: str, words: list[str]) -> Command:
    """'stats [id]', 'approve [id]'."""
    if len(words) > 1:
        return no_arguments(name, words[1:])
    return Command(name=name, content_id=parse_content_id(words[0]) if words else None)


def one_id(name: str, words: list[str]) -> Command:
    """'retire <id>', 'reject <id>'."""
    require(words, 1, name=name)
    if len(words) > 1:
        return no_arguments(name, words[1:])
    return Command(name=name, content_id=parse_content_id(words[0]))


def optional_text(name: str, words: list[str]) -> Command:
    """'guidelines [text]', 'disclosure [text]', 'channel [#channel|none]'."""
    return Command(name=name, text=free_text(words, name=name) if words else None)


def page(name: str, words: list[str]) -> Command:
    """'list [page]'."""
    if not words:
        return Command(name=name)
    if len(words) != 1 or not _small_number(words[0]) or not 1 <= int(words[0]) <= 10_000:
        raise InvalidInput("command.page", "'list' takes a page number, like 'list 2'.")
    return Command(name=name, page=int(words[0]))


def person_and_roles(name: str, words: list[str]) -> Command:
    """'role @person content manager', 'role @person none'."""
    require(words, 2, name=name)
    return Command(name=name, user_id=parse_user(words[0]), roles=_roles(words[1:]))


def _roles(words: list[str]) -> tuple[Role, ...]:
    if [t.lower() for t in words] == ["none"]:
        return ()
    try:
        return tuple(dict.fromkeys(Role(token.lower()) for token in words))
    except ValueError:
        raise InvalidInput(
            "command.role",
            "Roles are content, manager, admin, or none (not '{words}').",
            words=" ".join(words)[:60],
        ) from None


def person_and_word(name: str, words: list[str]) -> Command:
    """'mark @person ambassador|help|none'."""
    require(words, 2, name=name)
    if len(words) > 2:
        return no_arguments(name, words[2:])
    return Command(name=name, user_id=parse_user(words[0]), topic_or_kind=words[1].lower())


def team_and_day(name: str, words: list[str]) -> Command:
    """'nudge log <team|everyone> <YYYY-MM-DD>' (a team's name may have several words)."""
    require(words, 2, name=name)
    team = free_text(words[:-1], name=name)
    return Command(name=name, text=team, day=parse_date(words[-1], label=team))


def optional_word(name: str, words: list[str]) -> Command:
    """'help [command]'."""
    return Command(name=name, topic_or_kind=" ".join(words).lower() if words else None)


def export_arguments(name: str, words: list[str]) -> Command:
    """'export', 'export items', 'export weekly json'."""
    if len(words) > 2:
        raise InvalidInput("command.export", "Write 'export <what> [csv|json]'.")
    lowered = [word.lower() for word in words]
    return Command(
        name=name,
        topic_or_kind=lowered[0] if lowered else None,
        text=lowered[1] if len(lowered) > 1 else None,
    )


def schedule_arguments(name: str, words: list[str]) -> Command:
    """'schedule', 'schedule picks mon 10:00', 'schedule digest off' (or 'on')."""
    if not words:
        return Command(name=name)
    kind = parse_kind(words[0])
    setting = [word.lower() for word in words[1:]]
    if setting in (["on"], ["off"]):
        return Command(name=name, schedule_kind=kind, enabled=setting == ["on"])
    if len(setting) != 2:
        raise InvalidInput(
            "command.schedule",
            "Write 'schedule {kind} mon 10:00', or 'schedule {kind} off' (or on).",
            kind=kind.value,
        )
    return Command(name=name, schedule_kind=kind, when=parse_weekly_time(*setting))


def snooze_arguments(name: str, words: list[str]) -> Command:
    """'pause' (until I resume), 'pause until 2026-12-31', 'snooze 2026-12-31'."""
    rest = words[1:] if words and words[0].lower() == "until" else words
    if not rest:
        return Command(name=name)
    if len(rest) > 1:
        return no_arguments(name, rest[1:])
    return Command(name=name, day=parse_date(rest[0]))
