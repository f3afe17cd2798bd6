"""The statistics cards read well: a title, networks by their own names, figures per language."""

from __future__ import annotations

from content_store.analytics.statistics import Funnel, ItemStats, ProgrammeFigures
from handlers.stats import item_stats_reply, programme_stats_reply
from handlers.types import Reply, Text


def _texts(reply: Reply) -> list[str]:
    return [block.text for block in reply.blocks if isinstance(block, Text)]


def _item(**changes: object) -> ItemStats:
    values: dict[str, object] = {
        "content_id": 5,
        "title": "Our launch",
        "topics": ("product",),
        "sent": 1,
        "opened": 1,
        "share_intents": 1,
        "confirmed": {"linkedin": 1, "x": 1234},
        "average_rewrite": 0.456,
        "clicks": 1,
        "same_text": 0,
    }
    return ItemStats(**(values | changes))  # type: ignore[arg-type]


def test_an_item_names_networks_by_their_display_names_and_formats_figures() -> None:
    english = "\n".join(_texts(item_stats_reply(_item(), "en")))
    assert "LinkedIn: 1, X: 1,234" in english and "linkedin" not in english
    assert "Sent to: 1 · opened: 1" in english and "46%" in english
    dutch = "\n".join(_texts(item_stats_reply(_item(), "nl")))
    assert "X: 1.234" in dutch and "Verstuurd aan: 1" in dutch


def test_the_programme_card_has_a_title() -> None:
    figures = ProgrammeFigures(
        people_by_status={"in": 1}, sharers=1, share_intents=1, confirmed_shares=1, clicks=1
    )
    reply = programme_stats_reply(figures, Funnel(1, 1, 1, 1), [], [], locale="nl")
    heading = reply.blocks[0]
    assert isinstance(heading, Text) and heading.heading
    assert heading.text == "Het programma tot nu toe"
