"""Taking part: the welcome, the answer to it, and a person's own preferences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.accounts import forget_accounts
from content_store.events import first_delivery
from content_store.models import Delivery, DeliveryItem, Feedback, Share
from content_store.people import person_topics, set_chosen_topics, set_status, workspace_topics
from domain.errors import InvalidInput
from domain.events import EventType
from domain.networks import NETWORK_RULES, Network, parse_network
from domain.programme import Cadence, Consent, ProgrammeStatus
from domain.topics import parse_topics
from handlers import actions
from handlers.actions import Press
from handlers.context import Caller, Services, load_caller, record_for, require_participant
from handlers.types import (
    Actions,
    Actor,
    Block,
    Button,
    Choice,
    ChoiceOption,
    DateInput,
    Reply,
    Text,
)
from handlers.weekly_picks import week_slot
from messages import format_day, translate

_ANSWER = actions.PROGRAMME_ANSWER
_ANSWERS = {
    "in": (ProgrammeStatus.IN, EventType.OPTED_IN),
    "later": (ProgrammeStatus.LATER, EventType.OPTED_LATER),
    "no": (ProgrammeStatus.NO, EventType.OPTED_OUT),
}


async def welcome(services: Services, actor: Actor) -> Reply:
    """The first message: what the programme is, what is recorded, and the three answers."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        if caller.person.invited_at is None:
            caller.person.invited_at = services.clock.now()
            await record_for(
                session,
                caller,
                EventType.INVITED,
                at=services.clock.now(),
            )
    return welcome_reply(caller.locale)


async def welcome_once(services: Services, actor: Actor) -> Reply | None:
    """The welcome for someone never asked, once, however many first contacts arrive at once
    (Slack may deliver several Home-opened events together; Teams an install and a message)."""
    now = services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        person = caller.person
        if person.invited_at is not None or person.status is not ProgrammeStatus.NOT_ASKED:
            return None
        once = f"welcome:{person.id}"
        if not await first_delivery(session, platform=actor.platform, event_id=once, now=now):
            return None
        person.invited_at = now
        await record_for(session, caller, EventType.INVITED, at=now)
    return welcome_reply(caller.locale)


def welcome_reply(locale: str) -> Reply:
    """The welcome text with 'I'm in', 'Maybe later' and 'No thanks'."""
    return Reply(
        blocks=(
            Text(translate("welcome.title", locale), heading=True),
            Text(translate("welcome.body", locale)),
            Text(translate("welcome.privacy", locale)),
            Actions(
                (
                    Button(translate("welcome.in", locale), _ANSWER, "in", "primary"),
                    Button(translate("welcome.later", locale), _ANSWER, "later"),
                    Button(translate("welcome.no", locale), _ANSWER, "no"),
                )
            ),
        )
    )


async def answer_invitation(services: Services, actor: Actor, answer: str) -> Reply:
    """Record 'in', 'later' or 'no'; saying it twice changes nothing more."""
    if answer not in _ANSWERS:
        raise InvalidInput(
            "programme.answer", "Answer with in, later or no (not '{answer}').", answer=answer[:20]
        )
    status, event = _ANSWERS[answer]
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        prompted = caller.person.reminded_at is not None
        # Answering counts as having been asked: no welcome follows an answer typed first.
        caller.person.invited_at = caller.person.invited_at or services.clock.now()
        if status is ProgrammeStatus.NO:
            # Someone who leaves takes their connected accounts with them: no tokens stay.
            await forget_accounts(session, person_id=caller.person.id)
        if await set_status(session, person=caller.person, status=status, now=services.clock.now()):
            await record_for(
                session,
                caller,
                event,
                at=services.clock.now(),
                payload={"after_reminder": prompted},
            )
        topics = await workspace_topics(session, workspace_id=caller.workspace.id)
        chosen, _ = await person_topics(session, person_id=caller.person.id)
    if status is ProgrammeStatus.IN:
        return _choose_reply(caller, topics, chosen)
    return Reply.text(translate(f"programme.answer.{answer}", caller.locale))


def _choose_reply(caller: Caller, topics: Sequence[str], chosen: frozenset[str]) -> Reply:
    """After "I'm in": networks and topics in one form with one Save (saved ones ticked)."""
    locale = caller.locale
    blocks: list[Block] = [
        Text(translate("programme.answer.in", locale)),
        _networks_choice(caller),
    ]
    fields = [actions.PREFS_NETWORKS]
    if topics or chosen:
        blocks.append(_topics_choice(topics, chosen, locale))
        fields.append(actions.PREFS_TOPICS)
    blocks.append(_save_row(fields, locale))
    return Reply(blocks=tuple(blocks))


