"""Every button and input id the bot shows, in one place, and the neutral press of a button."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.networks import Network

# Buttons. A renderer may emit only these ids; `handlers.dispatch` has a row for each.
PROGRAMME_ANSWER = "programme.answer"
SHARE_PREFIX = "share."
SHARE_CONFIRM = "share.confirm"
# Post the caption through the person's connected account (LinkedIn, Bluesky).
SHARE_POST_NOW = "share.post_now"
# Plan that post for 09:00 tomorrow through the outbox, and cancel it before then.
SHARE_POST_LATER = "share.post_later"
SHARE_POST_CANCEL = "share.post_cancel"
ACCOUNTS_DISCONNECT = "accounts.disconnect"
# Buttons that open a web page (the composer, a download). Slack still reports the press.
SHARE_OPEN = "share.open"
OPEN_LINK = "link.open"
FEEDBACK_NOT_FOR_ME = "feedback.not_for_me"
FEEDBACK_MORE_LIKE_THIS = "feedback.more_like_this"
PREFS_SAVE = "prefs.save"
PRIVACY_EXPORT = "privacy.export"
PRIVACY_FORGET = "privacy.forget"
PRIVACY_ERASE = "privacy.erase"
CONTENT_APPROVE = "content.approve"
CONTENT_REJECT = "content.reject"
CONTENT_SAVE = "content.save"
CONTENT_CANCEL = "content.cancel"
PICKS_PERSONAL = "picks.personal"
TIPS_MANAGER = "tips.manager"
TIPS_CONTENT_TEAM = "tips.content_team"
INSIGHTS_TIPS = "insights.tips"
PROGRAMME_PAUSE_CONFIRM = "programme.pause.confirm"
PROGRAMME_RESUME_CONFIRM = "programme.resume.confirm"

# Inputs: what a person types or ticks; a button press carries every input of its message.
CAPTION_PREFIX = "caption:"
PREFS_NETWORKS = "prefs.networks"
PREFS_TOPICS = "prefs.topics"
PREFS_CADENCE = "prefs.cadence"
PREFS_CONSENTS = "prefs.consents"
PREFS_SNOOZE = "prefs.snooze"


def share_action(network: Network) -> str:
    """The id of the button sharing an item on `network`."""
    return f"{SHARE_PREFIX}{network.value}"


SHARE_ACTIONS = {share_action(network): network for network in Network}


def caption_input(content_id: int) -> str:
    """The id of the input holding one item's editable caption."""
    return f"{CAPTION_PREFIX}{content_id}"


class Surface(enum.StrEnum):
    """Where the pressed button was shown; it decides how an answer can appear."""

    MESSAGE = "message"  # a message in a conversation (a DM, a chat, a channel)
    EPHEMERAL = "ephemeral"  # a message only the person sees, which the bot cannot read back
    HOME = "home"  # the person's own page (Slack's Home tab)
    MODAL = "modal"  # a dialog opened for the person


@dataclass(frozen=True)
class Press:
    """A pressed button: its neutral id, its value, every input of its message, and where."""

    action_id: str
    value: str = ""
    inputs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    surface: Surface = Surface.MESSAGE

    def text(self, input_id: str) -> str | None:
        """The text typed into one input, or None when the message had no such input."""
        found = self.inputs.get(input_id)
        return found[0] if found else None

    def chosen(self, input_id: str) -> tuple[str, ...] | None:
        """The options ticked in one choice, or None when the message had no such choice."""
        return self.inputs.get(input_id)
