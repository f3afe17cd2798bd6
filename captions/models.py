"""What a caption writer is asked for and what it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from domain.networks import Network

CaptionSource = Literal["llm", "template", "editorial"]


@dataclass(frozen=True)
class CaptionRequest:
    """Everything a writer needs to suggest captions for one piece of content on one network.

    `link` is the tracked link that goes into the post (its length counts on Bluesky);
    `person_key` is stable per person so each person starts from their own suggestion;
    `style_examples` are the person's own past captions, passed only with their consent;
    `disclosure` (e.g. "(I work at Acme)") is appended to every caption when set;
    `avoid_openings` are the openings of the captions this person was just offered for their
    other picks, and `colleague_openings` those offered to colleagues for this item: phrasings
    to steer away from (first words only, never names or whole captions; see
    `captions.openings`). Templates avoid the first (their per-person order already spreads
    colleagues); the model is told to avoid both.
    """

    title: str
    description: str
    link: str
    topics: tuple[str, ...]
    network: Network
    locale: str = "en"
    person_key: str = ""
    editorial_caption: str | None = None
    style_examples: tuple[str, ...] = ()
    disclosure: str | None = None
    avoid_openings: tuple[str, ...] = ()
    colleague_openings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaptionSuggestion:
    """Distinct captions that each fit next to the link, and the one this person starts from.

    `variants` start with the content team's caption when there is one (offered to everyone),
    then this person's own; no two open with the same five words. `suggested` is the first
    variant and `source` tells where it came from.
    """

    variants: tuple[str, ...]
    suggested: str
    source: CaptionSource


class CaptionWriter(Protocol):
    """Anything that can suggest captions.

    `reads_colleague_openings` tells callers whether `CaptionRequest.colleague_openings` is
    used at all, so they need not query for them when it is not.
    """

    reads_colleague_openings: bool

    async def write(self, request: CaptionRequest) -> CaptionSuggestion:
        """Suggested captions for `request`."""
        ...
