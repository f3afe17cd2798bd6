"""The Playground's user over its HTTP API, acting as its web client does: by button titles.

A button is found by its title and submits what the client would: the button's data and every
input of its card, at the value shown (or as the test fills it in). Each act waits for the
bot's turn to end, so its answer is complete; the turn's messages are returned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tests.bot.teams.playground import Playground, Shown
from tests.e2e.conftest import Turns

Element = dict[str, Any]
Until = Callable[[list[Shown]], Any]


def walk(node: Any) -> Iterator[Element]:
    """Every element, action and inline of a card, depth first."""
    if isinstance(node, dict):
        if "type" in node:
            yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def elements(message: Shown, kind: str) -> list[Element]:
    return [element for element in walk(message.cards) if element["type"] == kind]


def titles(message: Shown) -> list[str]:
    """The titles of the message's buttons, in order."""
    return [
        str(e["title"])
        for e in walk(message.cards)
        if str(e["type"]).startswith("Action.") and "title" in e
    ]


def text_of(message: Shown) -> str:
    """What the message says: its text and every text run and block of its cards."""
    parts = [message.text]
    for element in walk(message.cards):
        if element["type"] in ("TextRun", "TextBlock"):
            parts.append(str(element.get("text", "")))
    return "\n".join(part for part in parts if part)


def chosen(message: Shown, labels: set[str]) -> dict[str, str]:
    """Each choice list's value with exactly the choices titled `labels` ticked."""
    return {
        str(choice_set["id"]): ",".join(
            str(option["value"]) for option in choice_set["choices"] if option["title"] in labels
        )
        for choice_set in elements(message, "Input.ChoiceSet")
    }


def submitted(message: Shown, title: str, typed: dict[str, str], *, last: bool) -> dict[str, Any]:
    """What the client sends for the Action.Submit titled `title` (the last one so titled
    when `last`): its data, and every input of the card at its value or as `typed`."""
    buttons = [e for e in elements(message, "Action.Submit") if e.get("title") == title]
    assert buttons, f"no button {title!r} among {titles(message)}"
    button = buttons[-1] if last else buttons[0]
    value: dict[str, Any] = {}
    for element in walk(message.cards):
        if str(element["type"]).startswith("Input.") and "id" in element:
            value[str(element["id"])] = str(element.get("value", ""))
    value |= typed
    value |= dict(button.get("data") or {})
    return value


@dataclass
class Chat:
    """The Playground's signed-in user, one turn at a time."""

    playground: Playground
    turns: Turns

    async def turn(
        self, act: Callable[[], Awaitable[None]], *, until: Until | None = None
    ) -> list[Shown]:
        """Do `act`, wait until the bot's turn has ended and the stream shows what `until`
        looks for (by default: anything); what was shown meanwhile."""
        mark, started = self.playground.mark(), self.turns.started
        await act()
        await self.turns.settled(after=started)
        # The stream may trail the turn's end by a frame or two.
        await self.playground.wait(lambda shown: (until or bool)(shown[mark:]))
        return self.playground.since(mark)

    async def say(
        self, text: str, *, conversation: str | None = None, until: Until | None = None
    ) -> list[Shown]:
        where = conversation or self.playground.personal_chat
        return await self.turn(lambda: self.playground.say(where, text), until=until)

    async def click(
        self,
        message: Shown,
        title: str,
        typed: dict[str, str] | None = None,
        *,
        last: bool = False,
        until: Until | None = None,
    ) -> list[Shown]:
        """Press the button titled `title` on `message` (the last so titled when `last`)."""
        value = submitted(message, title, typed or {}, last=last)
        return await self.turn(lambda: self.playground.press(message, value), until=until)

    async def install(self) -> list[Shown]:
        """The app is added to the personal chat (Teams sends installationUpdate)."""
        return await self.turn(lambda: self.playground.install(self.playground.personal_chat))


def created(shown: list[Shown], needle: str = "") -> list[Shown]:
    """The new messages among `shown` whose text or cards contain `needle`."""
    return [s for s in shown if s.action == "createMessage" and needle in s.dump]


def latest(shown: list[Shown], needle: str) -> Shown:
    """The newest message (new or updated) containing `needle`."""
    found = [s for s in shown if needle in s.dump]
    assert found, f"nothing shows {needle!r}: {[text_of(s)[:120] for s in shown]}"
    return found[-1]
