"""Issue 13, one focused test per numbered defect, each played by people through real Slack
requests against the strict fake; each failed before its fix."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from captions import TemplateCaptionWriter
from content_store.database import Database
from content_store.models import (
    ContentCaption,
    ContentItem,
    ContentTopic,
    Person,
    Topic,
    Workspace,
)
from domain.programme import Role
from handlers.context import Services
from handlers.types import DeliveryError
from links.fetcher import FetchPolicy
from messages import translate
from tests.bot.slack.conftest import Pages
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.slack_user import Outcome, SlackUser, Surface
from tests.bot.slack.world import SlackWorld
from tests.conftest import PLATFORM_CAPABILITIES, FakeClock
from tests.factories import WORKSPACE, add_item, grant

START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
MANIFEST = Path(__file__).parents[3] / "manifest.yml"


def _en(key: str, **params: Any) -> str:
    return translate(key, "en", **params)


async def _items(services: Services, clock: FakeClock, *topics: str, count: int = 4) -> list[int]:
    return [
        await add_item(services.db, slug=f"{topic}-{n}", topics=(topic,), now=clock.now())
        for topic in topics or ("product",)
        for n in range(count)
    ]


async def _joined(world: SlackWorld, user_id: str = "U1", **profile: Any) -> SlackUser:
    person = world.person(user_id, **profile)
    (await person.command("in")).answered()
    return person


def _share_buttons(surface: Surface) -> list[str]:
    return [b.block_id for b in surface.buttons() if b.label.startswith("Share on")]


def _cards(surface: Surface) -> set[str]:
    """The items still offered as cards (a caption to edit and share buttons)."""
    return {b.split(":")[1] for b in _share_buttons(surface)}


def _welcomes(world: SlackWorld, user: str) -> list[dict[str, Any]]:
    return [m for m in world.fake.sent_to(user) if _en("welcome.in") in str(m.get("blocks"))]


# ---------------------------------------------------------------- 1. share from Home


async def test_1_sharing_from_home_shows_the_share_panel(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    await _items(services, clock)
    ann = await _joined(world)
    await ann.open_home()
    home = ann.home()
    caption = next(c for c in home.inputs() if c.block_id.startswith("caption:"))
    ann.type(caption, "From Home, in my words")
    item = caption.block_id.split(":")[1]
    share = next(b for b in home.buttons() if b.block_id.startswith(f"card:{item}"))

    shared = (await ann.press(share)).answered()

    panels = [
        s
        for s in shared.changed
        if s.kind in ("home", "modal")
        and s.has("From Home, in my words")
        and any(b.label == _en("share.confirm") for b in s.buttons())
        and any((b.url or "").startswith("https://") for b in s.buttons())
    ]
    assert panels, shared.text()


# ---------------------------------------------------------------- 2. confirm in a DM


async def test_2_confirming_a_share_in_the_dm_thanks_and_keeps_the_other_picks(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    await _items(services, clock)
    ann = await _joined(world)
    await world.send_picks()
    picks = ann.dm()
    first = sorted(_cards(picks))[0]
    ann.type(next(c for c in picks.inputs() if c.block_id == f"caption:{first}"), "Mine")
    share = next(b for b in picks.buttons() if b.block_id.startswith(f"card:{first}"))
    panel = (await ann.press(share)).answered().latest
    assert panel is not None

    thanked = (await ann.press(panel.button(_en("share.confirm")))).answered().latest

    assert thanked is not None and thanked.key == picks.key
    assert thanked.has(_en("share.confirmed", networks="LinkedIn"))
    # The item stays, with the networks left to share on; the other picks are untouched.
    assert _cards(thanked) == _cards(picks)


# ---------------------------------------------------------------- 3. the first admin


async def _run_cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str]:
    binary = Path(sys.executable).parent / "socialboost"
    process = await asyncio.create_subprocess_exec(
        str(binary),
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return int(process.returncode or 0), output.decode(errors="replace")


@asynccontextmanager
async def _installed(tmp_path: Path) -> AsyncIterator[tuple[SlackWorld, dict[str, str]]]:
    """`make run` with Slack configured, on a fresh SQLite file; the CLI's environment."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'boost.db'}"
    async with FakeSlack(team_id=WORKSPACE) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SLACK_"))}
        env.update(
            DATABASE_URL=url,
            SLACK_BOT_TOKEN=fake.bot_token,
            SLACK_SIGNING_SECRET="test-signing-secret",
            SLACK_API_URL=fake.base_url,
        )
        db = Database(url)
        await db.upgrade()
        services = Services(
            db=db,
            captions=TemplateCaptionWriter(),
            public_base_url="https://boost.example.org",
            clock=FakeClock(START),
            fetch_policy=FetchPolicy(allow_loopback=True, timeout_seconds=2.0),
            platforms=PLATFORM_CAPABILITIES,
        )
        world = SlackWorld(services, fake)
        await world.start()
        try:
            yield world, env
        finally:
            await world.stop()
            await db.dispose()


