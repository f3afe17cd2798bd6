"""A person in a Slack workspace, for tests: reads what the app shows them and presses it.

A `SlackUser` sees what the fake Slack (`FakeSlack`) holds for them: DMs, channel messages,
ephemeral messages, the Home tab and open modals (`Surface`s). They type into inputs, press
buttons, tick checkboxes, pick options and submit modals, and Slack's requests reach the app
in the shapes Slack really sends them (`block_actions` from a message, from an ephemeral
message — `container.is_ephemeral`, no `message` —, from the Home tab and from modals;
`view_submission`; slash commands; `message` and `app_home_opened` events), signed, over
HTTP. Each action waits until the app has finished (see `Transport`) and returns an `Outcome`:
what changed for this person, every Web API call, and any refusal. A refusal raises at once
(`SlackRefused`), naming the step.

Typed text is escaped as Slack escapes it (`&amp;`, `&lt;`, `&gt;`, `<https://…>`,
`<#C123|name>`, `<@U123|name>`, `<mailto:…|…>`), as in commands with `should_escape: true`
and in message events.
"""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from tests.bot.slack.fake_slack import FakeSlack, SlackCall, Violation
from tests.bot.slack.strict import SlackRefused

Block = dict[str, Any]
FORM = "application/x-www-form-urlencoded"
# Elements that hold a value Slack reports in `state.values`.
STATEFUL = frozenset(
    {
        "plain_text_input",
        "checkboxes",
        "radio_buttons",
        "static_select",
        "multi_static_select",
        "datepicker",
        "timepicker",
        "users_select",
        "conversations_select",
        "channels_select",
        "email_text_input",
        "url_text_input",
        "number_input",
    }
)
PRESSABLE = frozenset({"button", "overflow", *STATEFUL} - {"plain_text_input"})


class Clock(Protocol):
    """Anything with `now()`, like the app's clock."""

    def now(self) -> datetime: ...


class Transport(Protocol):
    """Delivers a signed request to the app and returns once the app has finished with it."""

    async def deliver(self, body: str, content_type: str) -> tuple[int, Any]:
        """POST to the app's Slack endpoint; (HTTP status, body as JSON or text)."""
        ...


# ---------------------------------------------------------------- what a person sees


@dataclass(frozen=True)
class Control:
    """One interactive element on a surface, with the block it sits in."""

    surface: Surface
    block: Block
    element: Block
    # The text just above the element's block: what names checkboxes and selects.
    heading: str = ""

    @property
    def type(self) -> str:
        return str(self.element.get("type", ""))

    @property
    def action_id(self) -> str:
        return str(self.element.get("action_id", ""))

    @property
    def block_id(self) -> str:
        return str(self.block.get("block_id", ""))

    @property
    def value(self) -> str | None:
        value = self.element.get("value")
        return None if value is None else str(value)

    @property
    def url(self) -> str | None:
        return self.element.get("url")

    @property
    def label(self) -> str:
        """What the person reads on it: a button's text, an input's label, a select's hint."""
        for owner, key in (
            (self.element, "text"),
            (self.block, "label"),
            (self.element, "placeholder"),
        ):
            found = owner.get(key)
            if isinstance(found, dict) and isinstance(found.get("text"), str):
                return str(found["text"])
        return self.heading or self.action_id

    @property
    def options(self) -> list[Block]:
        options = list(self.element.get("options") or [])
        for group in self.element.get("option_groups") or []:
            options += group.get("options") or []
        return options

    def __repr__(self) -> str:
        return f"<{self.type} {self.label!r} {self.action_id} on {self.surface.kind}>"


