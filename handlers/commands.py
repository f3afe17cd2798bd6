"""The command registry: one row per command, and the one entry point that runs a typed line.

A row says who may run a command (its audience), how its arguments are read, what it runs,
and what the platform must offer for it to work. Help, the Teams command menus and the role
checks are all read from this table, so a command is added by adding a row.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from domain.errors import InvalidInput
from handlers import (
    accounts,
    channel_mode,
    content_library,
    conversation,
    deliveries,
    exports,
    help_page,
    insights,
    my_data,
    programme,
    schedules,
    stats,
    weekly_picks,
    workspace_admin,
)
from handlers import command_parser as args
from handlers.command_parser import Command
from handlers.command_spec import Audience, CommandSpec, Needs, Runner
from handlers.context import Invocation, Services, load_caller, require_role
from handlers.types import Actor, Messenger, Reply
from insights.grouping import Group, Mark
from messages import translations

# How alike a mistyped word must be to a command name before we suggest it (rapidfuzz 0-100).
_CLOSE_ENOUGH = 75


# ---------------------------------------------------------------- runners


async def _picks(inv: Invocation, command: Command) -> Reply:
    return await weekly_picks.show_picks(inv.services, inv.actor, source="now")


async def _prefs(inv: Invocation, command: Command) -> Reply:
    return await programme.preferences_form(inv.services, inv.actor)


async def _own_insight(inv: Invocation, command: Command) -> Reply:
    return await insights.own_insight(inv.services, inv.actor)


async def _refresh_insights(inv: Invocation, command: Command) -> Reply:
    return await insights.refresh(inv.services, inv.actor)


async def _mark(inv: Invocation, command: Command) -> Reply:
    word = command.topic_or_kind or ""
    marks = {"ambassador": Mark.AMBASSADOR, "help": Mark.WOULD_LIKE_HELP, "none": None}
    if word not in marks:
        raise InvalidInput(
            "command.mark",
            "Mark someone as 'ambassador', 'help' or 'none', not '{word}'.",
            word=word[:40],
        )
    return await insights.mark(
        inv.services, inv.actor, user_id=command.user_id or "", mark=marks[word]
    )


async def _log_nudge(inv: Invocation, command: Command) -> Reply:
    assert command.day is not None  # the parser requires it
    return await insights.log_nudge(
        inv.services, inv.actor, team=command.text or "", day=command.day
    )


async def _tips(inv: Invocation, command: Command) -> Reply:
    return await insights.tips(inv.services, inv.actor)


def _group_list(group: Group) -> Runner:
    async def run(inv: Invocation, command: Command) -> Reply:
        return await insights.group_list(inv.services, inv.actor, group)

    return run


def _answer(answer: str) -> Runner:
    async def run(inv: Invocation, command: Command) -> Reply:
        return await programme.answer_invitation(inv.services, inv.actor, answer)

    return run


async def _pause_me(inv: Invocation, command: Command) -> Reply:
    return await programme.pause_me(inv.services, inv.actor, until=command.day)


async def _resume_me(inv: Invocation, command: Command) -> Reply:
    return await programme.resume_me(inv.services, inv.actor)


def _programme_switch(*, paused: bool) -> Runner:
    async def run(inv: Invocation, command: Command) -> Reply:
        return await workspace_admin.confirm_switch(inv.services, inv.actor, paused=paused)

    return run


async def _suggest(inv: Invocation, command: Command) -> Reply:
    return await content_library.suggest(inv.services, inv.actor, command.url or "")


async def _my_data(inv: Invocation, command: Command) -> Reply:
    return await my_data.export_reply(inv.services, inv.actor)


async def _forget_me(inv: Invocation, command: Command) -> Reply:
    return await my_data.confirm_forget_reply(inv.services, inv.actor)


async def _accounts(inv: Invocation, command: Command) -> Reply:
    return await accounts.accounts_page(inv.services, inv.actor)


async def _help(inv: Invocation, command: Command) -> Reply:
    return await help_page.help_reply(
        inv.services, inv.actor, COMMANDS, topic=command.topic_or_kind
    )


async def _add(inv: Invocation, command: Command) -> Reply:
    request = content_library.AddRequest(
        url=command.url or "",
        topics=command.topics,
        caption=command.caption,
        until=command.until,
        priority=command.priority or 0,
    )
    return await content_library.preview(inv.services, inv.actor, request)


async def _list(inv: Invocation, command: Command) -> Reply:
    return await content_library.list_items(inv.services, inv.actor, page=command.page)


async def _edit(inv: Invocation, command: Command) -> Reply:
    request = content_library.EditRequest(
        content_id=command.content_id or 0,
        topics=command.topics,
        caption=command.caption,
        title=command.title,
        until=command.until,
        priority=command.priority,
    )
    return await content_library.edit(inv.services, inv.actor, request)


async def _retire(inv: Invocation, command: Command) -> Reply:
    return await content_library.retire(inv.services, inv.actor, command.content_id or 0)


async def _approve(inv: Invocation, command: Command) -> Reply:
    if command.content_id is None:
        return await content_library.pending_suggestions(inv.services, inv.actor)
    return await content_library.approve(inv.services, inv.actor, command.content_id)


async def _reject(inv: Invocation, command: Command) -> Reply:
    return await content_library.reject(inv.services, inv.actor, command.content_id or 0)


async def _stats(inv: Invocation, command: Command) -> Reply:
    return await stats.stats_reply(inv.services, inv.actor, command.content_id)


async def _export(inv: Invocation, command: Command) -> Reply:
    kind, fmt = command.topic_or_kind or "content", command.text or "csv"
    return await exports.export_reply(inv.services, inv.actor, kind, fmt)


async def _send_now(inv: Invocation, command: Command) -> Reply:
    return await deliveries.send_now(inv.services, inv.messenger, inv.actor)


async def _role(inv: Invocation, command: Command) -> Reply:
    return await workspace_admin.set_person_roles(
        inv.services, inv.actor, user_id=command.user_id or "", roles=command.roles
    )


async def _guidelines(inv: Invocation, command: Command) -> Reply:
    return await workspace_admin.set_guidelines(inv.services, inv.actor, command.text)


async def _disclosure(inv: Invocation, command: Command) -> Reply:
    return await workspace_admin.set_disclosure(inv.services, inv.actor, command.text)


async def _channel(inv: Invocation, command: Command) -> Reply:
    return await channel_mode.set_channel(inv.services, inv.actor, command.text)


async def _schedule(inv: Invocation, command: Command) -> Reply:
    if command.schedule_kind is None:
        return await schedules.show_schedule(inv.services, inv.actor)
    return await schedules.change_schedule(
        inv.services,
        inv.actor,
        kind=command.schedule_kind,
        when=command.when,
        enabled=command.enabled,
    )


# ---------------------------------------------------------------- the table

_EVERYONE, _CONTENT, _ADMIN = Audience.EVERYONE, Audience.CONTENT_TEAM, Audience.ADMIN

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("picks", _EVERYONE, _picks, aliases=("", "now")),
    CommandSpec("prefs", _EVERYONE, _prefs, aliases=("preferences", "settings")),
    CommandSpec("in", _EVERYONE, _answer("in"), aliases=("join",)),
    CommandSpec("later", _EVERYONE, _answer("later")),
    CommandSpec("out", _EVERYONE, _answer("no"), aliases=("stop", "leave")),
    CommandSpec("pause", _EVERYONE, _pause_me, args.snooze_arguments, aliases=("snooze",)),
    CommandSpec("resume", _EVERYONE, _resume_me, aliases=("unpause",)),
    CommandSpec("insights", _EVERYONE, _own_insight),
    CommandSpec("tips", _EVERYONE, _tips, aliases=("tip",)),
    CommandSpec("suggest", _EVERYONE, _suggest, args.url_and_options, fetches=True),
    CommandSpec("my-data", _EVERYONE, _my_data, aliases=("mydata",)),
    CommandSpec("forget-me", _EVERYONE, _forget_me, aliases=("forgetme",)),
    CommandSpec("accounts", _EVERYONE, _accounts, aliases=("account", "connect")),
    CommandSpec("help", _EVERYONE, _help, args.optional_word, aliases=("?",)),
    CommandSpec("add", _CONTENT, _add, args.url_and_options, fetches=True),
    CommandSpec("list", _CONTENT, _list, args.page),
    CommandSpec("edit", _CONTENT, _edit, args.id_and_options),
    CommandSpec("retire", _CONTENT, _retire, args.one_id),
    CommandSpec("approve", _CONTENT, _approve, args.optional_id),
    CommandSpec("reject", _CONTENT, _reject, args.one_id),
    CommandSpec("stats", _CONTENT, _stats, args.optional_id),
    CommandSpec("export", _CONTENT, _export, args.export_arguments),
    CommandSpec("send-now", _CONTENT, _send_now),
    CommandSpec("self-driven", _CONTENT, _group_list(Group.SELF_DRIVEN), aliases=("selfdriven",)),
    CommandSpec("needs-help", _CONTENT, _group_list(Group.NEEDS_HELP), aliases=("needshelp",)),
    CommandSpec("insights refresh", _CONTENT, _refresh_insights),
    CommandSpec("mark", _CONTENT, _mark, args.person_and_word),
    CommandSpec("nudge log", _CONTENT, _log_nudge, args.team_and_day),
    CommandSpec("pause programme", _CONTENT, _programme_switch(paused=True)),
    CommandSpec("resume programme", _CONTENT, _programme_switch(paused=False)),
    CommandSpec("role", _ADMIN, _role, args.person_and_roles),
    CommandSpec("guidelines", _ADMIN, _guidelines, args.optional_text, anyone_may_look=True),
    CommandSpec("disclosure", _ADMIN, _disclosure, args.optional_text, anyone_may_look=True),
    CommandSpec(
        "channel",
        _ADMIN,
        _channel,
        args.optional_text,
        needs=Needs.CHANNEL_POSTS,
        anyone_may_look=True,
    ),
    CommandSpec("schedule", _ADMIN, _schedule, args.schedule_arguments, anyone_may_look=True),
)


def _spellings(spec: CommandSpec) -> Iterable[str]:
    """Every way of writing a command: its name, one-word key, aliases, US spelling."""
    yield spec.name
    yield spec.key
    yield from spec.aliases
    if spec.name.endswith(" programme"):
        # British and American spelling both mean the programme-wide switch.
        yield spec.name.replace("programme", "program")


_BY_NAME = {word: spec for spec in COMMANDS for word in _spellings(spec)}


def find(text: str) -> tuple[CommandSpec, list[str]]:
    """The command a line names and the words after its name; refuses unknown words."""
    words = args.tokens(text.strip())
    lowered = [word.lower() for word in words[:2]]
    if len(lowered) == 2 and f"{lowered[0]} {lowered[1]}" in _BY_NAME:
        return _BY_NAME[f"{lowered[0]} {lowered[1]}"], words[2:]
    first = lowered[0] if lowered else ""
    if first in _BY_NAME:
        return _BY_NAME[first], words[1:]
    phrase = _BUTTON_PHRASES.get(_phrase_key(text))
    if phrase is not None:
        return phrase, []
    raise _unknown(words[0] if words else text)


def parse_command(text: str) -> Command:
    """Parse a whole command line; refuses anything malformed with a message naming it."""
    spec, words = find(text)
    return spec.parse(spec.name, words)


def _unknown(word: str) -> InvalidInput:
    closest = closest_command(word)
    if closest is not None:
        return InvalidInput(
            "command.unknown_close",
            "I don't know the command '{word}'. Did you mean '{closest}'?",
            word=word[:40],
            closest=closest,
        )
    return InvalidInput(
        "command.unknown", "I don't know the command '{word}'. Try 'help'.", word=word[:40]
    )


def closest_command(word: str) -> str | None:
    """The known command name nearest to a mistyped word, if one is near enough."""
    if not word or len(word) > 40:
        return None
    names = [spec.name for spec in COMMANDS]
    found = process.extractOne(word.lower(), names, scorer=fuzz.ratio, score_cutoff=_CLOSE_ENOUGH)
    return str(found[0]) if found else None


def _phrase_key(text: str) -> str:
    """Typed text reduced for comparison with button labels: case, accents, quotes, dots."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    return " ".join(folded.strip(" .!?").split())


