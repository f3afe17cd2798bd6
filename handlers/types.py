"""Neutral types at the edge: who acts, what they see, and the messenger port."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol, runtime_checkable


@dataclass(frozen=True)
class Actor:
    """Who is acting: platform, workspace (Slack team or Teams tenant) and user id."""

    platform: str
    workspace_id: str
    user_id: str
    locale: str | None = None
    timezone: str | None = None
    display_name: str | None = None
    email: str | None = None
    # The shared conversation (a channel) the person wrote in, when not their direct chat.
    conversation_id: str | None = None
    conversation_name: str | None = None


@dataclass(frozen=True)
class Capabilities:
    """What a chat platform offers, as far as the use cases need to know."""

    # The platform's name as people know it ("Slack"), for messages that mention it.
    label: str = ""
    # What people type before a command: "/boost " in Slack, nothing when writing to the bot.
    command_prefix: str = ""
    # A page of one's own the bot can redraw at any time (Slack's Home tab).
    home_surface: bool = False
    # The bot can post the week's picks to a shared channel (channel mode).
    channel_posts: bool = False
    # The bot can ask whether a tagged message already reached someone (see SentLookup).
    sent_lookup: bool = False


@dataclass(frozen=True)
class Button:
    """A button: an action sent back to us, or a link the client opens (`url`)."""

    label: str
    action_id: str
    value: str = ""
    style: Literal["default", "primary", "danger"] = "default"
    url: str | None = None


@dataclass(frozen=True)
class Text:
    """A paragraph; `text` is plain user-visible text that renderers escape."""

    text: str
    heading: bool = False


@dataclass(frozen=True)
class Actions:
    """A row of buttons."""

    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class ChoiceOption:
    """One option of a choice list."""

    label: str
    value: str
    selected: bool = False


@dataclass(frozen=True)
class Choice:
    """A list the person picks one or several options from."""

    action_id: str
    label: str
    options: tuple[ChoiceOption, ...]
    multiple: bool = False


@dataclass(frozen=True)
class DateInput:
    """A calendar date the person may pick, or leave empty."""

    input_id: str
    label: str
    initial: date | None = None


@dataclass(frozen=True)
class ItemSummary:
    """An item at a glance: its linked title, a few lines about it, and its image."""

    title: str
    url: str
    details: str
    image_url: str | None = None


@dataclass(frozen=True)
class ContentCard:
    """A pick: the item, why it was picked, an editable caption and its actions."""

    content_id: int
    title: str
    url: str
    description: str
    image_url: str | None
    reason: str
    caption: str
    caption_label: str
    caption_max_chars: int
    actions: tuple[Button, ...]


@dataclass(frozen=True)
class ShareReady:
    """After a share press: the caption to copy, the guidelines and the composer link."""

    content_id: int
    title: str
    network_label: str
    caption: str
    copy_hint: str
    guidelines: str
    actions: tuple[Button, ...]


Block = Text | Actions | Choice | DateInput | ItemSummary | ContentCard | ShareReady


@dataclass(frozen=True)
class Attachment:
    """A file sent along with a reply (an export, a chart)."""

    filename: str
    content: bytes
    title: str


@dataclass(frozen=True)
class Reply:
    """What to show: blocks in order; `private` replies are seen only by the actor."""

    blocks: tuple[Block, ...] = field(default_factory=tuple)
    private: bool = True
    files: tuple[Attachment, ...] = ()
    # Set on scheduled sends so a sender taking over after a crash can ask the platform
    # whether this very message already went out (see SentLookup).
    tag: str = ""

    @classmethod
    def text(cls, text: str) -> Reply:
        """A reply of one paragraph."""
        return cls(blocks=(Text(text),))


class DeliveryError(Exception):
    """A message could not be delivered; `permanent` when retrying cannot help."""

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        in_doubt: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        # The platform's own "try again in N seconds", when it gave one.
        self.retry_after = retry_after
        # The message may have gone out all the same (the answer was an error after the fact,
        # or never came): a retry must look it up first.
        self.in_doubt = in_doubt


class Messenger(Protocol):
    """The port through which handlers and jobs reach people on a platform."""

    async def send_to_user(self, *, workspace_id: str, user_id: str, reply: Reply) -> str:
        """Send a direct message; returns the platform's message id."""
        ...

    async def send_to_channel(self, *, workspace_id: str, channel_id: str, reply: Reply) -> str:
        """Post to a channel; returns the platform's message id."""
        ...

    async def update(
        self, *, workspace_id: str, conversation_id: str, message_id: str, reply: Reply
    ) -> None:
        """Replace a message the bot sent earlier."""
        ...


@runtime_checkable
class SentLookup(Protocol):
    """A messenger that can tell whether a tagged direct message already reached a person."""

    async def find_sent(self, *, workspace_id: str, user_id: str, tag: str) -> str | None:
        """The message id of the person's recent message carrying `tag`, if there is one."""
        ...
