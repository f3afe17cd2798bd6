"""Example-based tests of choose_picks: relevance, feedback, variety, filters and reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.networks import Network
from picks import Candidate, PersonProfile, PickReason, ReasonKind, choose_picks, reason_key
from tests.picks.helpers import NOW, item

NOBODY = PersonProfile()


def ids(
    person: PersonProfile, candidates: list[Candidate], *, limit: int = 3, seed: str = "s"
) -> list[int]:
    return [
        pick.content_id
        for pick in choose_picks(
            person=person, candidates=candidates, now=NOW, limit=limit, seed=seed
        )
    ]


def test_chosen_topic_beats_fresh_top_priority_unrelated_item() -> None:
    person = PersonProfile(chosen_topics=frozenset({"product"}))
    candidates = [item(1, "culture", priority=3), item(2, "product", age_days=10)]
    [pick] = choose_picks(person=person, candidates=candidates, now=NOW, limit=1, seed="s")
    assert pick.content_id == 2
    assert pick.reason == PickReason(ReasonKind.CHOSEN_TOPIC, "product")


def test_inferred_topic_beats_unrelated_item() -> None:
    person = PersonProfile(inferred_topics={"events": 0.8})
    assert ids(person, [item(1, "culture"), item(2, "events")], limit=1) == [2]


def test_not_for_me_topic_is_damped() -> None:
    person = PersonProfile(feedback_topics={"culture": -1.0})
    for seed in map(str, range(20)):
        assert ids(person, [item(1, "culture"), item(2, "events")], limit=1, seed=seed) == [2]


def test_not_for_me_damps_even_a_chosen_topic_against_another_chosen_one() -> None:
    person = PersonProfile(
        chosen_topics=frozenset({"culture", "events"}), feedback_topics={"culture": -2.0}
    )
    assert ids(person, [item(1, "culture"), item(2, "events")], limit=1) == [2]


def test_not_for_me_item_is_never_offered_and_damps_its_topics_without_feedback_map() -> None:
    person = PersonProfile(not_for_me_content_ids=frozenset({3}))
    candidates = [item(1, "culture"), item(2, "events"), item(3, "culture")]
    for seed in map(str, range(20)):
        assert ids(person, candidates, limit=1, seed=seed) == [2]
    assert 3 not in ids(person, candidates)


def test_more_like_this_topic_boosts() -> None:
    person = PersonProfile(feedback_topics={"launch": 1.0})
    candidates = [item(1, "culture"), item(2, "launch", age_days=3)]
    [pick] = choose_picks(person=person, candidates=candidates, now=NOW, limit=1, seed="s")
    assert pick.content_id == 2
    assert pick.reason == PickReason(ReasonKind.MORE_LIKE_THIS, "launch")


def test_more_like_this_items_boost_their_topics_without_feedback_map() -> None:
    person = PersonProfile(
        more_like_this_content_ids=frozenset({9}), excluded_content_ids=frozenset({9})
    )
    candidates = [item(1, "culture"), item(2, "launch", age_days=3), item(9, "launch")]
    assert ids(person, candidates, limit=1) == [2]


def test_variety_brings_in_another_topic_of_slightly_lower_fit() -> None:
    person = PersonProfile(chosen_topics=frozenset({"product"}), inferred_topics={"culture": 0.9})
    candidates = [item(n, "product") for n in range(1, 6)] + [item(6, "culture")]
    for seed in map(str, range(20)):
        picks = ids(person, candidates, seed=seed)
        assert len(picks) == 3
        assert 6 in picks


def test_variety_still_fills_every_slot_when_all_items_share_a_topic() -> None:
    person = PersonProfile(chosen_topics=frozenset({"product"}))
    assert len(ids(person, [item(n, "product") for n in range(1, 6)])) == 3


def test_irrelevant_topic_does_not_displace_relevant_picks() -> None:
    # Variety must not hand a slot to something the person has no link to at all.
    person = PersonProfile(chosen_topics=frozenset({"product", "security"}))
    candidates = [item(1, "product"), item(2, "product"), item(3, "security"), item(4, "sports")]
    assert sorted(ids(person, candidates)) == [1, 2, 3]


def test_person_without_topics_gets_the_freshest_items() -> None:
    candidates = [item(n, "product", age_days=n * 3) for n in range(1, 7)]
    picks = choose_picks(person=NOBODY, candidates=candidates, now=NOW, seed="s")
    assert [pick.content_id for pick in picks] == [1, 2, 3]
    assert all(pick.reason == PickReason(ReasonKind.FRESH) for pick in picks)


def test_person_without_topics_gets_top_priority_with_priority_reason() -> None:
    candidates = [item(1, age_days=1), item(2, age_days=3, priority=3)]
    [pick] = choose_picks(person=NOBODY, candidates=candidates, now=NOW, limit=1, seed="s")
    assert pick.content_id == 2
    assert pick.reason == PickReason(ReasonKind.PRIORITY)


def test_old_normal_item_without_fit_is_offered_to_discover() -> None:
    [pick] = choose_picks(person=NOBODY, candidates=[item(1, age_days=60)], now=NOW, seed="s")
    assert pick.reason == PickReason(ReasonKind.DISCOVER)


def test_priority_breaks_ties_among_equal_items() -> None:
    person = PersonProfile(chosen_topics=frozenset({"product"}))
    candidates = [item(1, "product", age_days=2), item(2, "product", age_days=2, priority=1)]
    for seed in map(str, range(20)):
        assert ids(person, candidates, limit=1, seed=seed) == [2]


def test_different_seeds_reorder_exact_ties() -> None:
    candidates = [item(n, "product") for n in range(1, 11)]
    firsts = {ids(NOBODY, candidates, limit=1, seed=str(seed))[0] for seed in range(30)}
    assert len(firsts) > 1


def test_network_filter_drops_items_for_networks_the_person_does_not_use() -> None:
    person = PersonProfile(networks=frozenset({Network.X}))
    candidates = [
        item(1, networks={Network.LINKEDIN}),
        item(2, networks={Network.LINKEDIN, Network.X}),
        item(3),
    ]
    assert sorted(ids(person, candidates)) == [2, 3]
    assert sorted(ids(NOBODY, candidates)) == [1, 2, 3]


def test_publish_window_is_respected() -> None:
    candidates = [
        item(1, age_days=-1),
        item(2, expires_at=NOW),
        item(3, expires_at=NOW + timedelta(seconds=1)),
        item(4, age_days=0),
    ]
    assert sorted(ids(NOBODY, candidates)) == [3, 4]


def test_rarest_chosen_topic_is_named_when_several_match() -> None:
    person = PersonProfile(chosen_topics=frozenset({"product", "security"}))
    candidates = [item(1, "product", "security")] + [
        item(n, "product", age_days=30) for n in range(2, 5)
    ]
    [pick] = choose_picks(person=person, candidates=candidates, now=NOW, limit=1, seed="s")
    assert pick.reason == PickReason(ReasonKind.CHOSEN_TOPIC, "security")


def test_alphabetical_chosen_topic_is_named_when_equally_rare() -> None:
    person = PersonProfile(chosen_topics=frozenset({"zebra", "alpha"}))
    [pick] = choose_picks(person=person, candidates=[item(1, "zebra", "alpha")], now=NOW, seed="s")
    assert pick.reason == PickReason(ReasonKind.CHOSEN_TOPIC, "alpha")


def test_heaviest_inferred_topic_is_named() -> None:
    person = PersonProfile(inferred_topics={"events": 0.9, "culture": 0.7})
    [pick] = choose_picks(
        person=person, candidates=[item(1, "culture", "events")], now=NOW, seed="s"
    )
    assert pick.reason == PickReason(ReasonKind.INFERRED_TOPIC, "events")


def test_limit_bounds_the_picks() -> None:
    candidates = [item(n) for n in range(1, 6)]
    assert ids(NOBODY, candidates, limit=0) == []
    assert len(ids(NOBODY, candidates, limit=5)) == 5
    assert len(ids(NOBODY, candidates, limit=9)) == 5
    with pytest.raises(ValueError, match="limit"):
        ids(NOBODY, candidates, limit=-1)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="now"):
        choose_picks(person=NOBODY, candidates=[], now=NOW.replace(tzinfo=None), seed="s")
    with pytest.raises(ValueError, match="published_at"):
        replace(item(1), published_at=NOW.replace(tzinfo=None))


def test_duplicate_content_ids_are_offered_once() -> None:
    assert ids(NOBODY, [item(1), item(1, age_days=3), item(2)]) in ([1, 2], [2, 1])


@pytest.mark.parametrize("kind", list(ReasonKind))
def test_reason_key_names_the_catalog_entry(kind: ReasonKind) -> None:
    assert reason_key(PickReason(kind, "product")) == f"pick.reason.{kind.value}"


def test_six_weeks_never_offer_an_item_twice() -> None:
    topics = ["product", "culture", "events", "security", "hiring"]
    # Items keep arriving: some are published later, some expire along the way.
    candidates = [
        replace(
            item(n, topics[n % 5], topics[(n * 2) % 5], priority=n % 4),
            published_at=NOW + timedelta(days=n % 21 - 14),
            expires_at=NOW + timedelta(days=30 + n) if n % 3 == 0 else None,
        )
        for n in range(1, 31)
    ]
    person = PersonProfile(chosen_topics=frozenset({"product"}), inferred_topics={"events": 0.5})
    offered: list[int] = []
    for week in range(6):
        now = NOW + timedelta(weeks=week)
        picks = choose_picks(person=person, candidates=candidates, now=now, seed=f"p1:{week}")
        assert len(picks) == 3
        offered += [pick.content_id for pick in picks]
        person = replace(person, excluded_content_ids=person.excluded_content_ids | set(offered))
    assert len(offered) == len(set(offered)) == 18