def _networks_choice(caller: Caller) -> Choice:
    chosen = set(caller.person.networks)
    options = tuple(
        ChoiceOption(rules.label, network.value, network.value in chosen)
        for network, rules in NETWORK_RULES.items()
    )
    label = translate("prefs.networks", caller.locale)
    return Choice(actions.PREFS_NETWORKS, label, options, multiple=True)


def _topics_choice(topics: Sequence[str], chosen: frozenset[str], locale: str) -> Choice:
    options = tuple(
        ChoiceOption(f"#{slug}", slug, slug in chosen) for slug in sorted({*topics, *chosen})
    )
    return Choice(actions.PREFS_TOPICS, translate("prefs.topics", locale), options, multiple=True)


def _save_row(fields: Sequence[str], locale: str, *extra: Button) -> Actions:
    """The one Save of a preferences form; its value lists the inputs it saves, so an input
    left empty (nothing ticked) still counts as a choice."""
    save = Button(translate("prefs.save", locale), actions.PREFS_SAVE, ",".join(fields), "primary")
    return Actions((save, *extra))


async def preferences_form(services: Services, actor: Actor) -> Reply:
    """Everything a person can choose, in one form with one Save."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        chosen, _ = await person_topics(session, person_id=caller.person.id)
        topics = await workspace_topics(session, workspace_id=caller.workspace.id)
    locale = caller.locale
    if caller.person.status is not ProgrammeStatus.IN:
        return welcome_reply(locale)
    hint = "prefs.hint.home" if services.capabilities(actor.platform).home_surface else "prefs.hint"
    return Reply(
        blocks=(
            Text(translate("prefs.title", locale), heading=True),
            Text(translate(hint, locale)),
            *preference_inputs(caller, chosen, topics),
        )
    )


def preference_inputs(
    caller: Caller, chosen: frozenset[str], topics: Sequence[str]
) -> tuple[Block, ...]:
    """The choices of the preferences form and its Save and Leave buttons."""
    person, locale = caller.person, caller.locale
    cadences = tuple(
        ChoiceOption(translate(f"cadence.{c.value}", locale), c.value, c is person.cadence)
        for c in Cadence
    )
    consents = {
        Consent.SPOTLIGHT: person.consent_spotlight,
        Consent.LEARN_STYLE: person.consent_learn_style,
    }
    consent_options = tuple(
        ChoiceOption(translate(f"consent.{c.value}", locale), c.value, given)
        for c, given in consents.items()
    )
    leave = Button(translate("home.leave", locale), _ANSWER, "no", "danger")
    return (
        Choice(actions.PREFS_CADENCE, translate("home.cadence", locale), cadences),
        DateInput(actions.PREFS_SNOOZE, translate("prefs.snooze", locale), person.paused_until),
        _networks_choice(caller),
        _topics_choice(topics, chosen, locale),
        Choice(actions.PREFS_CONSENTS, translate("home.consents", locale), consent_options, True),
        _save_row(
            (
                actions.PREFS_CADENCE,
                actions.PREFS_SNOOZE,
                actions.PREFS_NETWORKS,
                actions.PREFS_TOPICS,
                actions.PREFS_CONSENTS,
            ),
            locale,
            leave,
        ),
    )


@dataclass(frozen=True)
class PreferenceChoices:
    """What a preferences form submitted; None for a field the form did not hold."""

    networks: Sequence[str] | None = None
    topics: Sequence[str] | None = None
    cadence: str | None = None
    snooze_until: str | None = None
    consents: Sequence[str] | None = None

    @classmethod
    def from_press(cls, press: Press) -> PreferenceChoices:
        """The choices a Save press carried; its value names the form's inputs."""
        fields = set(press.value.split(","))

        def get(input_id: str) -> tuple[str, ...] | None:
            return (press.chosen(input_id) or ()) if input_id in fields else None

        cadence, snooze = get(actions.PREFS_CADENCE), get(actions.PREFS_SNOOZE)
        return cls(
            networks=get(actions.PREFS_NETWORKS),
            topics=get(actions.PREFS_TOPICS),
            cadence=cadence[0] if cadence else None,
            snooze_until=(snooze[0] if snooze else "") if snooze is not None else None,
            consents=get(actions.PREFS_CONSENTS),
        )


