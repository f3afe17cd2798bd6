"""Property tests of choose_picks over random people and candidates."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.networks import Network
from picks import TOPIC_REASONS, Candidate, PersonProfile, choose_picks
from picks.ranking import in_window, suits_networks
from tests.picks.helpers import NOW

TOPICS = ["product", "culture", "events", "security", "hiring"]
topic_sets = st.frozensets(st.sampled_from(TOPICS), max_size=3)
network_sets = st.frozensets(st.sampled_from(list(Network)), max_size=2)
id_sets = st.frozensets(st.integers(0, 30), max_size=12)


@st.composite
def candidates(draw: st.DrawFn) -> Candidate:
    published_at = NOW + timedelta(hours=draw(st.integers(-24 * 40, 24 * 5)))
    lasts = draw(st.none() | st.integers(1, 24 * 60))
    return Candidate(
        content_id=draw(st.integers(0, 30)),
        topics=draw(topic_sets),
        networks=draw(network_sets),
        # Out-of-range priorities must be clamped, not crash.
        priority=draw(st.integers(-1, 5)),
        published_at=published_at,
        expires_at=None if lasts is None else published_at + timedelta(hours=lasts),
    )


people = st.builds(
    PersonProfile,
    chosen_topics=topic_sets,
    inferred_topics=st.dictionaries(st.sampled_from(TOPICS), st.floats(0, 1)),
    networks=network_sets,
    excluded_content_ids=id_sets,
    not_for_me_content_ids=id_sets,
    more_like_this_content_ids=id_sets,
    feedback_topics=st.dictionaries(st.sampled_from(TOPICS), st.integers(-3, 3).map(float)),
)
candidate_lists = st.lists(candidates(), max_size=25)
limits = st.integers(0, 6)
seeds = st.text(max_size=8)


def _offerable(person: PersonProfile, candidate: Candidate) -> bool:
    return (
        candidate.content_id not in person.excluded_content_ids
        and candidate.content_id not in person.not_for_me_content_ids
        and in_window(candidate, now=NOW)
        and suits_networks(candidate, person=person)
    )


def _first_of(items: list[Candidate]) -> dict[int, Candidate]:
    # choose_picks keeps the first of several candidates with the same content id.
    first: dict[int, Candidate] = {}
    for candidate in items:
        first.setdefault(candidate.content_id, candidate)
    return first


@given(person=people, items=candidate_lists, limit=limits, seed=seeds)
def test_picks_are_few_distinct_and_offerable(
    person: PersonProfile, items: list[Candidate], limit: int, seed: str
) -> None:
    picks = choose_picks(person=person, candidates=items, now=NOW, limit=limit, seed=seed)
    picked = [pick.content_id for pick in picks]
    assert len(picked) <= limit
    assert len(picked) == len(set(picked))
    first_of = _first_of(items)
    assert all(_offerable(person, first_of[content_id]) for content_id in picked)
    offerable = sum(_offerable(person, candidate) for candidate in first_of.values())
    assert len(picked) == min(limit, offerable)


@given(person=people, items=candidate_lists, seed=seeds)
def test_topic_reasons_name_a_topic_of_the_item(
    person: PersonProfile, items: list[Candidate], seed: str
) -> None:
    first_of = _first_of(items)
    for pick in choose_picks(person=person, candidates=items, now=NOW, seed=seed):
        if pick.reason.kind in TOPIC_REASONS:
            assert pick.reason.topic in first_of[pick.content_id].topics
        else:
            assert pick.reason.topic is None


@given(person=people, items=candidate_lists, limit=limits, seed=seeds)
def test_same_inputs_and_seed_give_the_same_picks(
    person: PersonProfile, items: list[Candidate], limit: int, seed: str
) -> None:
    def run(candidates: list[Candidate]) -> object:
        return choose_picks(person=person, candidates=candidates, now=NOW, limit=limit, seed=seed)

    assert run(items) == run(list(items))
    if len({candidate.content_id for candidate in items}) == len(items):
        assert run(items) == run(items[::-1])
