"""A week of Social Boost in one Slack workspace, for a dozen people, through the real server.

Twelve people — an admin, a content team member, two managers with their teams (from an org
chart import), employees, one of them Dutch, and one who says no and later erases her data —
use the app as they would in Slack: they open Home, answer the welcome, choose networks and
topics, get the weekly picks, share in their own words from the DM, the channel, the Home tab
and `/boost`, give feedback, ask for tips, suggest content, and get the Friday digest and the
next Monday's reminder. Every press is a signed Slack request over HTTP against the strict
fake Slack; every answer is checked for what it says, not only that it came.

The steps are tests in order and share one workspace (per database); each defect of issue 13
has its own step, so a regression names the item that came back.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from captions import TemplateCaptionWriter
from content_store.models import ContentCaption, ContentItem, Person, Share
from domain.programme import Cadence, ProgrammeStatus
from handlers.context import Services
from links.fetcher import FetchPolicy
from messages import translate
from tests.bot.slack.conftest import Pages, _page
from tests.bot.slack.slack_user import Outcome, SlackUser, Surface
from tests.bot.slack.world import SlackWorld, slack_world
from tests.conftest import PLATFORM_CAPABILITIES, FakeClock, _migrated, empty_tables
from tests.factories import WORKSPACE

# Its tests are the days of one week, in order, on one module-wide workspace. pytest-xdist keeps
# neither the order nor the module's fixture between them (measured: a later day ran first, on a
# fresh workspace), so `make test` runs them in a process of their own.
pytestmark = pytest.mark.serial

MONDAY = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
CHANNEL = ("C0BOOST", "social-boost")
# Never a sensible answer to a press.
ERRORS = ("slack.failed", "error.unavailable")


@dataclass(frozen=True)
class Member:
    key: str
    user_id: str
    email: str
    locale: str = "en-US"
    tz: str = "Europe/Amsterdam"
    manager: str = ""
    team: str = "Engineering"
    roles: str = ""


CAST = (
    Member("ada", "UADA", "ada@example.com", team="Board", roles="admin"),
    Member("cas", "UCAS", "cas@example.com", "en-GB", "Europe/London", "ada", "Comms", "content"),
    Member("mia", "UMIA", "mia@example.com", manager="ada", roles="manager"),
    Member("max", "UMAX", "max@example.com", tz="America/New_York", manager="ada", roles="manager"),
    Member("ann", "UANN", "ann@example.com", manager="mia"),
    Member("ben", "UBEN", "ben@example.com", manager="mia"),
    Member("chloe", "UCHLOE", "chloe@example.com", manager="mia"),
    Member("dan", "UDAN", "dan@example.com", manager="mia"),
    Member("eve", "UEVE", "eve@example.com", manager="mia"),
    Member("nora", "UNORA", "nora@example.com", manager="mia"),
    Member("fay", "UFAY", "fay@example.com", manager="max", team="Sales"),
    Member("daan", "UDAAN", "daan@example.com", "nl-NL", manager="max", team="Sales"),
)
JOINERS = ("cas", "mia", "ann", "ben", "chloe", "dan", "eve", "fay", "daan")
ITEMS = (("launch", "product"), ("platform", "engineering"), ("hiring", "culture"))


@dataclass
class Week:
    world: SlackWorld
    services: Services
    clock: FakeClock
    pages: Pages
    database_url: str
    people: dict[str, SlackUser] = field(default_factory=dict)

    def __getitem__(self, key: str) -> SlackUser:
        return self.people[key]

    def locale(self, key: str) -> str:
        return "nl" if key == "daan" else "en"

    def says(self, key: str, message: str, **params: Any) -> str:
        """The text `key` reads for a message, in their language."""
        return translate(message, self.locale(key), **params)


def sensible(outcome: Outcome) -> Outcome:
    """A press got an answer the person can see, and it is not an error."""
    outcome.answered()
    text = outcome.text()
    for key in ERRORS:
        assert translate(key, "en") not in text and translate(key, "nl") not in text, text
    assert "I don't know the command" not in text, text
    return outcome


def _cards(surface: Surface) -> list[str]:
    ids = [b.block_id.split(":")[1] for b in surface.buttons() if b.block_id.startswith("card:")]
    return list(dict.fromkeys(ids))


def _share_button(surface: Surface, item: str, network_label: str) -> Any:
    return next(
        b
        for b in surface.buttons()
        if b.block_id.startswith(f"card:{item}") and b.label.endswith(network_label)
    )


async def _person(week: Week, external_id: str) -> Person | None:
    async with week.services.db.session() as session:
        query = select(Person).filter_by(external_id=external_id)
        return (await session.execute(query)).scalar_one_or_none()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def week(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Week]:
    """One workspace for the whole week, on each database in turn."""
    db = await _migrated(request.param, tmp_path_factory.mktemp("week"))
    await empty_tables(db)
    clock = FakeClock(MONDAY)
    services = Services(
        db=db,
        captions=TemplateCaptionWriter(),
        public_base_url="https://boost.example.org",
        clock=clock,
        fetch_policy=FetchPolicy(allow_loopback=True, timeout_seconds=5.0),
        platforms=PLATFORM_CAPABILITIES,
    )
    site = web.Application()
    site.router.add_get("/{tail:.*}", _page)
    server = TestServer(site, host="127.0.0.1")
    await server.start_server()
    try:
        async with slack_world(services, team_id=WORKSPACE) as world:
            world.fake.add_channel(*CHANNEL, members=tuple(m.user_id for m in CAST))
            url = db.engine.url.render_as_string(hide_password=False)
            yield Week(world, services, clock, Pages(server), url)
    finally:
        await server.close()


# ================================================================ Monday


async def test_mon_01_the_admin_imports_the_org_chart(week: Week, tmp_path: Path) -> None:
    emails = {m.key: m.email for m in CAST}
    rows = [
        f"{m.email},{m.key.title()},{emails.get(m.manager, '')},{m.team},{m.roles}" for m in CAST
    ]
    chart = tmp_path / "people.csv"
    chart.write_text("email,name,manager_email,team,roles\n" + "\n".join(rows) + "\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SLACK_"))}
    env["DATABASE_URL"] = week.database_url
    binary = Path(sys.executable).parent / "socialboost"
    args = ("people", "import", str(chart), "--platform", "slack", "--workspace", WORKSPACE)
    process = await asyncio.create_subprocess_exec(
        str(binary), *args, env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    _, output = await asyncio.wait_for(process.communicate(), timeout=120)

    assert process.returncode == 0, output.decode()
    assert "Imported 12 people" in output.decode()
    for member in CAST:
        week.people[member.key] = week.world.person(
            member.user_id,
            name=member.key,
            email=member.email,
            locale=member.locale,
            tz=member.tz,
        )


async def test_mon_02_the_admin_has_her_powers_and_an_employee_has_not(week: Week) -> None:
    helped = sensible(await week["ada"].command("help"))
    listed = sensible(await week["ada"].command("list"))
    refused = sensible(await week["ben"].command("list"))

    assert translate("help.role", "en") in helped.text()
    assert translate("content.list.empty", "en") in listed.text()
    assert translate("error.role.missing", "en", role="content") in refused.text()


async def test_mon_03_the_content_team_adds_the_weeks_items(week: Week) -> None:
    cas = week["cas"]
    for slug, topic in ITEMS:
        caption = f"Our {slug} news, worth a read."
        asked = await cas.command(f'add {week.pages.url("/" + slug)} #{topic} caption "{caption}"')
        preview = sensible(asked).latest
        assert preview is not None and preview.has(f"Page {slug}") and preview.has(f"#{topic}")
        saved = sensible(await cas.press(preview.button(translate("content.preview.save", "en"))))
        assert f"Page {slug}" in saved.text() and cas.modals() == []
    async with week.services.db.session() as session:
        titles = (await session.execute(select(ContentItem.title))).scalars().all()
    assert sorted(titles) == sorted(f"Page {slug}" for slug, _ in ITEMS)


async def test_mon_04_an_employee_cannot_add_content_and_sees_no_modal(week: Week) -> None:
    tried = sensible(await week["ben"].command(f"add {week.pages.url('/mine')} #product"))

    assert "views.open" not in tried.methods()
    assert translate("error.role.missing", "en", role="content") in tried.text()


async def test_mon_05_the_content_team_writes_fish_and_chips(week: Week) -> None:
    async with week.services.db.session() as session:
        query = select(ContentItem.id).where(ContentItem.title == "Page hiring")
        item = (await session.execute(query)).scalar_one()
    sensible(await week["cas"].command(f'edit {item} caption "Fish & chips for <everyone>"'))

    async with week.services.db.session() as session:
        texts = select(ContentCaption.text).where(ContentCaption.content_id == item)
        captions = set((await session.execute(texts)).scalars())
    assert captions == {"Fish & chips for <everyone>"}


async def test_mon_05_the_content_team_adds_an_item_with_a_long_caption(week: Week) -> None:
    cas = week["cas"]
    caption = ("A long and careful caption. " * 26).strip()
    asked = await cas.command(f'add {week.pages.url("/report")} #culture caption "{caption}"')

    preview = sensible(asked).latest
    assert preview is not None and preview.has(caption[:40]), asked.text()
    sensible(await cas.press(preview.button(translate("content.preview.save", "en"))))


async def test_mon_06_the_admin_posts_picks_to_a_channel_too(week: Week) -> None:
    chosen = sensible(await week["ada"].command("channel #social-boost"))

    assert translate("channel.saved", "en", channel="#social-boost") in chosen.text()


async def test_mon_07_the_admin_sees_the_channel_by_name(week: Week) -> None:
    shown = sensible(await week["ada"].command("channel"))

    assert "#social-boost" in shown.text() and CHANNEL[0] not in shown.text()


async def test_mon_08_the_content_member_joins_by_command(week: Week) -> None:
    joined = sensible(await week["cas"].command("in"))

    assert translate("programme.answer.in", "en") in joined.text()


async def test_mon_09_who_joined_by_command_is_not_invited_again(week: Week) -> None:
    opened = await week["cas"].open_home()

    assert opened.kinds() == ["home"]
    assert week.world.fake.sent_to("UCAS") == []


async def test_mon_10_everyone_else_opens_home_and_is_welcomed(week: Week) -> None:
    for member in CAST:
        if member.key == "cas":
            continue
        person = week[member.key]
        opened = sensible(await person.open_home())
        welcome = person.dm()
        assert opened.kinds() == ["home", "message"]
        assert welcome.has(week.says(member.key, "welcome.title"))
        assert welcome.button(week.says(member.key, "welcome.in"))
        assert person.home().button(week.says(member.key, "welcome.no"))
    assert "vrijwillig" in week["daan"].dm().visible_text()


async def test_mon_11_people_answer_the_welcome(week: Week) -> None:
    answers = {key: "welcome.in" for key in JOINERS if key != "cas"}
    answers |= {"max": "welcome.later", "nora": "welcome.no"}
    replies = {"welcome.in": "in", "welcome.later": "later", "welcome.no": "no"}
    for key, label in answers.items():
        person = week[key]
        welcome = person.dm()
        answered = sensible(await person.press(welcome.button(week.says(key, label))))
        assert answered.kinds() == ["message"] and answered.latest is not None
        assert answered.latest.key == welcome.key  # the welcome is replaced by the answer
        assert week.says(key, f"programme.answer.{replies[label]}") in answered.text()
    statuses = {key: (await _person(week, week[key].user_id)) for key in answers}
    assert {k: p.status for k, p in statuses.items() if p} == {
        key: ProgrammeStatus.IN if label == "welcome.in" else ProgrammeStatus(replies[label])
        for key, label in answers.items()
    }


async def test_mon_12_joiners_choose_networks_and_topics(week: Week) -> None:
    choices = {
        "ann": (["linkedin", "bluesky"], ["product"]),
        "ben": (["linkedin"], ["engineering"]),
        "chloe": (["linkedin", "x"], ["culture", "product"]),
        "dan": (["linkedin"], ["engineering"]),
        "eve": (["bluesky"], ["product"]),
        "fay": (["linkedin", "facebook"], ["product"]),
        "daan": (["linkedin"], ["engineering", "culture"]),
        "mia": (["linkedin"], ["culture"]),
    }
    for key, (networks, topics) in choices.items():
        person = week[key]
        reply = person.dm()
        await person.choose(reply.control(week.says(key, "prefs.networks")), *networks)
        await person.choose(reply.control(week.says(key, "prefs.topics")), *topics)
        # One Save keeps both: what was ticked above it is never lost.
        saved = sensible(await person.press(reply.button(week.says(key, "prefs.save"))))
        assert week.says(key, "prefs.networks.saved", networks="").rstrip(".") in saved.text()
        assert all(f"#{topic}" in saved.text() for topic in topics)
        stored = await _person(week, person.user_id)
        assert stored is not None and stored.networks == networks


async def test_mon_13_the_weekly_picks_arrive_in_dms_and_the_channel(week: Week) -> None:
    queued = await week.world.send_picks()

    # Cas saw this week's picks on her Home tab on Monday morning: they count as delivered.
    assert queued == len(JOINERS) - 1
    for key in JOINERS[1:]:
        picks = week[key].dm()
        assert picks.has(week.says(key, "picks.title")), (key, picks.describe())
        assert 1 <= len(_cards(picks)) <= 3
    assert week["daan"].dm().has(translate("picks.share_on", "nl", network="LinkedIn"))
    for key in ("max", "nora", "ada"):
        assert not week[key].dm().has(translate("picks.title", "en"))
    (posted,) = week["ann"].channel_messages(CHANNEL[0])
    mine = [b for b in posted.buttons() if b.label == translate("channel.mine", "en")]
    assert mine  # one per item of the channel's picks


async def test_mon_14_ann_shares_from_her_dm_in_her_own_words(week: Week) -> None:
    ann = week["ann"]
    picks = ann.dm()
    item = _cards(picks)[0]
    ann.type(picks.input(f"caption:{item}"), "Proud of this launch — in my own words.")

    shared = sensible(await ann.press(_share_button(picks, item, "LinkedIn")))

    panel = shared.latest
    assert panel is not None and panel.key == picks.key
    assert panel.has("Proud of this launch — in my own words.")
    opener = panel.button(translate("share.open", "en", network="LinkedIn"))
    assert (opener.url or "").startswith("https://www.linkedin.com/")
    assert "boost.example.org%2Fr%2F" in (opener.url or "")
    assert len(_cards(panel)) == len(_cards(picks)) - 1  # the other picks stay


async def test_mon_15_ann_confirms_she_posted_it(week: Week) -> None:
    ann = week["ann"]

    thanked = sensible(await ann.press(ann.dm().button(translate("share.confirm", "en"))))

    assert translate("share.confirmed", "en", networks="LinkedIn") in thanked.text()
    # The item stays, now offering only Bluesky, the other network Ann chose.
    assert thanked.latest is not None
    assert thanked.latest.has(translate("picks.share_on", "en", network="Bluesky"))


# ================================================================ Tuesday


async def test_tue_16_ben_asks_for_his_picks_with_the_command(week: Week) -> None:
    week.clock.advance(days=1)

    shown = sensible(await week["ben"].command(""))

    assert shown.kinds() == ["ephemeral"] and shown.latest is not None
    assert shown.latest.has(translate("picks.title", "en"))
    assert len(_cards(shown.latest)) >= 2


async def test_tue_17_ben_shares_from_the_ephemeral_picks_and_keeps_the_others(
    week: Week,
) -> None:
    ben = week["ben"]
    picks = ben.ephemeral()
    item = _cards(picks)[0]
    ben.type(picks.input(f"caption:{item}"), "Ben's words.")

    shared = sensible(await ben.press(_share_button(picks, item, "LinkedIn")))

    # An ephemeral message cannot be read back: the panel is a new one, the picks stay usable.
    assert shared.latest is not None and shared.latest.has(translate("share.confirm", "en"))
    (still,) = [e for e in ben.ephemerals() if e.key == picks.key]
    assert set(_cards(still)) == set(_cards(picks))


async def test_tue_18_chloe_shares_from_home(week: Week) -> None:
    chloe = week["chloe"]
    await chloe.open_home()
    home = chloe.home()
    item = _cards(home)[0]
    chloe.type(home.input(f"caption:{item}"), "From my Home tab.")

    shared = sensible(await chloe.press(_share_button(home, item, "X")))

    assert any(
        s.has("From my Home tab.") and s.buttons() and s.kind in ("home", "modal")
        for s in shared.changed
        if any(b.label == translate("share.confirm", "en") for b in s.buttons())
    )


async def test_tue_19_dan_says_not_for_me_in_his_dm(week: Week) -> None:
    dan = week["dan"]
    picks = dan.dm()
    not_for_me = next(b for b in picks.buttons() if b.label == translate("picks.not_for_me", "en"))

    answered = sensible(await dan.press(not_for_me))

    assert translate("feedback.not_for_me", "en") in answered.text()


async def test_tue_20_eve_says_more_like_this_on_home(week: Week) -> None:
    eve = week["eve"]
    await eve.open_home()
    more = next(
        b for b in eve.home().buttons() if b.label == translate("picks.more_like_this", "en")
    )

    answered = sensible(await eve.press(more))

    assert translate("feedback.more_like_this", "en") in answered.text()


async def test_tue_21_ben_types_a_question_with_an_apostrophe(week: Week) -> None:
    answered = sensible(await week["ben"].say("what's this?"))

    assert translate("error.command.quote", "en") not in answered.text()


# ================================================================ Wednesday


async def test_wed_22_fay_gets_her_version_from_the_channel_and_posts_it(week: Week) -> None:
    week.clock.advance(days=1)
    fay = week["fay"]
    (posted,) = fay.channel_messages(CHANNEL[0])

    mine = [b for b in posted.buttons() if b.label == translate("channel.mine", "en")]
    assert mine  # one per item in the channel's picks

    opened = sensible(await fay.press(mine[0]))
    modal = opened.latest
    assert modal is not None and modal.kind == "modal"
    item = _cards(modal)[0]
    fay.type(modal.input(f"caption:{item}"), "Fay's take on it.")
    shared = sensible(await fay.press(_share_button(modal, item, "LinkedIn")))
    panel = shared.latest
    assert panel is not None and panel.key == modal.key and panel.has("Fay's take on it.")
    thanked = sensible(await fay.press(panel.button(translate("share.confirm", "en"))))

    assert translate("share.confirmed", "en", networks="LinkedIn") in thanked.text()
    async with week.services.db.session() as session:
        person = await _person(week, "UFAY")
        assert person is not None
        query = select(Share).filter_by(person_id=person.id)
        share = (await session.execute(query)).scalar_one()
    assert share.source == "channel" and share.confirmed_at is not None


async def test_wed_23_daan_shares_in_dutch(week: Week) -> None:
    daan = week["daan"]
    picks = daan.dm()
    item = _cards(picks)[0]
    daan.type(picks.input(f"caption:{item}"), "Mooi werk van ons team.")

    shared = sensible(await daan.press(_share_button(picks, item, "LinkedIn")))

    assert shared.latest is not None and shared.latest.has("Mooi werk van ons team.")
    assert shared.latest.button(translate("share.confirm", "nl"))
    assert shared.latest.button(translate("share.open", "nl", network="LinkedIn"))


async def test_wed_24_dan_asks_for_tips_and_lets_his_manager_know(week: Week) -> None:
    dan = week["dan"]
    tips = sensible(await dan.command("tips"))
    assert tips.latest is not None and translate("tips.title", "en") in tips.text()

    told = sensible(await dan.press(tips.latest.button(translate("tips.manager.button", "en"))))

    assert translate("tips.manager.done", "en") in told.text()


async def test_wed_25_ben_changes_his_preferences_on_home(week: Week) -> None:
    ben = week["ben"]
    await ben.open_home()

    await ben.choose(ben.home().control(translate("home.cadence", "en")), "monthly")
    await ben.choose(ben.home().control(translate("home.consents", "en")), "spotlight")
    saved = sensible(await ben.press(ben.home().button(translate("prefs.save", "en"))))

    assert saved.kinds() == ["home"]
    assert translate("prefs.cadence.monthly", "en") in saved.text()
    person = await _person(week, "UBEN")
    assert person is not None
    assert (person.cadence, person.consent_spotlight) == (Cadence.MONTHLY, True)


async def test_wed_26_prefs_says_where_to_change_them(week: Week) -> None:
    shown = sensible(await week["ben"].command("prefs"))

    assert shown.latest is not None
    assert shown.latest.controls() or "Home" in shown.text()


async def test_wed_27_eve_suggests_a_page_and_the_content_team_approves_it(week: Week) -> None:
    thanked = sensible(await week["eve"].command(f"suggest {week.pages.url('/meetup')}"))
    assert translate("content.suggested", "en", title="Page meetup") in thanked.text()
    cas = week["cas"]

    waiting = sensible(await cas.command("approve"))
    assert waiting.latest is not None and waiting.latest.has("Page meetup")
    approved = sensible(await cas.press(waiting.latest.button(translate("content.approve", "en"))))

    assert "approved and live" in approved.text()


# ================================================================ Thursday


async def test_thu_28_everyone_presses_everything_on_their_home(week: Week) -> None:
    week.clock.advance(days=1)
    for key in ("ann", "chloe", "dan", "eve", "fay", "daan", "mia"):
        person = week[key]
        sensible(await person.open_home())
        home = person.home()
        # Leaving and erasing are their own steps; a snooze date would (rightly) keep next
        # Monday's picks from them, which step 36 counts on.
        skip = (
            week.says(key, "home.leave"),
            week.says(key, "home.forget_me"),
            week.says(key, "prefs.snooze"),
        )
        pressed = await person.click_everything(home, skip=skip)
        assert pressed, f"{key} found nothing to press on Home"
        for control, outcome in pressed:
            if control.type == "button":  # ticks and dates are sent with the next button
                assert sensible(outcome), (key, control)


async def test_thu_29_the_my_data_button_sends_the_file(week: Week) -> None:
    ann = week["ann"]
    await ann.open_home()

    sent = sensible(await ann.press(ann.home().button(translate("home.my_data", "en"))))

    assert translate("privacy.export.ready", "en") in sent.text()
    assert any(f["name"] == "my-social-boost-data.json" for f in week.world.fake.files.values())


async def test_thu_30_the_content_team_looks_at_the_statistics(week: Week) -> None:
    stats = sensible(await week["cas"].command("stats"))

    assert "Share starts" in stats.text()
    assert week.world.fake.files


async def test_thu_31_the_statistics_are_said_once(week: Week) -> None:
    stats = sensible(await week["cas"].command("stats"))

    dm = [s for s in stats.changed if s.kind == "message"]
    note = [s for s in stats.changed if s.kind == "ephemeral"]
    assert dm and note and note[0].blocks != dm[0].blocks


# ================================================================ Friday


async def test_fri_32_the_managers_get_their_digest(week: Week) -> None:
    week.clock.current = MONDAY + timedelta(days=4, hours=7)

    planned = await week.world.send_digests()

    assert planned == 3  # Ada manages Cas, Mia and Max; Mia and Max manage their teams
    mia = week["mia"].dm()
    assert mia.has(translate("digest.title.team", "en")), mia.describe()
    assert "People in your team who take part: 5" in mia.visible_text()
    max_digest = week["max"].dm()
    assert max_digest.has(translate("digest.small_team", "en", count=5))
    # Named only: Ben, who allowed a spotlight and shared; Dan, who asked to tell his manager.
    # Nobody is named for not sharing (Eve).
    assert "Ben (shared once)" in mia.visible_text()
    assert "Dan" in mia.visible_text() and "Eve" not in mia.visible_text()


async def test_fri_33_nora_erases_her_data(week: Week) -> None:
    nora = week["nora"]
    asked = sensible(await nora.command("forget-me"))
    assert asked.latest is not None
    assert translate("privacy.forget.confirm", "en") in asked.text()

    erased = sensible(await nora.press(asked.latest.button(translate("privacy.forget.yes", "en"))))

    assert translate("privacy.erased", "en") in erased.text()
    assert await _person(week, "UNORA") is None


async def test_fri_34_noras_no_stays_no_after_the_erasure(week: Week) -> None:
    before = len(week.world.fake.sent_to("UNORA"))

    await week["nora"].open_home()

    assert len(week.world.fake.sent_to("UNORA")) == before


# ================================================================ the next Monday


async def test_mon2_35_ada_who_never_answered_gets_one_reminder(week: Week) -> None:
    week.clock.current = MONDAY + timedelta(days=7, hours=1)

    await week.world.send_reminders()
    await week.world.send_reminders()

    reminders = [
        m for m in week.world.fake.sent_to("UADA") if translate("reminders.title", "en") in str(m)
    ]
    assert len(reminders) == 1
    assert week["ada"].dm().button(translate("welcome.in", "en"))
    for key in ("max", "ann", "daan"):  # they answered: never reminded
        assert translate("reminders.title", "en") not in week[key].dm().visible_text()


async def test_mon2_36_the_next_weeks_picks_skip_the_monthly_and_bring_new_items(
    week: Week,
) -> None:
    queued = await week.world.send_picks()

    def picks_for(user: str) -> list[dict[str, Any]]:
        title = translate("picks.title", "nl" if user == "UDAAN" else "en")
        return [m for m in week.world.fake.sent_to(user) if title in str(m)]

    assert len(picks_for("UBEN")) == 1  # monthly now
    assert queued == len(JOINERS) - 1
    for user in ("UANN", "UFAY", "UDAAN"):
        assert len(picks_for(user)) == 2


async def test_mon2_37_a_newcomer_says_hi(week: Week) -> None:
    noor = week.world.person("UNOOR", name="noor", email="noor@example.com")

    answered = sensible(await noor.say("hi"))

    assert noor.dm().button(translate("welcome.in", "en")), answered.text()