async def save_preferences(services: Services, actor: Actor, choices: PreferenceChoices) -> Reply:
    """Save every field of a preferences form at once; one answer saying what is now set."""
    networks = _networks(choices.networks) if choices.networks is not None else None
    topics = parse_topics(choices.topics) if choices.topics is not None else None
    cadence = parse_cadence(choices.cadence) if choices.cadence is not None else None
    snooze = _snooze_date(choices.snooze_until, today=services.clock.now().date())
    lines: list[str] = []
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_participant(caller, while_paused=True)
        locale = caller.locale
        if networks is not None or topics is not None:
            await _forget_untouched_picks(session, services, caller)
        if networks is not None:
            await _apply_networks(session, services, caller, networks)
            labels = ", ".join(NETWORK_RULES[n].label for n in networks) or "—"
            lines.append(translate("prefs.networks.saved", locale, networks=labels))
        if topics is not None:
            await _apply_topics(session, services, caller, topics)
            shown = " ".join(f"#{slug}" for slug in topics) or "—"
            lines.append(translate("prefs.topics.saved", locale, topics=shown))
        if cadence is not None or choices.snooze_until is not None:
            cadence = cadence or caller.person.cadence
            until = snooze if choices.snooze_until is not None else caller.person.paused_until
            await _apply_cadence(session, services, caller, cadence, until)
            lines.append(_cadence_line(cadence, until, locale))
        if choices.consents is not None:
            for consent in Consent:
                given = consent.value in choices.consents
                await _apply_consent(session, services, caller, consent, given)
                state = "on" if given else "off"
                lines.append(translate(f"prefs.consent.{consent.value}.{state}", locale))
    return Reply.text("\n".join(lines) or translate("prefs.nothing", locale))


async def _forget_untouched_picks(
    session: AsyncSession, services: Services, caller: Caller
) -> None:
    """This week's picks, when only shown on request and not acted on, were chosen before
    these choices: forget them, so the next picks follow the new networks and topics.

    Picks already sent as a message stay what they are; so do picks someone shared or
    gave feedback on.
    """
    person_id = caller.person.id
    delivery = (
        await session.execute(
            select(Delivery).filter_by(
                person_id=person_id, slot=week_slot(caller, services), status="shown"
            )
        )
    ).scalar_one_or_none()
    if delivery is None:
        return
    items = select(DeliveryItem.content_id).where(DeliveryItem.delivery_id == delivery.id)
    for acted in (Share, Feedback):
        touched = select(acted.person_id).where(
            acted.person_id == person_id, acted.content_id.in_(items)
        )
        if (await session.execute(touched.limit(1))).first() is not None:
            return
    await session.delete(delivery)
    await session.flush()


def _networks(names: Sequence[str]) -> list[Network]:
    return sorted({parse_network(name) for name in names}, key=list(Network).index)


def _snooze_date(text: str | None, *, today: date) -> date | None:
    """A snooze end typed or picked as YYYY-MM-DD: empty means none, the past is refused."""
    if not text:
        return None
    try:
        until = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "cadence.snooze_date", "'{text}' is not a date like 2026-12-31.", text=text[:20]
        ) from None
    if until <= today:
        raise InvalidInput("cadence.snooze", "A snooze needs a date in the future.")
    return until


def _cadence_line(cadence: Cadence, until: date | None, locale: str) -> str:
    line = translate(f"prefs.cadence.{cadence.value}", locale)
    if until is None:
        return line
    return f"{line} " + translate("prefs.snoozed", locale, day=format_day(until, locale))


async def _apply_networks(
    session: AsyncSession, services: Services, caller: Caller, networks: Sequence[Network]
) -> None:
    chosen = [network.value for network in networks]
    if caller.person.networks == chosen:
        return  # a repeated click or a redelivered payload is not a new choice
    caller.person.networks = chosen
    await record_for(
        session,
        caller,
        EventType.NETWORKS_CHOSEN,
        at=services.clock.now(),
        payload={"networks": chosen},
    )


