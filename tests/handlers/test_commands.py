"""Commands through the one dispatcher: roles checked on every call, refusals say why."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from content_store.models import Delivery, Person, Workspace
from domain.errors import InvalidInput
from domain.programme import Role
from handlers import actions, programme
from handlers.actions import Press
from handlers.commands import run_command
from handlers.context import Services, error_reply
from handlers.deliveries import Outcome
from handlers.dispatch import dispatch
from handlers.types import Actor, Button, Reply
from messages import translate
from tests.bot.teams.factories import grant as teams_grant
from tests.conftest import FakeClock
from tests.factories import actor, add_item, grant
from tests.fakes import FakeMessenger, drain


@pytest.fixture
def messenger() -> FakeMessenger:
    return FakeMessenger()


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async def page(_: web.Request) -> web.Response:
        return web.Response(text="<title>A page</title>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/{name}", page)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


def _text(reply: Reply) -> str:
    return "\n".join(getattr(block, "text", "") for block in reply.blocks)


CONTENT_COMMANDS = [
    "list",
    "edit 1 priority 1",
    "retire 1",
    "approve",
    "pause programme",
    "resume programme",
    "stats",
    "stats 1",
    "export",
    "send-now",
]
ADMIN_COMMANDS = [
    "role <@U2> content",
    "guidelines Be kind",
    "disclosure (I work here)",
    "export people",
]


@pytest.mark.parametrize(
    "text", [*CONTENT_COMMANDS, *ADMIN_COMMANDS, "add https://x.example", "reject 1"]
)
async def test_employees_are_refused_privileged_commands(
    services: Services, messenger: FakeMessenger, text: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await run_command(services, actor("U-EMP"), text, messenger=messenger)
    assert refused.value.code == "role.missing"


@pytest.mark.parametrize("text", ADMIN_COMMANDS)
async def test_content_team_is_refused_admin_commands(
    services: Services, messenger: FakeMessenger, text: str
) -> None:
    await grant(services.db, "U-CT", Role.CONTENT)
    with pytest.raises(InvalidInput) as refused:
        await run_command(services, actor("U-CT"), text, messenger=messenger)
    assert refused.value.code == "role.missing"


@pytest.mark.parametrize("text", CONTENT_COMMANDS)
async def test_content_team_may_run_content_commands(
    services: Services, messenger: FakeMessenger, clock: FakeClock, text: str
) -> None:
    await grant(services.db, "U-CT", Role.CONTENT)
    await add_item(services.db, slug="a", now=clock.now())
    outcome = await run_command(services, actor("U-CT"), text, messenger=messenger)
    assert isinstance(outcome, Reply) and outcome.blocks


async def test_admin_sets_roles_texts_and_cannot_demote_themselves(
    services: Services, messenger: FakeMessenger
) -> None:
    await grant(services.db, "UADM", Role.ADMIN)
    reply = await run_command(
        services, actor("UADM"), "role <@U2|bo> content manager", messenger=messenger
    )
    assert "content, manager" in _text(reply)
    await run_command(
        services, actor("UADM"), "disclosure (I work at Example)", messenger=messenger
    )
    await run_command(
        services, actor("UADM"), 'guidelines "Be kind. Share nothing secret."', messenger=messenger
    )
    async with services.db.session() as session:
        ws = (await session.execute(select(Workspace))).scalar_one()
    assert (ws.disclosure_line, ws.guidelines) == (
        "(I work at Example)",
        "Be kind. Share nothing secret.",
    )
    with pytest.raises(InvalidInput) as refused:
        await run_command(services, actor("UADM"), "role <@UADM> content", messenger=messenger)
    assert refused.value.code == "admin.self_demote"


async def test_add_previews_first_and_saves_only_on_confirmation(
    services: Services, messenger: FakeMessenger, site: str
) -> None:
    await grant(services.db, "U-CT", Role.CONTENT)
    preview = await run_command(
        services,
        actor("U-CT"),
        f'add {site}/post #news caption "Read this" until 2030-01-01',
        messenger=messenger,
    )
    assert "Read this" in _details(preview) and "#news" in _details(preview)
    save = _button(preview, actions.CONTENT_SAVE)
    listing = await run_command(services, actor("U-CT"), "list", messenger=messenger)
    assert translate("content.list.empty", "en") in _text(listing)
    saved = await dispatch(services, actor("U-CT"), save, messenger=messenger)
    assert "A page" in _text(saved.reply or Reply())
    listing = await run_command(services, actor("U-CT"), "list", messenger=messenger)
    assert "A page" in _text(listing)
    again = await dispatch(services, actor("U-CT"), save, messenger=messenger)
    assert "expired or was already saved" in _text(again.reply or Reply())


async def test_a_preview_is_saved_only_by_the_person_who_made_it(
    services: Services, messenger: FakeMessenger, site: str
) -> None:
    await grant(services.db, "U-CT", Role.CONTENT)
    await grant(services.db, "U-CT2", Role.CONTENT)
    preview = await run_command(services, actor("U-CT"), f"add {site}/x", messenger=messenger)
    save = _button(preview, actions.CONTENT_SAVE)
    forged = await dispatch(services, actor("U-CT2"), save, messenger=messenger)
    assert "expired" in _text(forged.reply or Reply())
    cancel = _button(preview, actions.CONTENT_CANCEL)
    await dispatch(services, actor("U-CT"), cancel, messenger=messenger)
    listing = await run_command(services, actor("U-CT"), "list", messenger=messenger)
    assert translate("content.list.empty", "en") in _text(listing)


def _button(reply: Reply, action_id: str) -> Press:
    for block in reply.blocks:
        for button in getattr(block, "buttons", ()):
            if button.action_id == action_id:
                return Press(action_id, button.value)
    raise AssertionError(f"no {action_id} button")


def _details(reply: Reply) -> str:
    return "\n".join(getattr(block, "details", "") for block in reply.blocks)


async def test_pause_stops_send_now_and_resume_restarts(
    services: Services, messenger: FakeMessenger, clock: FakeClock
) -> None:
    await grant(services.db, "U-CT", Role.CONTENT)
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    for user in ("U1", "U2", "U3"):
        await programme.answer_invitation(services, actor(user), "in")
    await programme.answer_invitation(services, actor("U-NO"), "no")
    confirm = await run_command(services, actor("U-CT"), "pause programme", messenger=messenger)
    assert "3 people taking part" in _text(confirm)
    await dispatch(
        services,
        actor("U-CT"),
        _button(confirm, actions.PROGRAMME_PAUSE_CONFIRM),
        messenger=messenger,
    )
    with pytest.raises(InvalidInput) as refused:
        await run_command(services, actor("U-CT"), "send-now", messenger=messenger)
    assert refused.value.code == "programme.paused_for_team"
    assert "resume programme" in refused.value.message
    assert messenger.sent == []
    confirm = await run_command(services, actor("U-CT"), "resume programme", messenger=messenger)
    await dispatch(
        services,
        actor("U-CT"),
        _button(confirm, actions.PROGRAMME_RESUME_CONFIRM),
        messenger=messenger,
    )
    reply = await run_command(services, actor("U-CT"), "send-now", messenger=messenger)
    again = await run_command(services, actor("U-CT"), "send-now", messenger=messenger)
    assert "queued for 3 people" in _text(reply) and "queued for 0 people" in _text(again)
    await drain(services, messenger)
    assert sorted(messenger.recipients()) == ["U1", "U2", "U3"]


async def test_failed_deliveries_are_recorded_and_retried_only_when_transient(
    services: Services, messenger: FakeMessenger, clock: FakeClock
) -> None:
    await grant(services.db, "U-CT", Role.CONTENT)
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    for user in ("U-GONE", "U-FLAKY"):
        await programme.answer_invitation(services, actor(user), "in")
    messenger.failing.update({"U-GONE": True, "U-FLAKY": False})
    await run_command(services, actor("U-CT"), "send-now", messenger=messenger)
    outcomes = await drain(services, messenger)
    assert outcomes == {Outcome.FAILED: 1, Outcome.RETRY: 1}
    messenger.failing.clear()
    await drain(services, messenger)
    assert messenger.sent == []  # the retry waits for its backoff
    clock.advance(minutes=1)
    await drain(services, messenger)
    assert messenger.recipients() == ["U-FLAKY"]
    async with services.db.session() as session:
        rows = (
            await session.execute(select(Person.external_id, Delivery.status).join(Delivery))
        ).all()
    assert dict(rows) == {"U-GONE": "failed", "U-FLAKY": "sent"}


async def test_my_data_comes_as_a_json_file(services: Services, messenger: FakeMessenger) -> None:
    await programme.answer_invitation(services, actor(), "in")
    reply = await run_command(services, actor(), "my-data", messenger=messenger)
    (attachment,) = reply.files
    assert json.loads(attachment.content)["person"]["external_id"] == "U1"


async def test_forget_me_asks_for_confirmation_first(
    services: Services, messenger: FakeMessenger
) -> None:
    await programme.answer_invitation(services, actor(), "in")
    reply = await run_command(services, actor(), "forget-me", messenger=messenger)
    assert "Are you sure" in _text(reply)
    async with services.db.session() as session:
        assert (await session.execute(select(Person))).scalar_one()


async def test_help_lists_only_what_the_person_may_do(
    services: Services, messenger: FakeMessenger
) -> None:
    employee = _text(await run_command(services, actor("U-E"), "help", messenger=messenger))
    await grant(services.db, "UADM", Role.ADMIN)
    admin = _text(await run_command(services, actor("UADM"), "help", messenger=messenger))
    assert "/boost add" not in employee and "/boost role" not in employee
    assert "regroup" not in employee and "pause programme" not in employee
    assert "/boost add" in admin and "/boost role" in admin and "/boost pause programme" in admin
    assert "For admins" in admin and "For admins" not in employee
    one = _text(await run_command(services, actor("U-E"), "help suggest", messenger=messenger))
    assert one.startswith("/boost suggest")


async def test_help_in_teams_has_no_slash_and_offers_channel_mode_here(
    services: Services, messenger: FakeMessenger
) -> None:
    teams = Actor("teams", "T-TENANT", "UADM")
    await teams_grant(services.db, "T-TENANT", "UADM", Role.ADMIN)
    text = _text(await run_command(services, teams, "help", messenger=messenger))
    assert "/boost" not in text and "picks —" in text and "channel [here" in text


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("pcks", "command.unknown_close"),
        ("stast", "command.unknown_close"),
        ("xyzzy", "command.unknown"),
    ],
)
async def test_unknown_words_are_refused_with_the_closest_command(
    services: Services, messenger: FakeMessenger, typed: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await run_command(services, actor(), typed, messenger=messenger)
    assert refused.value.code == code


@pytest.mark.parametrize("typed", ["hi", "Hello there!", "what's this?", "can you help me share"])
async def test_greetings_and_free_text_get_a_friendly_answer(
    services: Services, messenger: FakeMessenger, typed: str
) -> None:
    first = await run_command(services, actor("U-NEW"), typed, messenger=messenger)
    assert any(b.action_id == actions.PROGRAMME_ANSWER for b in _buttons(first))  # the welcome
    await programme.answer_invitation(services, actor("U-NEW"), "in")
    later = _text(await run_command(services, actor("U-NEW"), typed, messenger=messenger))
    assert "/boost picks" in later and "don't know" not in later


@pytest.mark.parametrize("typed", ["I'm in", "i’m in!", "Ik doe mee"])
async def test_typing_a_button_label_does_what_the_button_does(
    services: Services, messenger: FakeMessenger, typed: str
) -> None:
    await run_command(services, actor("U-NEW"), typed, messenger=messenger)
    async with services.db.session() as session:
        person = (await session.execute(select(Person))).scalar_one()
    assert person.status.value == "in"


async def test_personal_pause_is_always_personal_even_for_an_admin(
    services: Services, messenger: FakeMessenger
) -> None:
    await grant(services.db, "UADM", Role.ADMIN)
    await programme.answer_invitation(services, actor("UADM"), "in")
    await run_command(services, actor("UADM"), "pause", messenger=messenger)
    async with services.db.session() as session:
        workspace = (await session.execute(select(Workspace))).scalar_one()
        person = (await session.execute(select(Person))).scalar_one()
    assert not workspace.paused and person.cadence.value == "paused"
    await run_command(services, actor("UADM"), "resume", messenger=messenger)
    async with services.db.session() as session:
        person = (await session.execute(select(Person))).scalar_one()
    assert person.cadence.value == "weekly"


def _buttons(reply: Reply) -> list[Button]:
    return [button for block in reply.blocks for button in getattr(block, "buttons", ())]


async def test_errors_are_explained_in_the_persons_language(services: Services) -> None:
    await programme.welcome(services, actor(locale="nl-NL"))
    error = InvalidInput(
        "command.unknown", "I don't know the command '{word}'. Try 'help'.", word="dans"
    )
    reply = await error_reply(services, actor(), error)
    assert _text(reply) == "Ik ken de opdracht 'dans' niet. Probeer 'help'."