def _button_phrases() -> dict[str, CommandSpec]:
    """The welcome's button labels in every language, typed instead of pressed."""
    answers = {"welcome.in": "in", "welcome.later": "later", "welcome.no": "out"}
    return {
        _phrase_key(label): _BY_NAME[command]
        for key, command in answers.items()
        for label in translations(key)
    }


_BUTTON_PHRASES = _button_phrases()


# ---------------------------------------------------------------- running


async def run_command(
    services: Services, actor: Actor, text: str, *, messenger: Messenger
) -> Reply:
    """Run a typed line: find the command, check platform and role, parse, run.

    Words that name no command get a friendly answer (or the welcome, for someone new);
    malformed or refused commands raise InvalidInput, which the platform shows.
    """
    invocation = Invocation(services, actor, messenger)
    try:
        spec, words = find(text)
    except InvalidInput as unknown:
        if unknown.code == "command.unknown_close" or looks_like_a_command(text):
            raise
        return await conversation.free_text(services, actor)
    await check_allowed(invocation, spec, words)
    return await spec.run(invocation, spec.parse(spec.name, words))


def looks_like_a_command(text: str) -> bool:
    """One short word that is not a greeting: probably a mistyped command, not conversation."""
    words = text.split()
    return len(words) == 1 and not conversation.is_greeting(text)


async def check_allowed(invocation: Invocation, spec: CommandSpec, words: list[str]) -> None:
    """Refuse a command the platform cannot serve or the person may not run, before any work."""
    capabilities = invocation.capabilities
    if not spec.available_on(capabilities):
        raise InvalidInput(
            "command.unavailable",
            "'{name}' is not available in {platform}.",
            name=spec.name,
            platform=capabilities.label or invocation.actor.platform,
        )
    role = spec.audience.role
    if role is None or (spec.anyone_may_look and not words):
        return
    services = invocation.services
    async with services.db.session() as session:
        caller = await load_caller(session, invocation.actor, services)
        require_role(caller, role)
