"""The button registry: every id a renderer can show has a row, and only the registry names them."""

from __future__ import annotations

import ast
import asyncio
import socket
from pathlib import Path

import pytest

from handlers import actions, dispatch
from handlers.actions import Press
from handlers.context import Services
from handlers.dispatch import Placement
from handlers.types import Actions, ContentCard, Reply, ShareReady
from tests.factories import actor
from tests.fakes import FakeMessenger

ROOT = Path(__file__).resolve().parents[2]
INPUTS = {
    value
    for name, value in vars(actions).items()
    if name.startswith("PREFS_") and name != "PREFS_SAVE"
}
BUTTONS = {
    value
    for name, value in vars(actions).items()
    if name.isupper()
    and isinstance(value, str)
    and value not in INPUTS
    and not name.endswith("_PREFIX")
} | set(actions.SHARE_ACTIONS)


def test_every_button_id_has_a_row_and_every_row_a_declared_id() -> None:
    rows = {spec.action_id for spec in dispatch.ACTIONS}
    assert BUTTONS - rows == set()
    assert rows - BUTTONS == set()
    assert len(rows) == len(dispatch.ACTIONS)  # no id twice


# Calls whose first text is a message key, an error code or an audit name, not a button id.
_NOT_BUTTONS = {"translate", "describe_error", "InvalidInput", "audit", "translations"}


def _literal_action_ids(path: Path) -> list[tuple[int, str]]:
    """String literals in `path` that spell a button id where a button id is meant."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    keys: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in _NOT_BUTTONS:
                keys |= {id(arg) for arg in node.args if isinstance(arg, ast.Constant)}
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in BUTTONS
        and id(node) not in keys
    ]


def test_no_button_id_is_spelled_out_outside_the_registry() -> None:
    """Adapters hold no routing: ids live in handlers/actions.py and nowhere else."""
    allowed = {ROOT / "handlers" / "actions.py"}
    found = {
        f"{path.relative_to(ROOT)}:{line} {value}"
        for folder in ("bot", "handlers", "scheduler", "content_store")
        for path in (ROOT / folder).rglob("*.py")
        if path not in allowed
        for line, value in _literal_action_ids(path)
    }
    assert found == set()


def _buttons(reply: Reply) -> list[str]:
    found: list[str] = []
    for block in reply.blocks:
        if isinstance(block, Actions):
            found += [button.action_id for button in block.buttons]
        if isinstance(block, ContentCard | ShareReady):
            found += [button.action_id for button in block.actions]
    return found


async def test_every_button_the_use_cases_show_is_dispatched_to_an_answer(
    services: Services,
) -> None:
    """Walk what the person-facing commands show and press each button they carry."""
    from domain.programme import Role
    from handlers import commands
    from tests.factories import add_item, grant

    await grant(services.db, "U1", Role.ADMIN)
    await add_item(services.db, slug="a", topics=("product",), now=services.clock.now())
    messenger = FakeMessenger()
    seen: set[str] = set()
    for text in ("hi", "in", "prefs", "picks", "tips", "forget-me", "approve", "pause programme"):
        reply = await commands.run_command(services, actor("U1"), text, messenger=messenger)
        for action_id in _buttons(reply):
            seen.add(action_id)
            assert dispatch.known(action_id), action_id
    assert {actions.PROGRAMME_ANSWER, actions.PREFS_SAVE, actions.SHARE_CONFIRM} - seen <= {
        actions.SHARE_CONFIRM
    }
    assert actions.PRIVACY_ERASE in seen and actions.TIPS_MANAGER in seen


@pytest.mark.parametrize("action_id", sorted(BUTTONS))
async def test_a_press_with_a_forged_or_empty_value_is_answered_never_raised(
    services: Services, action_id: str
) -> None:
    for value in ("", "x", "-1", "99999:dm", "1:nowhere", "\x00", "9" * 400):
        answer = await dispatch.dispatch(
            services, actor("U-NOBODY"), Press(action_id, value), messenger=FakeMessenger()
        )
        assert answer.placement is Placement.NONE or answer.reply is not None


async def test_an_unknown_button_is_answered_plainly(services: Services) -> None:
    answer = await dispatch.dispatch(
        services, actor(), Press("nobody.knows"), messenger=FakeMessenger()
    )
    assert answer.placement is Placement.REPLY
    assert "no longer works" in str(answer.reply)


async def test_rows_marked_database_only_touch_nothing_but_the_database(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A platform runs these inside the transaction of its once-only check (Teams), where a
    call to anything outside would hold that transaction open: none may make one."""
    from handlers import commands
    from tests.factories import add_item

    item = await add_item(services.db, slug="a", topics=("product",), now=services.clock.now())
    messenger = FakeMessenger()
    await commands.run_command(services, actor("U1"), "in", messenger=messenger)

    def no_network(*_: object, **__: object) -> None:
        raise AssertionError("a database_only use case opened a connection")

    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    caption = {actions.caption_input(item): ("My words",)}
    # In an order where each press does its work: shares, then "I've posted it", then feedback.
    presses = [
        *(Press(action_id, f"{item}:dm", caption) for action_id in sorted(actions.SHARE_ACTIONS)),
        Press(actions.SHARE_CONFIRM, f"{item}:linkedin"),
        Press(actions.FEEDBACK_MORE_LIKE_THIS, f"{item}"),
        Press(actions.FEEDBACK_NOT_FOR_ME, f"{item}"),
    ]
    marked = {spec.action_id for spec in dispatch.ACTIONS if spec.database_only}
    assert marked <= {press.action_id for press in presses}  # a new row needs a press here
    for press in presses:
        if press.action_id not in marked:
            continue
        async with services.db.one_transaction():
            answer = await dispatch.dispatch(services, actor("U1"), press, messenger=messenger)
        refused = answer.placement is Placement.REPLY and "feedback" not in press.action_id
        assert answer.reply is not None and not refused, (press.action_id, answer.reply)
    assert messenger.sent == []