async def _apply_topics(
    session: AsyncSession, services: Services, caller: Caller, slugs: Sequence[str]
) -> None:
    before, _ = await person_topics(session, person_id=caller.person.id)
    await set_chosen_topics(session, person=caller.person, slugs=list(slugs))
    if set(before) != set(slugs):
        await record_for(
            session,
            caller,
            EventType.TOPICS_CHOSEN,
            at=services.clock.now(),
            payload={"count": len(slugs)},
        )


async def _apply_cadence(
    session: AsyncSession,
    services: Services,
    caller: Caller,
    cadence: Cadence,
    until: date | None,
) -> None:
    person = caller.person
    if (person.cadence, person.paused_until) == (cadence, until):
        return
    person.cadence, person.paused_until = cadence, until
    await record_for(
        session,
        caller,
        EventType.CADENCE_CHANGED,
        at=services.clock.now(),
        payload={"cadence": cadence.value, "snooze": until is not None},
    )


async def _apply_consent(
    session: AsyncSession, services: Services, caller: Caller, consent: Consent, given: bool
) -> None:
    field = "consent_spotlight" if consent is Consent.SPOTLIGHT else "consent_learn_style"
    if getattr(caller.person, field) == given:
        return
    setattr(caller.person, field, given)
    await record_for(
        session,
        caller,
        EventType.CONSENT_CHANGED,
        at=services.clock.now(),
        payload={"consent": consent.value, "given": given},
    )


async def set_networks(services: Services, actor: Actor, names: Sequence[str]) -> Reply:
    """Choose the networks picks are prepared for."""
    return await save_preferences(services, actor, PreferenceChoices(networks=names))


async def set_topics(services: Services, actor: Actor, texts: Sequence[str]) -> Reply:
    """Choose the topics the person wants picks about."""
    return await save_preferences(services, actor, PreferenceChoices(topics=texts))


def parse_cadence(text: str) -> Cadence:
    """The cadence named by `text`."""
    try:
        return Cadence(text.strip().lower())
    except ValueError:
        raise InvalidInput(
            "cadence.unknown",
            "'{cadence}' is not a cadence: use weekly, fortnightly, monthly or paused.",
            cadence=text[:20],
        ) from None


async def set_cadence(
    services: Services, actor: Actor, cadence: Cadence, *, paused_until: date | None = None
) -> Reply:
    """How often picks come; a date in the future snoozes them until that day."""
    choices = PreferenceChoices(
        cadence=cadence.value, snooze_until=paused_until.isoformat() if paused_until else ""
    )
    return await save_preferences(services, actor, choices)


async def pause_me(services: Services, actor: Actor, *, until: date | None) -> Reply:
    """'pause': no picks until the person resumes; 'pause until DAY': a snooze."""
    if until is None:
        return await set_cadence(services, actor, Cadence.PAUSED)
    async with services.db.session() as session:
        cadence = (await load_caller(session, actor, services)).person.cadence
    return await set_cadence(services, actor, cadence, paused_until=until)


async def resume_me(services: Services, actor: Actor) -> Reply:
    """'resume': picks again at the person's cadence (weekly if they had paused)."""
    async with services.db.session() as session:
        cadence = (await load_caller(session, actor, services)).person.cadence
    again = Cadence.WEEKLY if cadence is Cadence.PAUSED else cadence
    return await set_cadence(services, actor, again)


async def set_consent(services: Services, actor: Actor, consent: Consent, *, given: bool) -> Reply:
    """Give or withdraw a consent; nothing is assumed until the person says so."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        await _apply_consent(session, services, caller, consent, given)
    state = "on" if given else "off"
    return Reply.text(translate(f"prefs.consent.{consent.value}.{state}", caller.locale))


async def show_preferences(services: Services, actor: Actor) -> Reply:
    """The person's status, cadence, networks, topics and consents, as a summary."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        chosen, _ = await person_topics(session, person_id=caller.person.id)
    person, locale = caller.person, caller.locale
    yes, no = translate("word.yes", locale), translate("word.no", locale)
    summary = translate(
        "prefs.summary",
        locale,
        status=translate(f"status.{person.status.value}", locale),
        cadence=translate(f"cadence.{person.cadence.value}", locale),
        networks=", ".join(NETWORK_RULES[Network(n)].label for n in person.networks) or "—",
        topics=" ".join(f"#{slug}" for slug in sorted(chosen)) or "—",
        spotlight=yes if person.consent_spotlight else no,
        learn_style=yes if person.consent_learn_style else no,
    )
    return Reply(blocks=(Text(translate("prefs.title", locale), heading=True), Text(summary)))