ORG_CHART = (
    "email,name,manager_email,team,roles\n"
    "ada@example.com,Ada,,Board,admin\n"
    "cas@example.com,Cas,ada@example.com,Comms,content\n"
)


async def test_3_the_readme_first_admin_step_makes_a_slack_admin(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(ORG_CHART, encoding="utf-8")
    async with _installed(tmp_path) as (world, env):
        code, output = await _run_cli(env, tmp_path, "people", "import", "people.csv")
        assert code == 0, output
        ada = world.person("UADA", name="ada", email="ada@example.com")

        listed = (await ada.command("list")).answered()
        helped = (await ada.command("help")).answered()

    assert _en("error.role.missing", role="content") not in listed.text()
    assert "role " in helped.text() and "channel" in helped.text()


async def test_3_importing_again_for_the_slack_workspace_never_duplicates_people(
    tmp_path: Path,
) -> None:
    (tmp_path / "people.csv").write_text(ORG_CHART, encoding="utf-8")
    async with _installed(tmp_path) as (world, env):
        assert (await _run_cli(env, tmp_path, "people", "import", "people.csv"))[0] == 0
        again = ("people", "import", "people.csv", "--platform", "slack", "--workspace", WORKSPACE)
        assert (await _run_cli(env, tmp_path, *again))[0] == 0
        ada = world.person("UADA", name="ada", email="ada@example.com")
        await ada.command("prefs")
        async with world.services.db.session() as session:
            rows = await session.scalar(
                select(func.count()).select_from(Person).where(Person.email == "ada@example.com")
            )
            workspaces = (await session.execute(select(Workspace.platform))).scalars().all()

    assert rows == 1
    assert list(workspaces) == ["slack"]


async def test_3_seed_demo_content_reaches_slack_people(tmp_path: Path) -> None:
    async with _installed(tmp_path) as (world, env):
        assert (await _run_cli(env, tmp_path, "seed-demo"))[0] == 0
        # The CLI dated the demo items by the real clock; the server's runs from then on.
        clock = world.services.clock
        assert isinstance(clock, FakeClock)
        clock.current = datetime.now(UTC)
        ann = await _joined(world)

        picks = (await ann.command("")).answered()

    assert _en("picks.none") not in picks.text()
    assert picks.latest is not None and _cards(picks.latest)


# ---------------------------------------------------------------- 4. Slack's escaping


async def _content_member(world: SlackWorld, services: Services) -> SlackUser:
    cas = world.person("UCT", name="cas", locale="en-GB", tz="Europe/London")
    await grant(services.db, "UCT", Role.CONTENT)
    return cas


async def _captions(services: Services, item_id: int) -> set[str]:
    query = select(ContentCaption.text).where(ContentCaption.content_id == item_id)
    async with services.db.session() as session:
        return set((await session.execute(query)).scalars())


async def _topics(services: Services, item_id: int) -> set[str]:
    query = (
        select(Topic.slug)
        .join(ContentTopic, ContentTopic.topic_id == Topic.id)
        .where(ContentTopic.content_id == item_id)
    )
    async with services.db.session() as session:
        return set((await session.execute(query)).scalars())


async def _add_and_save(cas: SlackUser, text: str) -> Outcome:
    """`/boost add …`: the preview comes as an answer only they see, saved with its Save."""
    shown = (await cas.command(text)).answered()
    preview = shown.latest
    assert preview is not None and preview.has(_en("content.preview.title")), shown.text()
    return (await cas.press(preview.button(_en("content.preview.save")))).answered()


async def test_4_an_ampersand_in_an_added_link_is_decoded(
    world: SlackWorld, services: Services, pages: Pages
) -> None:
    cas = await _content_member(world, services)

    await _add_and_save(cas, f"add {pages.url('/report')}?team=data&city=ams #product")

    async with services.db.session() as session:
        urls = (await session.execute(select(ContentItem.canonical_url))).scalars().all()
    assert [url.split("?")[1] for url in urls] == ["city=ams&team=data"]


async def test_4_entities_in_a_caption_are_decoded(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    (item,) = await _items(services, clock, count=1)
    cas = await _content_member(world, services)

    (await cas.command(f'edit {item} caption "Fish & chips < 5 euro"')).answered()

    assert await _captions(services, item) == {"Fish & chips < 5 euro"}


async def test_4_a_topic_that_is_also_a_channel_is_accepted(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    (item,) = await _items(services, clock, count=1)
    world.fake.add_channel("C0ENG123", "engineering", members=("UCT",))
    cas = await _content_member(world, services)

    edited = (await cas.command(f"edit {item} #engineering")).answered()

    assert _en("content.edited", id=item, title="Story product-0") in edited.text()
    assert "engineering" in await _topics(services, item)


async def test_4_an_email_address_in_a_caption_is_decoded(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    (item,) = await _items(services, clock, count=1)
    cas = await _content_member(world, services)

    await cas.command(f'edit {item} caption "Questions? jobs@example.com"')

    assert await _captions(services, item) == {"Questions? jobs@example.com"}


async def test_4_a_mentioned_person_and_a_linked_url_are_understood(
    world: SlackWorld, services: Services, pages: Pages
) -> None:
    ada = world.person("UADA", name="ada")
    world.person("UBOB", name="bob")
    await grant(services.db, "UADA", Role.ADMIN)

    made = (await ada.command("role @bob content")).answered()
    await _add_and_save(ada, f"add {pages.url('/launch')} #product")

    assert _en("admin.roles.saved", roles="content") in made.text()
    async with services.db.session() as session:
        urls = (await session.execute(select(ContentItem.canonical_url))).scalars().all()
    assert [url.rsplit("/", 1)[1] for url in urls] == ["launch"]


# ---------------------------------------------------------------- 5. ephemeral picks


async def test_5_sharing_from_the_ephemeral_picks_keeps_the_other_picks(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    await _items(services, clock)
    ann = await _joined(world)
    picks = (await ann.command("")).answered().latest
    assert picks is not None and picks.kind == "ephemeral" and len(_cards(picks)) == 3
    first = sorted(_cards(picks))[0]
    caption = next(c for c in picks.inputs() if c.block_id == f"caption:{first}")
    ann.type(caption, "In my own words")
    share = next(b for b in picks.buttons() if b.block_id.startswith(f"card:{first}"))

    shared = (await ann.press(share)).answered().latest

    # An ephemeral message cannot be read back: the panel comes as a new one, and the
    # picks stay as they were, every card still usable.
    assert shared is not None and shared.has(_en("share.confirm"))
    (still,) = [e for e in ann.ephemerals() if e.key == picks.key]
    assert _cards(still) == _cards(picks)


# ---------------------------------------------------------------- 6. long captions in add


async def test_6_adding_with_a_long_caption_shows_the_preview(
    world: SlackWorld, services: Services, pages: Pages
) -> None:
    cas = await _content_member(world, services)
    caption = "A caption worth reading. " * 28  # 700 characters

    await _add_and_save(cas, f'add {pages.url("/long")} #product caption "{caption.strip()}"')
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ContentItem)) == 1


# ---------------------------------------------------------------- 7. apostrophes


@pytest.mark.parametrize("typed", ["I'm in", "what's this?"])
async def test_7_an_apostrophe_in_a_direct_message_is_just_text(
    world: SlackWorld, typed: str
) -> None:
    ann = world.person("U1")

    answer = (await ann.say(typed)).answered()

    assert _en("error.command.quote") not in answer.text()


# ---------------------------------------------------------------- 8. invited again


async def test_8_opening_home_after_joining_by_command_sends_no_invitation(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    await _items(services, clock)
    ann = await _joined(world)

    opened = await ann.open_home()

    assert _welcomes(world, "U1") == []
    assert [s.kind for s in opened.changed] == ["home"]


# ---------------------------------------------------------------- 9. erased "no"


async def test_9_an_erased_no_stays_no(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    nora = world.person("UNO", name="nora")
    await nora.open_home()
    (await nora.press(nora.dm().button(_en("welcome.no")))).answered()
    asked = (await nora.command("forget-me")).answered().latest
    assert asked is not None
    (await nora.press(asked.button(_en("privacy.forget.yes")))).answered()
    before = len(world.fake.sent_to("UNO"))

    await nora.open_home()
    clock.advance(days=8)
    await world.send_reminders()

    # Nothing is sent to her unasked; Home, which she opened herself, still lets her join.
    assert len(world.fake.sent_to("UNO")) == before
    assert nora.home().has(_en("welcome.in"))


# ---------------------------------------------------------------- 10. preferences


async def test_10_a_snooze_until_a_date_can_be_chosen_on_home(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    ann = await _joined(world)
    await ann.open_home()
    pickers = [c for c in ann.home().controls() if c.type == "datepicker"]
    assert pickers, ann.home().describe()
    day = (clock.now() + timedelta(days=14)).date()

    await ann.pick_date(pickers[0], day.isoformat())
    (await ann.press(ann.home().button(_en("prefs.save")))).answered()

    async with services.db.session() as session:
        person = (await session.execute(select(Person).filter_by(external_id="U1"))).scalar_one()
    assert person.paused_until == day


async def test_10_prefs_says_where_to_change_them(world: SlackWorld) -> None:
    ann = await _joined(world)

    shown = (await ann.command("prefs")).answered().latest

    assert shown is not None
    assert shown.controls() or "Home" in shown.visible_text()


async def test_10_choosing_topics_before_acting_changes_this_weeks_picks(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    for n in range(3):
        await add_item(services.db, slug=f"p{n}", topics=("product",), now=clock.now(), priority=3)
        await add_item(services.db, slug=f"e{n}", topics=("engineering",), now=clock.now())
    ann = world.person("U1")
    welcome = (await ann.command("in")).answered().latest
    assert welcome is not None
    before = (await ann.command("")).answered().latest
    assert before is not None and before.has("Story p")  # chosen before any topic

    await ann.choose(welcome.control(_en("prefs.topics")), "engineering")
    (await ann.press(welcome.button(_en("prefs.save")))).answered()
    after = (await ann.command("")).answered().latest

    assert after is not None
    # Chosen again, for the new topic (variety may still bring one of another).
    assert after.has("Story e") and _cards(after) != _cards(before)


# ---------------------------------------------------------------- 11. channel mode


async def test_11_channel_mode_works_or_says_to_invite_the_bot(
    services: Services, clock: FakeClock
) -> None:
    import yaml

    from tests.bot.slack.world import slack_world

    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    scopes = frozenset(manifest["oauth_config"]["scopes"]["bot"])
    await _items(services, clock, count=1)
    async with slack_world(services, team_id=WORKSPACE, scopes=scopes) as world:
        world.fake.add_channel("C0BOOST", "social-boost", bot_member=False)
        ada = world.person("UADA", name="ada")
        await grant(services.db, "UADA", Role.ADMIN, Role.CONTENT)

        chosen = (await ada.command("channel #social-boost")).answered()
        with suppress(DeliveryError):  # a bot that said "invite me" may still fail to post
            await world.send_picks()

        posted = world.fake.calls_to("chat.postMessage", ok=True)
    told = "invite" in chosen.text().lower()
    assert told or any(call.args.get("channel") == "C0BOOST" for call in posted)


async def test_11_the_picks_channel_is_shown_by_name(world: SlackWorld, services: Services) -> None:
    world.fake.add_channel("C0BOOST", "social-boost", members=("UADA",))
    ada = world.person("UADA", name="ada")
    await grant(services.db, "UADA", Role.ADMIN)
    await ada.command("channel #social-boost")

    shown = (await ada.command("channel")).answered()

    assert "#social-boost" in shown.text()
    assert "C0BOOST" not in shown.text()


# ---------------------------------------------------------------- 12. Home acknowledgements


async def test_12_no_thanks_on_home_is_acknowledged(world: SlackWorld) -> None:
    nora = world.person("UNO", name="nora")
    await nora.open_home()

    answered = (await nora.press(nora.home().button(_en("welcome.no")))).answered()

    assert _en("programme.answer.no") in answered.text()


@pytest.mark.parametrize("label", ["picks.not_for_me", "picks.more_like_this"])
async def test_12_feedback_on_home_is_acknowledged(
    world: SlackWorld, services: Services, clock: FakeClock, label: str
) -> None:
    await _items(services, clock)
    ann = await _joined(world)
    await ann.open_home()
    button = next(b for b in ann.home().buttons() if b.label == _en(label))

    answered = (await ann.press(button)).answered()

    thanks = {
        "picks.not_for_me": "feedback.not_for_me",
        "picks.more_like_this": "feedback.more_like_this",
    }
    assert _en(thanks[label]) in answered.text()


# ---------------------------------------------------------------- 13. the same blocks twice


@pytest.mark.parametrize("command", ["stats", "export items"])
async def test_13_a_file_answer_is_said_once(
    world: SlackWorld, services: Services, clock: FakeClock, command: str
) -> None:
    await _items(services, clock)
    cas = await _content_member(world, services)

    answer = (await cas.command(command)).answered()

    (dm,) = [s for s in answer.changed if s.kind == "message"]
    (note,) = [s for s in answer.changed if s.kind == "ephemeral"]
    assert world.fake.files, "the file went to the DM"
    assert note.blocks != dm.blocks


# ---------------------------------------------------------------- 14. "hi"


async def test_14_a_new_person_saying_hi_is_welcomed(world: SlackWorld) -> None:
    newcomer = world.person("UNEW", name="noor")

    answer = (await newcomer.say("hi")).answered()

    assert "I don't know the command" not in answer.text()
    assert newcomer.dm().button(_en("welcome.in"))


# ---------------------------------------------------------------- 15. add without the role


async def test_15_add_without_the_content_role_is_refused_without_a_modal(
    world: SlackWorld, pages: Pages
) -> None:
    ann = world.person("U1")

    answer = (await ann.command(f"add {pages.url('/x')} #product")).answered()

    assert "views.open" not in answer.methods()
    assert ann.modals() == []
    assert _en("error.role.missing", role="content") in answer.text()
