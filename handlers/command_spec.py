"""What one row of the command registry says, and who may run which commands where."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from domain.programme import Role
from handlers import command_parser as args
from handlers.command_parser import Command
from handlers.context import Invocation
from handlers.types import Capabilities, Reply

Parse = Callable[[str, list[str]], Command]
Runner = Callable[[Invocation, Command], Awaitable[Reply]]


class Audience(enum.StrEnum):
    """Who a command is for; help is grouped by it and the role check follows from it."""

    EVERYONE = "everyone"
    CONTENT_TEAM = "content"
    ADMIN = "admin"

    @property
    def role(self) -> Role | None:
        """The role needed to run the command (admins may run everything)."""
        return {Audience.CONTENT_TEAM: Role.CONTENT, Audience.ADMIN: Role.ADMIN}.get(self)


class Needs(enum.StrEnum):
    """Something a platform must offer for a command to work there."""

    CHANNEL_POSTS = "channel_posts"

    def met_by(self, capabilities: Capabilities) -> bool:
        """Whether `capabilities` include this."""
        return bool(getattr(capabilities, self.value))


@dataclass(frozen=True)
class CommandSpec:
    """One command: its name (one or two words), audience, parser, runner and requirements."""

    name: str
    audience: Audience
    run: Runner
    parse: Parse = args.no_arguments
    aliases: tuple[str, ...] = ()
    needs: Needs | None = None
    # Set when reading the command with its arguments may change something only admins may
    # change, while anyone may look (guidelines, disclosure, channel, schedule).
    anyone_may_look: bool = False
    # Reads a web page first (seconds): platforms may show a "working on it" note.
    fetches: bool = False

    @property
    def key(self) -> str:
        """The command's name as one word, for message keys (`help.<key>`)."""
        return self.name.replace(" ", "-")

    def available_on(self, capabilities: Capabilities) -> bool:
        """Whether the platform offers what this command needs."""
        return self.needs is None or self.needs.met_by(capabilities)


def may_run(audience: Audience, roles: frozenset[Role]) -> bool:
    """Whether someone with `roles` belongs to `audience` (admins belong to every one)."""
    role = audience.role
    return role is None or Role.ADMIN in roles or role in roles


def commands_for(
    specs: Iterable[CommandSpec], capabilities: Capabilities, roles: frozenset[Role]
) -> list[CommandSpec]:
    """The commands someone with `roles` may run on a platform offering `capabilities`."""
    return [
        spec for spec in specs if spec.available_on(capabilities) and may_run(spec.audience, roles)
    ]