@dataclass(frozen=True)
class Surface:
    """Something the app shows a person: a message, an ephemeral message, Home, or a modal."""

    kind: str  # "message", "ephemeral", "home" or "modal"
    key: str  # "channel:ts", the ephemeral's ts, or the view id
    channel: str | None
    ts: str | None
    text: str
    blocks: list[Block]
    raw: dict[str, Any]

    def controls(self) -> list[Control]:
        """Every interactive element, in reading order."""
        found: list[Control] = []
        heading = ""
        for block in self.blocks:
            if block.get("type") in ("section", "header", "context"):
                heading = "\n".join(_texts(block.get("text") or block.get("elements") or []))
            for element in _elements(block):
                if element.get("type") in PRESSABLE or element.get("type") == "plain_text_input":
                    found.append(Control(self, block, element, heading))
        return found

    def buttons(self) -> list[Control]:
        return [c for c in self.controls() if c.type == "button"]

    def inputs(self) -> list[Control]:
        """Elements of input blocks: what the person can type into before submitting."""
        return [c for c in self.controls() if c.block.get("type") == "input"]

    def button(self, label: str) -> Control:
        """The button reading `label` (exactly, else the only one containing it)."""
        return _one(self.buttons(), label, what="button")

    def control(self, label: str) -> Control:
        """Any control by its label (exactly, else the only one containing it)."""
        return _one(self.controls(), label, what="control")

    def input(self, match: str) -> Control:
        """The input whose block id or label contains `match`."""
        found = [c for c in self.inputs() if match in c.block_id or match in c.label]
        if len(found) != 1:
            raise AssertionError(f"{len(found)} inputs match {match!r} in {self.describe()}")
        return found[0]

    def visible_text(self) -> str:
        """All text a person reads on it, in order (prefilled input values included)."""
        parts = [self.text] if not self.blocks else []
        for key in ("title", "submit", "close"):
            if isinstance(self.raw.get(key), dict):
                parts.append(str(self.raw[key].get("text", "")))
        parts += list(_texts(self.blocks))
        return "\n".join(part for part in parts if part)

    def has(self, text: str) -> bool:
        return text in self.visible_text()

    def block_ids(self) -> list[str]:
        return [str(block.get("block_id", "")) for block in self.blocks]

    def describe(self) -> str:
        return f"{self.kind} {self.key}:\n{self.visible_text()}\n{[c for c in self.controls()]}"


def _one(controls: list[Control], label: str, *, what: str) -> Control:
    exact = [c for c in controls if c.label == label]
    if len(exact) == 1:
        return exact[0]
    partial = [c for c in controls if label in c.label]
    if len(partial) == 1:
        return partial[0]
    labels = [c.label for c in controls]
    raise AssertionError(f"no single {what} {label!r} among {labels}")


def _elements(block: Block) -> list[Block]:
    kind = block.get("type")
    if kind == "actions":
        return [e for e in block.get("elements") or [] if isinstance(e, dict)]
    if kind == "input" and isinstance(block.get("element"), dict):
        return [block["element"]]
    if kind == "section" and isinstance(block.get("accessory"), dict):
        return [block["accessory"]]
    return []


