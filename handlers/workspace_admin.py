"""Programme-wide switches and texts: the crisis pause, guidelines, disclosure line, roles."""

from __future__ import annotations

from collections.abc import Sequence

from content_store.outbox import expire_waiting, waiting_count
from content_store.people import get_or_create_person, participant_count, roles_of, set_roles
from domain.errors import InvalidInput
from domain.programme import Role
from handlers import actions
from handlers.context import Services, audit, load_caller, require_role
from handlers.types import Actions, Actor, Button, Reply, Text
from messages import format_duration, translate

MAX_DISCLOSURE = 100
MAX_GUIDELINES = 1000


async def set_paused(services: Services, actor: Actor, *, paused: bool) -> Reply:
    """The crisis switch: stop (or restart) every nudge in the workspace at once."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        changed = caller.workspace.paused != paused
        caller.workspace.paused = paused
        if changed:
            audit(session, caller, "programme.pause" if paused else "programme.resume")
        if changed and not paused:
            # Sends queued before the pause that are now older than the grace window are
            # dropped; the rest go out at the usual pace, so resuming never floods anyone.
            cutoff = services.clock.now() - services.slot_grace
            await expire_waiting(session, workspace_id=caller.workspace.id, due_before=cutoff)
    key = "admin.paused" if paused else "admin.resumed"
    return Reply.text(translate(key if changed else f"{key}.already", caller.locale))


async def confirm_switch(services: Services, actor: Actor, *, paused: bool) -> Reply:
    """Before the crisis switch flips: what it will stop (or restart), and a button to do it."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        people = await participant_count(session, workspace_id=caller.workspace.id)
        queued = await waiting_count(session, workspace_id=caller.workspace.id)
    locale = caller.locale
    if caller.workspace.paused == paused:
        key = "admin.paused.already" if paused else "admin.resumed.already"
        return Reply.text(translate(key, locale))
    if paused:
        text = translate("admin.pause.confirm", locale, count=people, queued=queued)
        button = Button(
            translate("admin.pause.button", locale), actions.PROGRAMME_PAUSE_CONFIRM, "", "danger"
        )
    else:
        grace = format_duration(services.slot_grace, locale)
        text = translate("admin.resume.confirm", locale, count=people, duration=grace)
        button = Button(
            translate("admin.resume.button", locale),
            actions.PROGRAMME_RESUME_CONFIRM,
            "",
            "primary",
        )
    return Reply(blocks=(Text(text), Actions((button,))))


async def set_guidelines(services: Services, actor: Actor, text: str | None) -> Reply:
    """Show the sharing guidelines, or (admins) replace them."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        if text is None:
            current = caller.workspace.guidelines or translate(
                "share.guidelines.default", caller.locale
            )
            return Reply.text(current)
        require_role(caller, Role.ADMIN)
        if len(text) > MAX_GUIDELINES:
            raise InvalidInput(
                "admin.guidelines_long",
                "Guidelines can be at most {count} characters.",
                count=MAX_GUIDELINES,
            )
        caller.workspace.guidelines = "" if text.lower() == "default" else text
        audit(session, caller, "programme.guidelines")
    return Reply.text(translate("admin.guidelines.saved", caller.locale))


async def set_disclosure(services: Services, actor: Actor, text: str | None) -> Reply:
    """Show the disclosure line, or (admins) set it; 'none' removes it."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        if text is None:
            line = caller.workspace.disclosure_line or "—"
            return Reply.text(translate("admin.disclosure.current", caller.locale, line=line))
        require_role(caller, Role.ADMIN)
        if len(text) > MAX_DISCLOSURE:
            raise InvalidInput(
                "admin.disclosure_long",
                "The disclosure line can be at most {count} characters.",
                count=MAX_DISCLOSURE,
            )
        caller.workspace.disclosure_line = "" if text.lower() == "none" else text
        audit(session, caller, "programme.disclosure")
    return Reply.text(translate("admin.disclosure.saved", caller.locale))


async def set_person_roles(
    services: Services, actor: Actor, *, user_id: str, roles: Sequence[Role]
) -> Reply:
    """Admins give or take roles; an admin cannot take away their own admin role."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.ADMIN)
        target = await get_or_create_person(
            session, workspace_id=caller.workspace.id, external_id=user_id
        )
        if target.id == caller.person.id and Role.ADMIN not in roles:
            raise InvalidInput(
                "admin.self_demote", "You cannot remove your own admin role; ask another admin."
            )
        await set_roles(session, person_id=target.id, roles=roles)
        audit(session, caller, "role.set", f"{user_id}:{','.join(sorted(roles))}")
        now_held = await roles_of(session, person_id=target.id)
    if not now_held:
        return Reply.text(translate("admin.roles.none", caller.locale))
    names = ", ".join(sorted(role.value for role in now_held))
    return Reply.text(translate("admin.roles.saved", caller.locale, roles=names))
