"""Opt-in, the answers to the welcome, and a person's own preferences."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from content_store.models import Event, Person
from domain.errors import InvalidInput
from domain.programme import Cadence, Consent, ProgrammeStatus
from handlers import programme
from handlers.context import Services
from handlers.types import Actions, Choice
from tests.factories import actor


async def _person(services: Services, user: str = "U1") -> Person:
    async with services.db.session() as session:
        return (await session.execute(select(Person).filter_by(external_id=user))).scalar_one()


async def _events(services: Services) -> list[str]:
    async with services.db.session() as session:
        return list((await session.execute(select(Event.type).order_by(Event.id))).scalars())


async def test_welcome_offers_three_answers_and_records_the_invitation(services: Services) -> None:
    reply = await programme.welcome(services, actor())
    buttons = [b for block in reply.blocks if isinstance(block, Actions) for b in block.buttons]
    assert [b.value for b in buttons] == ["in", "later", "no"]
    assert "voluntary" in " ".join(getattr(b, "text", "") for b in reply.blocks)
    await programme.welcome(services, actor())
    assert await _events(services) == ["invited"]
    assert (await _person(services)).status is ProgrammeStatus.NOT_ASKED


async def test_welcome_speaks_dutch_to_dutch_users(services: Services) -> None:
    reply = await programme.welcome(services, actor(locale="nl-NL"))
    assert "vrijwillig" in " ".join(getattr(b, "text", "") for b in reply.blocks)


async def test_opting_in_asks_for_networks_and_records_it_once(services: Services) -> None:
    reply = await programme.answer_invitation(services, actor(), "in")
    await programme.answer_invitation(services, actor(), "in")
    assert any(isinstance(b, Choice) and b.action_id == "prefs.networks" for b in reply.blocks)
    assert (await _person(services)).status is ProgrammeStatus.IN
    assert await _events(services) == ["opted_in"]


async def test_no_thanks_is_kept_and_preferences_are_refused(services: Services) -> None:
    await programme.answer_invitation(services, actor(), "no")
    assert (await _person(services)).status is ProgrammeStatus.NO
    with pytest.raises(InvalidInput) as refused:
        await programme.set_topics(services, actor(), ["#product"])
    assert refused.value.code == "programme.not_in"


async def test_unknown_answer_is_refused_without_writing(services: Services) -> None:
    with pytest.raises(InvalidInput, match="in, later or no"):
        await programme.answer_invitation(services, actor(), "maybe")
    assert await _events(services) == []


async def test_topics_and_networks_are_saved(services: Services) -> None:
    await programme.answer_invitation(services, actor(), "in")
    await programme.set_topics(services, actor(), ["#Product", "careers", "#product"])
    await programme.set_networks(services, actor(), ["twitter", "LinkedIn"])
    reply = await programme.show_preferences(services, actor())
    summary = reply.blocks[1].text  # type: ignore[union-attr]
    assert "#careers #product" in summary
    assert "LinkedIn, X" in summary


async def test_bad_topic_and_network_name_the_problem(services: Services) -> None:
    await programme.answer_invitation(services, actor(), "in")
    with pytest.raises(InvalidInput, match="'#no spaces' is not a topic"):
        await programme.set_topics(services, actor(), ["#no spaces"])
    with pytest.raises(InvalidInput, match="Unknown network 'myspace'"):
        await programme.set_networks(services, actor(), ["myspace"])


async def test_a_snooze_needs_a_future_date_and_keeps_the_cadence(services: Services) -> None:
    await programme.answer_invitation(services, actor(), "in")
    with pytest.raises(InvalidInput) as refused:
        await programme.set_cadence(
            services, actor(), Cadence.WEEKLY, paused_until=date(2026, 11, 16)
        )
    assert refused.value.code == "cadence.snooze"
    await programme.set_cadence(services, actor(), Cadence.MONTHLY, paused_until=date(2027, 1, 1))
    person = await _person(services)
    assert (person.cadence, person.paused_until) == (Cadence.MONTHLY, date(2027, 1, 1))


async def test_consents_start_off_and_follow_the_person(services: Services) -> None:
    await programme.welcome(services, actor())
    assert not (await _person(services)).consent_spotlight
    await programme.set_consent(services, actor(), Consent.SPOTLIGHT, given=True)
    assert (await _person(services)).consent_spotlight
    await programme.set_consent(services, actor(), Consent.SPOTLIGHT, given=False)
    assert not (await _person(services)).consent_spotlight


async def test_saving_the_same_preferences_again_records_no_new_event(services: Services) -> None:
    """Regression: every save used to log a change, and a consent click logged both consents."""
    you = actor("U1")
    await programme.answer_invitation(services, you, "in")
    for _ in range(2):
        await programme.set_networks(services, you, ["x", "linkedin"])
        await programme.set_topics(services, you, ["#product"])
        await programme.set_cadence(services, you, Cadence.MONTHLY)
        await programme.set_consent(services, you, Consent.SPOTLIGHT, given=True)
        await programme.set_consent(services, you, Consent.LEARN_STYLE, given=False)
    events = await _events(services)
    for kind in ("networks_chosen", "topics_chosen", "cadence_changed", "consent_changed"):
        assert events.count(kind) == 1, kind