def _texts(node: Any) -> Iterator[str]:
    """Text objects, rich text and prefilled values, depth first."""
    if isinstance(node, list):
        for item in node:
            yield from _texts(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") in ("plain_text", "mrkdwn", "text") and isinstance(node.get("text"), str):
        yield node["text"]
    if isinstance(node.get("initial_value"), str):
        yield node["initial_value"]
    for key, value in node.items():
        if key not in ("initial_value", "initial_option", "initial_options"):
            yield from _texts(value)


# ---------------------------------------------------------------- what a press produced


@dataclass
class Outcome:
    """What one action produced: the app's answer, the calls it made, and what changed."""

    what: str
    status: int
    ack: Any
    calls: list[SlackCall]
    violations: list[Violation]
    changed: list[Surface]

    @property
    def latest(self) -> Surface | None:
        """The last surface that changed for the person."""
        return self.changed[-1] if self.changed else None

    def text(self) -> str:
        """Everything the person can now read on the surfaces that changed."""
        return "\n---\n".join(surface.visible_text() for surface in self.changed)

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    def answered(self) -> Outcome:
        """Assert the person saw an answer (something they see changed); returns self."""
        if self.status != 200:
            raise AssertionError(f"{self.what}: the app answered HTTP {self.status}: {self.ack}")
        if not self.changed:
            raise AssertionError(
                f"{self.what}: nothing changed for the person; calls: {self.methods()}"
            )
        return self

    def kinds(self) -> list[str]:
        return [surface.kind for surface in self.changed]


# ---------------------------------------------------------------- the person


@dataclass
class SlackUser:
    """One person: who they are, what they typed, and how they reach the app."""

    fake: FakeSlack
    transport: Transport
    user_id: str
    name: str = ""
    team_id: str = ""
    team_domain: str = "socialboost-test"
    api_app_id: str = "ABOOST"
    escape: bool = True
    # The app's clock, when the test moves time: a date picker's default date follows it.
    clock: Clock | None = None
    _drafts: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.team_id = self.team_id or self.fake.team_id
        self.name = self.name or self.user_id.lower()

    # -- reading ---------------------------------------------------------------------------

    @property
    def dm_channel(self) -> str:
        return self.fake.dm_channel(self.user_id)

    def dm_messages(self) -> list[Surface]:
        """The app's messages in the DM, oldest first."""
        return [
            self._message_surface(self.dm_channel, ts, message)
            for (channel, ts), message in sorted(self.fake.messages.items(), key=lambda i: i[0][1])
            if channel == self.dm_channel and message.get("bot_id")
        ]

    def dm(self) -> Surface:
        """The app's latest DM to this person."""
        messages = self.dm_messages()
        if not messages:
            raise AssertionError(f"{self.user_id} has no DM from the app")
        return messages[-1]

    def channel_messages(self, channel: str) -> list[Surface]:
        return [
            self._message_surface(where, ts, message)
            for (where, ts), message in sorted(self.fake.messages.items(), key=lambda i: i[0][1])
            if where == channel and message.get("bot_id")
        ]

    def ephemerals(self) -> list[Surface]:
        """The ephemeral messages this person still sees, oldest first."""
        return [
            Surface(
                "ephemeral", e.ts, e.channel, e.ts, e.text, list(e.blocks or []), e.as_message()
            )
            for e in self.fake.ephemerals_for(self.user_id)
        ]

    def ephemeral(self) -> Surface:
        shown = self.ephemerals()
        if not shown:
            raise AssertionError(f"{self.user_id} sees no ephemeral message")
        return shown[-1]

    def home(self) -> Surface:
        view = self.fake.home_of(self.user_id)
        if view is None:
            raise AssertionError(f"{self.user_id} has no Home tab published")
        return _view_surface(view)

    def modals(self) -> list[Surface]:
        return [_view_surface(view) for view in self.fake.open_modals(self.user_id)]

    def modal(self) -> Surface:
        """The modal on top."""
        open_now = self.modals()
        if not open_now:
            raise AssertionError(f"{self.user_id} has no modal open")
        return open_now[-1]

    def last(self) -> Surface:
        """Whatever the app last showed or changed for this person, on any surface."""
        for change in reversed(self.fake.changes):
            if change.audience in (self.user_id, "*"):
                found = self._surface(change.kind, change.key)
                if found is not None:
                    return found
        raise AssertionError(f"the app has shown {self.user_id} nothing yet")

    def surfaces(self) -> list[Surface]:
        """Everything the person sees now: DMs, ephemerals, Home and modals."""
        found = [*self.dm_messages(), *self.ephemerals(), *self.modals()]
        if self.fake.home_of(self.user_id) is not None:
            found.append(self.home())
        return found

    def current(self, surface: Surface) -> Surface | None:
        """The surface as it stands now (after replacements), or None when it is gone."""
        if surface.kind == "message" and surface.channel and surface.ts:
            message = self.fake.messages.get((surface.channel, surface.ts))
            return self._message_surface(surface.channel, surface.ts, message) if message else None
        if surface.kind == "ephemeral":
            return next((e for e in self.ephemerals() if e.key == surface.key), None)
        if surface.kind == "home":
            return self.home() if self.fake.home_of(self.user_id) else None
        return next((m for m in self.modals() if m.key == surface.key), None)

    def _message_surface(self, channel: str, ts: str, message: dict[str, Any]) -> Surface:
        blocks = list(message.get("blocks") or [])
        return Surface(
            "message", f"{channel}:{ts}", channel, ts, str(message.get("text", "")), blocks, message
        )

    # -- typing ----------------------------------------------------------------------------

    def type(self, control: Control, text: str) -> None:
        """Type `text` into an input (replacing what was there); sent with the next action."""
        self._drafts[self._draft_key(control)] = {"type": control.type, "value": text}

    def state_values(self, surface: Surface) -> dict[str, dict[str, Any]]:
        """What Slack reports as `state.values` for the surface: initial values and typing."""
        values: dict[str, dict[str, Any]] = {}
        for control in surface.controls():
            if control.type not in STATEFUL or not control.block_id:
                continue
            state = self._drafts.get(self._draft_key(control)) or _initial_state(control.element)
            values.setdefault(control.block_id, {})[control.action_id] = state
        return values

    def _draft_key(self, control: Control) -> tuple[str, str, str]:
        # Slack keeps typed values while block and action ids stay the same.
        return (control.surface.kind + control.surface.key, control.block_id, control.action_id)

    # -- acting ----------------------------------------------------------------------------

    async def press(self, control: Control) -> Outcome:
        """Press a button (a link button too: Slack also tells the app)."""
        if control.type != "button":
            raise AssertionError(f"{control} is not a button; use choose()")
        action = {"type": "button", "text": control.element["text"]}
        if control.value is not None:
            action["value"] = control.value
        if "style" in control.element:
            action["style"] = control.element["style"]
        return await self._act(control, action, what=f"press {control.label!r}")

    async def choose(self, control: Control, *values: str) -> Outcome:
        """Tick exactly these checkboxes, or pick this option (select, radio, overflow)."""
        picked = [o for o in control.options if o.get("value") in values]
        if len(picked) != len(values):
            raise AssertionError(f"{control} has no options {values}: {control.options}")
        if control.type in ("checkboxes", "multi_static_select"):
            state: dict[str, Any] = {"type": control.type, "selected_options": picked}
        else:
            state = {"type": control.type, "selected_option": picked[0] if picked else None}
        if control.type != "overflow":
            self._drafts[self._draft_key(control)] = state
        if _quiet(control):
            return self._unsent(f"choose {values} in {control.label!r}")
        return await self._act(control, dict(state), what=f"choose {values} in {control.label!r}")

    async def pick_date(self, control: Control, day: str) -> Outcome:
        """Pick a date (YYYY-MM-DD) in a datepicker."""
        state = {"type": "datepicker", "selected_date": day}
        self._drafts[self._draft_key(control)] = state
        if _quiet(control):
            return self._unsent(f"pick {day} in {control.label!r}")
        return await self._act(control, dict(state), what=f"pick {day} in {control.label!r}")

    def _unsent(self, what: str) -> Outcome:
        """An input Slack keeps to itself until a button of the same surface is pressed."""
        return Outcome(what=what, status=200, ack=None, calls=[], violations=[], changed=[])

    async def submit(self, modal: Surface | None = None) -> Outcome:
        """Submit a modal with what was typed into it."""
        modal = modal or self.modal()
        view = {**modal.raw, "state": {"values": self.state_values(modal)}}
        payload = {
            "type": "view_submission",
            **self._who(),
            "trigger_id": self.fake.trigger_id(self.user_id),
            "view": view,
            "response_urls": [],
        }
        outcome = await self._send_interaction(payload, what=f"submit {modal.key}")
        self.fake.view_submitted(user=self.user_id, view_id=modal.key, body=outcome.ack)
        return self._finish(outcome)

    async def close(self, modal: Surface | None = None) -> Outcome | None:
        """Close a modal; Slack tells the app only when the view asked (`notify_on_close`)."""
        modal = modal or self.modal()
        self.fake.modal_closed(user=self.user_id, view_id=modal.key)
        if not modal.raw.get("notify_on_close"):
            return None
        payload = {"type": "view_closed", **self._who(), "view": modal.raw, "is_cleared": False}
        return self._finish(await self._send_interaction(payload, what=f"close {modal.key}"))

    async def command(
        self, text: str, *, channel: str | None = None, command: str = "/boost"
    ) -> Outcome:
        """Run a slash command (in the DM with the app unless `channel` is given)."""
        channel = channel or self.dm_channel
        name = f"{self.user_id}-cmd-{next(self._counter)}"
        fields = {
            "token": "verification-token",
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel,
            "channel_name": "directmessage"
            if channel.startswith("D")
            else self._channel_name(channel),
            "user_id": self.user_id,
            "user_name": self.name,
            "command": command,
            "text": self.slack_text(text),
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(name, user=self.user_id, channel=channel),
            "trigger_id": self.fake.trigger_id(self.user_id),
        }
        outcome = await self._deliver(urlencode(fields), FORM, what=f"{command} {text}")
        self.fake.command_acked(user=self.user_id, channel=channel, body=outcome.ack)
        return self._finish(outcome)

    async def say(self, text: str) -> Outcome:
        """Write a direct message to the app."""
        slack_text = self.slack_text(text)
        message = self.fake.user_posted(user=self.user_id, channel=self.dm_channel, text=slack_text)
        event = {
            "client_msg_id": str(uuid.uuid4()),
            "type": "message",
            "text": slack_text,
            "user": self.user_id,
            "ts": message["ts"],
            "blocks": [_rich_text(text)],
            "team": self.team_id,
            "channel": self.dm_channel,
            "event_ts": message["ts"],
            "channel_type": "im",
        }
        return await self._event(event, what=f"say {text!r}")

    async def open_home(self) -> Outcome:
        """Open the app's Home tab."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": self.user_id,
            "channel": self.dm_channel,
            "tab": "home",
            "event_ts": _now_ts(),
        }
        published = self.fake.home_of(self.user_id)
        if published is not None:
            event["view"] = published
        return await self._event(event, what="open Home")

    async def open_messages(self) -> Outcome:
        """Open the app's Messages tab."""
        event = {
            "type": "app_home_opened",
            "user": self.user_id,
            "channel": self.dm_channel,
            "tab": "messages",
            "event_ts": _now_ts(),
        }
        return await self._event(event, what="open Messages")

    async def click_everything(
        self, surface: Surface, *, skip: tuple[str, ...] = (), submit: bool = True
    ) -> list[tuple[Control, Outcome]]:
        """Use every control on the surface once and return what each use produced.

        Buttons are pressed; checkboxes, selects and radio buttons are chosen again as they
        stand (the first option when a select has none); overflow menus get their first
        option; date pickers their date, or a week from today. Controls whose label contains
        one of `skip` are left alone, and so is one that an earlier use removed. A modal that
        is still open at the end is submitted (unless `submit` is False).
        """
        results: list[tuple[Control, Outcome]] = []
        for wanted in [_identity(c) for c in surface.controls() if c.type in PRESSABLE]:
            now = self.current(surface)
            if now is None:
                break
            match = [c for c in now.controls() if _identity(c) == wanted]
            if not match or any(word in match[0].label for word in skip):
                continue
            results.append((match[0], await self.use(match[0])))
        still = self.current(surface)
        if submit and still is not None and still.kind == "modal" and still.raw.get("submit"):
            results.append((Control(still, {}, {"type": "submit"}), await self.submit(still)))
        return results

    async def use(self, control: Control) -> Outcome:
        """Use a control the way a person would, leaving choices as they are."""
        if control.type == "button":
            return await self.press(control)
        if control.type == "datepicker":
            today = self.clock.now().date() if self.clock else date.today()
            day = control.element.get("initial_date") or (today + timedelta(days=7)).isoformat()
            return await self.pick_date(control, str(day))
        state = self._drafts.get(self._draft_key(control)) or _initial_state(control.element)
        chosen = [o["value"] for o in state.get("selected_options") or []]
        if state.get("selected_option"):
            chosen = [state["selected_option"]["value"]]
        if not chosen and control.type in ("static_select", "radio_buttons", "overflow"):
            chosen = [control.options[0]["value"]]
        return await self.choose(control, *chosen)

    # -- Slack's text escaping -------------------------------------------------------------

    def slack_text(self, text: str) -> str:
        """`text` as Slack delivers what a person typed (see the module docstring)."""
        return slack_escape(text, self.fake) if self.escape else text

    # -- payloads --------------------------------------------------------------------------

    def _who(self) -> dict[str, Any]:
        return {
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": {
                "id": self.user_id,
                "username": self.name,
                "name": self.name,
                "team_id": self.team_id,
            },
            "api_app_id": self.api_app_id,
            "token": "verification-token",
            "is_enterprise_install": False,
            "enterprise": None,
        }

    async def _act(self, control: Control, action: dict[str, Any], *, what: str) -> Outcome:
        action.update(action_id=control.action_id, block_id=control.block_id, action_ts=_now_ts())
        surface = control.surface
        payload = {
            "type": "block_actions",
            **self._who(),
            "trigger_id": self.fake.trigger_id(self.user_id),
            **self._container(surface),
            "actions": [action],
        }
        return self._finish(await self._send_interaction(payload, what=what))

    def _container(self, surface: Surface) -> dict[str, Any]:
        """Where the action happened, as Slack describes each surface."""
        state = {"values": self.state_values(surface)}
        if surface.kind in ("home", "modal"):
            return {
                "container": {"type": "view", "view_id": surface.key},
                "view": {**surface.raw, "state": state},
            }
        assert surface.channel is not None and surface.ts is not None
        ephemeral = surface.kind == "ephemeral"
        name = f"{self.user_id}-act-{next(self._counter)}"
        source = (
            ("ephemeral", surface.ts) if ephemeral else ("message", surface.channel, surface.ts)
        )
        found: dict[str, Any] = {
            "container": {
                "type": "message",
                "message_ts": surface.ts,
                "channel_id": surface.channel,
                "is_ephemeral": ephemeral,
            },
            "channel": {"id": surface.channel, "name": self._channel_name(surface.channel)},
            "state": state,
            "response_url": self.fake.response_url(
                name, user=self.user_id, channel=surface.channel, source=source
            ),
        }
        if not ephemeral:
            # Slack leaves the message out for ephemeral messages: it keeps no copy of them.
            found["message"] = surface.raw
        return found

    def _channel_name(self, channel: str) -> str:
        if channel.startswith("D"):
            return "directmessage"
        known = self.fake.channels.get(channel)
        return known.name if known else channel.lower()

    async def _send_interaction(self, payload: dict[str, Any], *, what: str) -> Outcome:
        return await self._deliver(urlencode({"payload": json.dumps(payload)}), FORM, what=what)

    async def _event(self, event: dict[str, Any], *, what: str) -> Outcome:
        envelope = {
            "token": "verification-token",
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        return self._finish(
            await self._deliver(json.dumps(envelope), "application/json", what=what)
        )

    async def _deliver(self, body: str, content_type: str, *, what: str) -> Outcome:
        calls, changes = len(self.fake.calls), len(self.fake.changes)
        status, ack = await self.transport.deliver(body, content_type)
        outcome = Outcome(what, status, ack, self.fake.calls[calls:], [], [])
        outcome.changed = self._changed_since(changes)
        return outcome

    def _finish(self, outcome: Outcome) -> Outcome:
        """Fail at once when Slack refused something the app sent."""
        outcome.violations = self.fake.take_unreported()
        if outcome.violations:
            lines = "\n".join(f"  - {violation}" for violation in outcome.violations)
            raise SlackRefused(f"{self.user_id} {outcome.what}: Slack would refuse:\n{lines}")
        return outcome

    def _changed_since(self, index: int) -> list[Surface]:
        """The surfaces this person sees that changed, each once, in the order they changed."""
        seen: dict[tuple[str, str], None] = {}
        for change in self.fake.changes[index:]:
            if change.audience in (self.user_id, "*"):
                seen.pop((change.kind, change.key), None)
                seen[(change.kind, change.key)] = None
        found = [self._surface(kind, key) for kind, key in seen]
        return [surface for surface in found if surface is not None]

    def _surface(self, kind: str, key: str) -> Surface | None:
        if kind == "message":
            channel, _, ts = key.partition(":")
            message = self.fake.messages.get((channel, ts))
            if message is None or not self.fake.visible_to(self.user_id, channel):
                return None
            return self._message_surface(channel, ts, message)
        if kind == "ephemeral":
            return next((e for e in self.ephemerals() if e.key == key), None)
        view = self.fake.views.get(key)
        if view is None:
            return None
        if kind == "home":
            return _view_surface(view) if self.fake.home_views.get(self.user_id) == key else None
        return next((m for m in self.modals() if m.key == key), None)


def _identity(control: Control) -> tuple[str, str, str, str | None]:
    return (control.type, control.block_id, control.action_id, control.value)


def _view_surface(view: dict[str, Any]) -> Surface:
    return Surface(
        str(view["type"]), str(view["id"]), None, None, "", list(view.get("blocks") or []), view
    )


def _quiet(control: Control) -> bool:
    """An element in an input block without dispatch_action: Slack sends nothing when it
    changes, only its value with the next button press (state.values)."""
    return control.block.get("type") == "input" and not control.block.get("dispatch_action")


def _initial_state(element: Block) -> dict[str, Any]:
    kind = str(element.get("type"))
    if kind in ("checkboxes", "multi_static_select"):
        return {"type": kind, "selected_options": list(element.get("initial_options") or [])}
    if kind in ("static_select", "radio_buttons"):
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind == "datepicker":
        return {"type": kind, "selected_date": element.get("initial_date")}
    return {"type": kind, "value": element.get("initial_value")}


def _rich_text(text: str) -> dict[str, Any]:
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return {"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": [section]}


def _now_ts() -> str:
    return f"{time.time():.6f}"


# ---------------------------------------------------------------- Slack's escaping

_URL = re.compile(r"https?://[^\s<>]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CHANNEL = re.compile(r"(?<![\w#])#([a-z0-9][a-z0-9_-]*)")
_MENTION = re.compile(r"(?<!\w)@([\w.-]+)")


def slack_escape(text: str, fake: FakeSlack) -> str:
    """Text as Slack sends it: &, < and > as entities; links, e-mail addresses, channels and
    people it knows in angle brackets (https://api.slack.com/reference/surfaces/formatting)."""
    pieces: list[str] = []
    position = 0
    for match in _special(text, fake):
        start, end, replacement = match
        pieces.append(_entities(text[position:start]))
        pieces.append(replacement)
        position = end
    pieces.append(_entities(text[position:]))
    return "".join(pieces)


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _special(text: str, fake: FakeSlack) -> list[tuple[int, int, str]]:
    """(start, end, replacement) of every link, address, channel and mention, in order."""
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, replacement: str) -> None:
        if all(end <= s or start >= e for s, e in taken):
            taken.append((start, end))
            found.append((start, end, replacement))

    for match in _URL.finditer(text):
        add(match.start(), match.end(), f"<{_entities(match.group())}>")
    for match in _EMAIL.finditer(text):
        address = match.group()
        add(match.start(), match.end(), f"<mailto:{address}|{address}>")
    channels = {channel.name: channel.id for channel in fake.channels.values()}
    for match in _CHANNEL.finditer(text):
        if match.group(1) in channels:
            add(match.start(), match.end(), f"<#{channels[match.group(1)]}|{match.group(1)}>")
    names = {user["name"]: user_id for user_id, user in fake.users.items()}
    for match in _MENTION.finditer(text):
        if match.group(1) in names:
            add(match.start(), match.end(), f"<@{names[match.group(1)]}|{match.group(1)}>")
    return sorted(found)
