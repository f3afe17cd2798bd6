"""CPU of template captions for 2,000 people, with the opening-word cache and without it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import captions.openings as ow
from captions import CaptionRequest, TemplateCaptionWriter
from domain.networks import Network

PEOPLE = 2000


def requests() -> Iterator[CaptionRequest]:
    """One weekly send's caption requests: three items, each person with their own order."""
    titles = ("Hiring at Contoso", "On call at Contoso: what the team did", "Our new office opens")
    avoided = ("Proud of what my team shipped this week", "In case you missed it: hiring")
    for number in range(PEOPLE):
        yield CaptionRequest(
            title=titles[number % len(titles)],
            description="What the team did this month.",
            link="https://x.example/l/abc",
            topics=("product",),
            network=Network.LINKEDIN,
            person_key=f"p{number}",
            avoid_openings=avoided,
        )


def cpu_seconds(writer: TemplateCaptionWriter) -> float:
    """CPU seconds to suggest every request once."""
    started = time.process_time()
    for request in requests():
        writer.suggest(request)
    return time.process_time() - started


def main() -> None:
    writer = TemplateCaptionWriter()
    cached = ow._opening_words
    for round_number in range(3):
        ow._opening_words = cached.__wrapped__  # type: ignore[assignment]
        without = cpu_seconds(writer)
        ow._opening_words = cached
        cached.cache_clear()
        with_cache = cpu_seconds(writer)
        print(
            f"round {round_number}: without the cache {without * 1000 / PEOPLE:.3f} ms a request,"
            f" with it {with_cache * 1000 / PEOPLE:.3f} ms, ratio {with_cache / without:.2f}"
        )


if __name__ == "__main__":
    main()
