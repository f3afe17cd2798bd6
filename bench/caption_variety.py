"""Benchmark: how alike the template captions are across 50 people, next to the uniform sausage.

For one item, every person gets a suggestion from the template writer (no model key: the
product most self-hosters run). The figure is the mean pairwise similarity (1 − normalised
Levenshtein distance, rapidfuzz) of the personal suggestions people start from, next to the same
figure when everyone gets the content team's caption, in both languages, with and without a
content-team caption, on LinkedIn (roomy) and X (tight). It also counts people offered two
variants opening with the same five words, and people whose three picks of one week open with
the same three words.

    .venv/bin/python -m bench.caption_variety --people 50
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from captions import CaptionRequest, CaptionSuggestion, TemplateCaptionWriter, avoidable_openings
from captions.fitting import fit_caption
from captions.openings import opening_words
from domain.networks import Network

WRITER = TemplateCaptionWriter()
LINK = "https://boost.example.org/r/xxxxxxxxxxxx"  # the length of a real tracked link
TITLE = "How we cut our Kubernetes bill by 40% without slowing releases"
DESCRIPTION = (
    "Our platform team moved every cluster to ARM nodes and right-sized every request. "
    "Here is what worked, what did not, and what we would do differently."
)
TOPICS = ("ai", "customer-stories", "kubernetes")
EDITORIAL = "Our platform team on how they cut the cloud bill by 40%, and what they would redo."
OTHER_TITLES = ("Our new office in Utrecht is open", "What we learned from 100 customer calls")


@dataclass(frozen=True)
class Row:
    """One scenario's figures."""

    scenario: str
    personal: float
    all_variants: float
    uniform: float
    distinct: int
    same_five_words: int
    same_week_opening: int


def _request(
    person: int, *, locale: str, network: Network, editorial: str | None
) -> CaptionRequest:
    return CaptionRequest(
        title=TITLE,
        description=DESCRIPTION,
        link=LINK,
        topics=TOPICS,
        network=network,
        locale=locale,
        person_key=f"1:{person}",
        editorial_caption=editorial,
    )


def mean_similarity(texts: Sequence[str]) -> float:
    """Mean of 1 − normalised Levenshtein distance over every pair of `texts`."""
    pairs = itertools.combinations(texts, 2)
    return statistics.fmean(Levenshtein.normalized_similarity(a, b) for a, b in pairs)


def _suggestions(
    people: int, *, locale: str, network: Network, editorial: str | None, title: str
) -> list[CaptionSuggestion]:
    """Each person's suggestion for the item (templates read no colleagues' openings)."""
    return [
        WRITER.suggest(
            dataclasses.replace(
                _request(person, locale=locale, network=network, editorial=editorial), title=title
            )
        )
        for person in range(people)
    ]


def _same_five_words(suggestion: CaptionSuggestion) -> bool:
    openings = [opening_words(variant) for variant in suggestion.variants]
    return len(set(openings)) < len(openings)


def _week_opens_alike(person: int, *, locale: str, network: Network) -> bool:
    """Three picks for one person in one week, each avoiding the openings of the ones before."""
    shown: list[str] = []
    for title in (TITLE, *OTHER_TITLES):
        request = dataclasses.replace(
            _request(person, locale=locale, network=network, editorial=None),
            title=title,
            avoid_openings=avoidable_openings(shown),
        )
        shown.append(WRITER.suggest(request).suggested)
    starts = [opening_words(text)[:3] for text in shown]
    return len(set(starts)) < len(starts)


def measure(
    people: int, *, locale: str, network: Network, editorial: str | None, title: str = TITLE
) -> Row:
    """The figures for one scenario."""
    suggestions = _suggestions(
        people, locale=locale, network=network, editorial=editorial, title=title
    )
    skip = 1 if editorial else 0  # the content team's caption is offered first, then personal
    personal = [s.variants[skip] for s in suggestions]
    variants = [s.variants[skip:] for s in suggestions]
    across = [
        Levenshtein.normalized_similarity(a, b)
        for first, second in itertools.combinations(variants, 2)
        for a in first
        for b in second
    ]
    team = fit_caption(EDITORIAL, network=network, link=LINK)
    return Row(
        scenario=f"{locale}, {'with' if editorial else 'without'} team caption, {network.value}",
        personal=mean_similarity(personal),
        all_variants=statistics.fmean(across),
        uniform=mean_similarity([team] * people),
        distinct=len(set(personal)),
        same_five_words=sum(_same_five_words(s) for s in suggestions),
        same_week_opening=sum(
            _week_opens_alike(person, locale=locale, network=network) for person in range(people)
        ),
    )


def main() -> None:
    """Print one table row per scenario."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--title", default=TITLE, help="the item's title (its length matters)")
    arguments = parser.parse_args()
    people = arguments.people
    print(
        "| scenario | personal suggestion | all personal variants | everyone gets the team's "
        "caption | distinct | people with 2 variants opening alike (5 words) | people whose "
        "week's 3 picks open alike (3 words) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for locale, editorial, network in itertools.product(
        ("en", "nl"), (None, EDITORIAL), (Network.LINKEDIN, Network.X)
    ):
        row = measure(
            people, locale=locale, network=network, editorial=editorial, title=arguments.title
        )
        print(
            f"| {row.scenario} | **{row.personal:.3f}** | {row.all_variants:.3f} | "
            f"{row.uniform:.3f} | {row.distinct}/{people} | {row.same_five_words} | "
            f"{row.same_week_opening} |"
        )


if __name__ == "__main__":
    main()
