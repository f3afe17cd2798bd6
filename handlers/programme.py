"""Taking part: the welcome, the answer to it, and a person's own preferences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from content_store.people import person_topics, set_chosen_topics, set_status, workspace_topics
from domain.errors import InvalidInput
from domain.events import EventType
from domain.networks import NETWORK_RULES, Network, parse_network
from domain.programme import Cadence, Consent, ProgrammeStatus
from domain.topics import parse_topics
from handlers.context import Caller, Services, load_caller, record_for, require_participant
from handlers.types import Actions, Actor, Button, Choice, ChoiceOption, Reply, Text
from messages import translate

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


def welcome_reply(locale: str) -> Reply:
    """The welcome text with 'I'm in', 'Maybe later' and 'No thanks'."""
    return Reply(
        blocks=(
            Text(translate("welcome.title", locale), heading=True),
            Text(translate("welcome.body", locale)),
            Text(translate("welcome.privacy", locale)),
            Actions(
                (
                    Button(translate("welcome.in", locale), "programme.answer", "in", "primary"),
                    Button(translate("welcome.later", locale), "programme.answer", "later"),
                    Button(translate("welcome.no", locale), "programme.answer", "no"),
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
        if await set_status(session, person=caller.person, status=status, now=services.clock.now()):
            await record_for(
                session,
                caller,
                event,
                at=services.clock.now(),
                payload={"after_reminder": prompted},
            )
        topics = await workspace_topics(session, workspace_id=caller.workspace.id)
    if status is ProgrammeStatus.IN:
        return _choose_reply(caller, topics)
    return Reply.text(translate(f"programme.answer.{answer}", caller.locale))


def _choose_reply(caller: Caller, topics: Sequence[str]) -> Reply:
    locale = caller.locale
    chosen = set(caller.person.networks)
    networks = tuple(
        ChoiceOption(rules.label, network.value, network.value in chosen)
        for network, rules in NETWORK_RULES.items()
    )
    blocks: list[Text | Choice] = [
        Text(translate("programme.answer.in", locale)),
        Choice("prefs.networks", translate("prefs.networks", locale), networks, multiple=True),
    ]
    if topics:
        options = tuple(ChoiceOption(f"#{slug}", slug) for slug in topics)
        blocks.append(
            Choice("prefs.topics", translate("prefs.topics", locale), options, multiple=True)
        )
    return Reply(blocks=tuple(blocks))


async def set_networks(services: Services, actor: Actor, names: Sequence[str]) -> Reply:
    """Choose the networks picks are prepared for."""
    networks = sorted({parse_network(name) for name in names}, key=list(Network).index)
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_participant(caller, while_paused=True)
        chosen = [network.value for network in networks]
        changed = caller.person.networks != chosen
        caller.person.networks = chosen
        if changed:  # a repeated click or a redelivered payload is not a new choice
            await record_for(
                session,
                caller,
                EventType.NETWORKS_CHOSEN,
                at=services.clock.now(),
                payload={"networks": caller.person.networks},
            )
    labels = ", ".join(NETWORK_RULES[n].label for n in networks) or "—"
    return Reply.text(translate("prefs.networks.saved", caller.locale, networks=labels))


async def set_topics(services: Services, actor: Actor, texts: Sequence[str]) -> Reply:
    """Choose the topics the person wants picks about."""
    slugs = parse_topics(texts)
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_participant(caller, while_paused=True)
        before, _ = await person_topics(session, person_id=caller.person.id)
        await set_chosen_topics(session, person=caller.person, slugs=slugs)
        if set(before) != set(slugs):
            await record_for(
                session,
                caller,
                EventType.TOPICS_CHOSEN,
                at=services.clock.now(),
                payload={"count": len(slugs)},
            )
    topics = " ".join(f"#{slug}" for slug in slugs) or "—"
    return Reply.text(translate("prefs.topics.saved", caller.locale, topics=topics))


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
    """How often picks come; 'paused' may carry an end date (snooze)."""
    today = services.clock.now().date()
    if paused_until is not None and (cadence is not Cadence.PAUSED or paused_until <= today):
        raise InvalidInput(
            "cadence.snooze", "A snooze needs the cadence 'paused' and a date in the future."
        )
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_participant(caller, while_paused=True)
        changed = (caller.person.cadence, caller.person.paused_until) != (cadence, paused_until)
        caller.person.cadence = cadence
        caller.person.paused_until = paused_until
        if changed:
            await record_for(
                session,
                caller,
                EventType.CADENCE_CHANGED,
                at=services.clock.now(),
                payload={"cadence": cadence.value, "snooze": paused_until is not None},
            )
    return Reply.text(translate(f"prefs.cadence.{cadence.value}", caller.locale))


async def set_consent(services: Services, actor: Actor, consent: Consent, *, given: bool) -> Reply:
    """Give or withdraw a consent; nothing is assumed until the person says so."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        field = "consent_spotlight" if consent is Consent.SPOTLIGHT else "consent_learn_style"
        changed = getattr(caller.person, field) != given
        setattr(caller.person, field, given)
        if changed:  # the Slack checkboxes send every consent, changed or not
            await record_for(
                session,
                caller,
                EventType.CONSENT_CHANGED,
                at=services.clock.now(),
                payload={"consent": consent.value, "given": given},
            )
    state = "on" if given else "off"
    return Reply.text(translate(f"prefs.consent.{consent.value}.{state}", caller.locale))


async def show_preferences(services: Services, actor: Actor) -> Reply:
    """The person's status, cadence, networks, topics and consents."""
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
