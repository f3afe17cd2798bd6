"""The kinds of interaction recorded in the event log."""

from __future__ import annotations

import enum


class EventType(enum.StrEnum):
    """What happened; the event log's `type` column holds these values."""

    INVITED = "invited"
    REMINDED = "reminded"
    OPTED_IN = "opted_in"
    OPTED_LATER = "opted_later"
    OPTED_OUT = "opted_out"
    TOPICS_CHOSEN = "topics_chosen"
    NETWORKS_CHOSEN = "networks_chosen"
    CADENCE_CHANGED = "cadence_changed"
    CONSENT_CHANGED = "consent_changed"
    PICKS_SHOWN = "picks_shown"
    SHARE_INTENT = "share_intent"
    SHARE_CONFIRMED = "share_confirmed"
    NOT_FOR_ME = "not_for_me"
    MORE_LIKE_THIS = "more_like_this"
    CONTENT_SUGGESTED = "content_suggested"
    HELP_ASKED = "help_asked"
    # A push from outside the bot (a campaign, a team meeting), logged by the content team.
    NUDGED_ELSEWHERE = "nudged_elsewhere"
    # The content team's own view of a person, anchoring the grouping (never shown to managers).
    MARKED = "marked"
    LINK_CLICKED = "link_clicked"
    DATA_EXPORTED = "data_exported"
    ACCOUNT_CONNECTED = "account_connected"
    ACCOUNT_DISCONNECTED = "account_disconnected"
