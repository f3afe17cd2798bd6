"""Help generated from the command registry: what this person may run on this platform."""

from __future__ import annotations

from collections.abc import Sequence

from domain.errors import InvalidInput
from handlers.command_spec import Audience, CommandSpec, commands_for
from handlers.context import Services, load_caller
from handlers.types import Actor, Block, Reply, Text
from messages import translate


async def help_reply(
    services: Services, actor: Actor, specs: Sequence[CommandSpec], *, topic: str | None
) -> Reply:
    """The commands this person may use here, grouped by audience; or the usage of one."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
    capabilities = services.capabilities(actor.platform)
    allowed = commands_for(specs, capabilities, caller.roles)
    prefix, locale = capabilities.command_prefix, caller.locale
    if topic:
        wanted = topic.replace("-", " ").strip()
        found = next((s for s in allowed if wanted in (s.name, s.key, *s.aliases)), None)
        if found is None:
            raise InvalidInput(
                "command.unknown", "I don't know the command '{word}'. Try 'help'.", word=topic[:40]
            )
        return Reply.text(prefix + translate(f"help.{found.key}", locale))
    blocks: list[Block] = [Text(translate("help.title", locale), heading=True)]
    for audience in Audience:
        lines = [
            prefix + translate(f"help.{spec.key}", locale)
            for spec in allowed
            if spec.audience is audience
        ]
        if lines:
            blocks.append(Text(translate(f"help.audience.{audience.value}", locale), heading=True))
            blocks.append(Text("\n".join(lines)))
    return Reply(blocks=tuple(blocks))
