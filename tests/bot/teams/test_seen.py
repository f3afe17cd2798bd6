"""The per-process memory that spares a Teams message a lookup and a rewrite."""

from __future__ import annotations

from bot.teams.seen import Seen

REFERENCE = {"serviceUrl": "https://smba.example/", "conversation": {"id": "a:1"}}


def test_a_reference_counts_as_written_only_if_it_is_the_same_and_recent() -> None:
    seen = Seen()
    assert not seen.written_lately(1, "a:1", REFERENCE)
    seen.reference_written(1, "a:1", REFERENCE)
    assert seen.written_lately(1, "a:1", dict(reversed(list(REFERENCE.items()))))
    moved = {**REFERENCE, "serviceUrl": "https://smba.example/emea/"}
    assert not seen.written_lately(1, "a:1", moved)
    assert not seen.written_lately(2, "a:1", REFERENCE)
    assert not Seen(rewrite_seconds=0).written_lately(1, "a:1", REFERENCE)


def test_a_stale_memory_is_written_again() -> None:
    seen = Seen(rewrite_seconds=0)
    seen.reference_written(1, "a:1", REFERENCE)
    assert not seen.written_lately(1, "a:1", REFERENCE)


def test_leaving_a_conversation_forgets_its_reference() -> None:
    seen = Seen()
    seen.reference_written(1, "a:1", REFERENCE)
    seen.forget_conversation(1, "a:1")
    assert not seen.written_lately(1, "a:1", REFERENCE)


def test_people_are_remembered_with_their_workspace_and_the_memory_is_bounded() -> None:
    seen = Seen(limit=2)
    assert seen.workspace_of("tenant", "alex") is None
    seen.person_exists("tenant", "alex", workspace_id=7)
    seen.person_exists("tenant", "megan", workspace_id=7)
    assert seen.workspace_of("tenant", "alex") == 7
    seen.person_exists("tenant", "sam", workspace_id=7)  # over the bound: start afresh
    assert seen.workspace_of("tenant", "alex") is None
    assert seen.workspace_of("tenant", "sam") == 7
