"""People's own LinkedIn and Bluesky accounts: connect, see, disconnect, and post with one press.

Nothing is posted unless the person presses "Post to … now" on a share panel showing the exact
caption; the post carries that caption and the tracked link, and the share counts as confirmed.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from content_store import accounts as store
from content_store import outbox
from content_store.accounts import CONNECT_LINK_KEPT, AccountTokens
from content_store.content import get_content
from content_store.events import record_event
from content_store.models import ConnectedAccount, ContentItem, Delivery, Link, Person, Share
from content_store.outbox import ClaimedDelivery, PersonState, PlannedDelivery
from content_store.sharing import confirm_share, confirmed_networks, find_share
from content_store.token_box import TokenUnreadable
from domain.errors import InvalidInput
from domain.events import EventType
from domain.networks import NETWORK_RULES, Network
from domain.schedules import zone
from handlers import actions
from handlers.context import Caller, Services, load_caller, record_for, require_participant
from handlers.sharing import posted_reply, share_ready_reply
from handlers.types import Actions, Actor, Block, Button, DeliveryError, Reply, Text
from messages import format_duration, normalise_locale, translate
from publishing import bluesky, linkedin
from publishing.errors import AuthExpired, NetworkBusy, PostRefused

log = logging.getLogger(__name__)


def _label(network: Network) -> str:
    return NETWORK_RULES[network].label


def _parse_network(value: str, services: Services) -> Network:
    try:
        network = Network(value)
    except ValueError:
        network = None
    if network is None or not services.accounts.enabled(network):
        raise InvalidInput("accounts.network", "That network cannot be connected here.")
    return network


# ---------------------------------------------------------------- the accounts page


async def accounts_page(services: Services, actor: Actor) -> Reply:
    """What is connected, a connect link for each network that is not, a disconnect for each."""
    config, now = services.accounts, services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        mine = {a.network: a for a in await store.connected(session, person_id=caller.person.id)}
        states = {
            network: await store.new_connect_state(
                session, person_id=caller.person.id, network=network, now=now
            )
            for network in config.networks()
            if network not in mine or _past(mine[network].expires_at, now)
        }
    locale = caller.locale
    blocks: list[Block] = [Text(translate("accounts.title", locale), heading=True)]
    if not config.networks():
        return Reply(blocks=(*blocks, Text(translate("accounts.none", locale))))
    blocks.append(Text(translate("accounts.intro", locale)))
    lines, buttons = [], []
    for network in config.networks():
        label = _label(network)
        account = mine.get(network)
        if account is None:
            lines.append(translate("accounts.not_connected", locale, network=label))
            url = services.connect_url(network.value, states[network])
            buttons.append(
                Button(
                    translate("accounts.connect", locale, network=label),
                    actions.OPEN_LINK,
                    url=url,
                    style="primary",
                )
            )
            continue
        name = account.display_name or label
        if _past(account.expires_at, now):
            lines.append(translate("accounts.expired", locale, network=label, name=name))
            buttons.append(
                Button(
                    translate("accounts.connect", locale, network=label),
                    actions.OPEN_LINK,
                    url=services.connect_url(network.value, states[network]),
                    style="primary",
                )
            )
        elif account.expires_at is not None:
            until = account.expires_at.date().isoformat()
            lines.append(
                translate("accounts.connected_until", locale, network=label, name=name, date=until)
            )
        else:
            lines.append(translate("accounts.connected", locale, network=label, name=name))
        buttons.append(
            Button(
                translate("accounts.disconnect", locale, network=label),
                actions.ACCOUNTS_DISCONNECT,
                network.value,
                "danger",
            )
        )
    blocks.append(Text("\n".join(lines)))
    if states:
        kept = format_duration(CONNECT_LINK_KEPT, locale)
        blocks.append(Text(translate("accounts.link_note", locale, duration=kept)))
    if Network.BLUESKY in states:
        blocks.append(Text(translate("accounts.bluesky_note", locale)))
    blocks.append(Actions(tuple(buttons)))
    return Reply(blocks=tuple(blocks))


async def disconnect(services: Services, actor: Actor, value: str) -> Reply:
    """Delete the person's account on one network (its tokens with it), then show the page."""
    network = _parse_network(value, services)
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        removed = await store.forget_accounts(session, person_id=caller.person.id, network=network)
        if removed:
            await record_for(
                session,
                caller,
                EventType.ACCOUNT_DISCONNECTED,
                at=services.clock.now(),
                payload={"network": network.value},
            )
    key = "accounts.disconnected" if removed else "accounts.was_not_connected"
    page = await accounts_page(services, actor)
    said = Text(translate(key, caller.locale, network=_label(network)))
    return dataclasses.replace(page, blocks=(said, *page.blocks))


# ---------------------------------------------------------------- connecting (web pages)


class Outcome(enum.StrEnum):
    """How a connect attempt ended, for the page the browser shows."""

    CONNECTED = "connected"
    STALE = "stale"  # the link is unknown, expired or used
    CANCELLED = "cancelled"  # the person did not allow it
    REFUSED = "refused"  # the network did not accept what was given
    BUSY = "busy"  # the network did not answer


@dataclass(frozen=True)
class Connected:
    """The page to show: how it ended, for which network, in the person's language."""

    outcome: Outcome
    network: Network
    locale: str = "en"


async def _locale_of(services: Services, person_id: int | None) -> str:
    if person_id is None:
        return normalise_locale(services.default_locale)
    async with services.db.session() as session:
        person = await session.get(Person, person_id)
        return normalise_locale(person.locale if person else services.default_locale)


def linkedin_redirect_uri(services: Services) -> str:
    """Where LinkedIn sends the browser back (register exactly this in the LinkedIn app)."""
    return f"{services.public_base_url}{linkedin.CALLBACK_PATH}"


async def linkedin_start(services: Services, state: str) -> str | None:
    """The LinkedIn sign-in address for a live connect link (not used up yet), or None."""
    config = services.accounts.linkedin
    if config is None or not services.accounts.enabled(Network.LINKEDIN):
        return None
    async with services.db.session() as session:
        person = await store.peek_connect_state(
            session, state=state, network=Network.LINKEDIN, now=services.clock.now()
        )
    if person is None:
        return None
    return linkedin.authorize_url(
        config,
        state=state,
        redirect_uri=linkedin_redirect_uri(services),
        verifier=services.accounts.verifier(state),
    )


async def linkedin_finish(
    services: Services, *, state: str, code: str | None, error: str | None
) -> Connected:
    """LinkedIn's callback: use the link up, trade the code, store the member's token."""
    config, box = services.accounts.linkedin, services.accounts.box
    network = Network.LINKEDIN
    if config is None or box is None:
        return Connected(Outcome.STALE, network)
    now = services.clock.now()
    async with services.db.session() as session:
        person_id = await store.take_connect_state(session, state=state, network=network, now=now)
    locale = await _locale_of(services, person_id)
    if person_id is None:
        return Connected(Outcome.STALE, network, locale)
    if error or not code:
        return Connected(Outcome.CANCELLED, network, locale)
    try:
        grant = await linkedin.exchange_code(
            config,
            code=code,
            redirect_uri=linkedin_redirect_uri(services),
            verifier=services.accounts.verifier(state),
            now=now,
        )
    except AuthExpired:
        return Connected(Outcome.REFUSED, network, locale)
    except NetworkBusy:
        return Connected(Outcome.BUSY, network, locale)
    tokens = AccountTokens(
        person_id=person_id,
        network=network,
        external_id=grant.member_id,
        display_name=grant.name,
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        expires_at=grant.expires_at,
    )
    await _store_connected(services, tokens, now=now)
    return Connected(Outcome.CONNECTED, network, locale)


async def bluesky_form_locale(services: Services, state: str) -> str | None:
    """The language to show the Bluesky form in, for a live link (not used up); else None."""
    if not services.accounts.enabled(Network.BLUESKY):
        return None
    async with services.db.session() as session:
        person_id = await store.peek_connect_state(
            session, state=state, network=Network.BLUESKY, now=services.clock.now()
        )
    if person_id is None:
        return None
    return await _locale_of(services, person_id)


async def bluesky_connect(
    services: Services, *, state: str, handle: str, app_password: str
) -> Connected:
    """Sign in with the handle and app password; only the session's tokens are kept.

    A refused password leaves the link usable, so a typo can be corrected.
    """
    config, network = services.accounts.bluesky, Network.BLUESKY
    if config is None or not services.accounts.enabled(network):
        return Connected(Outcome.STALE, network)
    now = services.clock.now()
    async with services.db.session() as session:
        person_id = await store.peek_connect_state(session, state=state, network=network, now=now)
    locale = await _locale_of(services, person_id)
    if person_id is None:
        return Connected(Outcome.STALE, network, locale)
    handle = handle.strip().lstrip("@")[:253]
    if not handle or not app_password.strip():
        return Connected(Outcome.REFUSED, network, locale)
    try:
        session_ = await bluesky.create_session(
            config, handle=handle, app_password=app_password.strip()
        )
    except AuthExpired:
        return Connected(Outcome.REFUSED, network, locale)
    except NetworkBusy:
        return Connected(Outcome.BUSY, network, locale)
    async with services.db.session() as session:
        if await store.take_connect_state(session, state=state, network=network, now=now) is None:
            return Connected(Outcome.STALE, network, locale)
    tokens = AccountTokens(
        person_id=person_id,
        network=network,
        external_id=session_.did,
        display_name=session_.handle,
        access_token=session_.access_jwt,
        refresh_token=session_.refresh_jwt,
        expires_at=None,
    )
    await _store_connected(services, tokens, now=now)
    return Connected(Outcome.CONNECTED, network, locale)


async def _store_connected(services: Services, tokens: AccountTokens, *, now: datetime) -> None:
    box = services.accounts.box
    assert box is not None
    async with services.db.session() as session:
        person = await session.get(Person, tokens.person_id)
        if person is None:  # erased while the browser was away
            return
        await store.save_account(session, box=box, tokens=tokens, now=now)
        # The browser page says so, but the chat still shows the card with the connect link:
        # the chat is told too, through the outbox like any other send.
        slot = f"{CONNECTED}:{tokens.network.value}:{now.isoformat()}"
        await outbox.plan(session, planned=[PlannedDelivery(person.id, slot, CONNECTED, now)])
        # Logged by person id: in a browser there is no chat actor at hand.
        await record_event(
            session,
            workspace_id=person.workspace_id,
            person_id=person.id,
            content_id=None,
            type=EventType.ACCOUNT_CONNECTED,
            payload={"network": tokens.network.value},
            at=now,
        )


CONNECTED = "connected"


class ConnectedDelivery:
    """The chat's word that an account was connected in the browser, with the page again."""

    async def compose(self, services: Services, claimed: ClaimedDelivery) -> Reply | None:
        """ "Connected as …" and the accounts page; None when it is not connected any more."""
        network = Network(claimed.slot.split(":")[1])
        async with services.db.session() as session:
            account = await session.get(ConnectedAccount, (claimed.person_id, network))
            name = account.display_name if account is not None else ""
        if account is None:
            return None  # disconnected (or erased) before the word went out
        person = Actor(claimed.platform, claimed.workspace_external_id, claimed.person_external_id)
        page = await accounts_page(services, person)
        locale = await _locale_of(services, claimed.person_id)
        said = translate("accounts.now_connected", locale, network=_label(network), name=name)
        return dataclasses.replace(
            page, blocks=(Text(said), *page.blocks), tag=f"delivery:{claimed.delivery_id}"
        )

    def wanted(self, person: PersonState, *, now: datetime) -> bool:
        """Always: it answers what the person just did."""
        return True

    async def sent(self, session: AsyncSession, claimed: ClaimedDelivery, *, now: datetime) -> None:
        """Connecting was recorded when it happened; nothing more to record."""


# ---------------------------------------------------------------- posting


@dataclass(frozen=True)
class _Kept:
    """What the share panel shows again when nothing was posted."""

    caller: Caller
    item: ContentItem
    caption: str
    link: str


@dataclass(frozen=True)
class _Prepared:
    """A share claimed for posting, with the account to post it through."""

    caller: Caller
    item: ContentItem
    share_id: int
    caption: str
    link: str
    account: AccountTokens

    @property
    def kept(self) -> _Kept:
        return _Kept(self.caller, self.item, self.caption, self.link)


async def post_now(
    services: Services,
    actor: Actor,
    *,
    content_id: int,
    network: Network,
    scheduled: bool = False,
) -> Reply:
    """Post the caption the person saw, with the tracked link, through their account.

    A second press posts nothing more: it answers with the post. An expired connection asks
    to connect again and keeps the caption; a busy network says so and keeps it too. A
    scheduled post (from the outbox) raises DeliveryError instead, so the outbox retries it.
    """
    prepared_or_reply = await _prepare(services, actor, content_id=content_id, network=network)
    if isinstance(prepared_or_reply, Reply):
        return prepared_or_reply
    prepared = prepared_or_reply
    try:
        ref, url = await _publish(services, prepared, network=network)
    except AuthExpired:
        async with services.db.session() as session:
            await store.release_claim(session, share_id=prepared.share_id)
            return await _reconnect_reply(services, session, prepared.kept, network=network)
    except NetworkBusy as busy:
        log.warning("posting to %s failed: %s", network.value, busy)
        if busy.ambiguous:
            # The post may exist: the claim stays until its lease ends, so a press meanwhile
            # (or the outbox) does not post it a second time; the person is asked to look.
            if scheduled:
                raise DeliveryError(f"{network.value} unsure", permanent=True) from None
            return _kept_reply(prepared.kept, network, "accounts.unsure")
        await _release(services, prepared.share_id)
        if scheduled:
            raise DeliveryError(f"{network.value} busy", permanent=False) from None
        return _kept_reply(prepared.kept, network, "accounts.busy")
    except PostRefused as refused:
        log.warning("%s refused a post: %s", network.value, refused.status)
        await _release(services, prepared.share_id)
        return _kept_reply(prepared.kept, network, "accounts.refused")
    return await _posted(services, prepared, network=network, ref=ref, url=url)


async def _written_share(
    session: AsyncSession, caller: Caller, *, content_id: int, network: Network
) -> tuple[Share, str]:
    """The person's share of this item on this network, and the caption they wrote."""
    record = await find_share(
        session, person_id=caller.person.id, content_id=content_id, network=network
    )
    if record is None or not record.final_caption:
        raise InvalidInput(
            "share.not_started", "Press the share button first, then confirm you posted it."
        )
    return record, record.final_caption


async def _prepare(
    services: Services, actor: Actor, *, content_id: int, network: Network
) -> _Prepared | Reply:
    """Everything the post needs, read and claimed in one transaction (no network call)."""
    box, now = services.accounts.box, services.clock.now()
    if box is None or not services.accounts.enabled(network):
        raise InvalidInput("accounts.network", "That network cannot be connected here.")
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        # Nothing is posted for someone who left, nor during a programme-wide pause.
        require_participant(caller)
        record, caption = await _written_share(
            session, caller, content_id=content_id, network=network
        )
        item = await get_content(session, workspace_id=caller.workspace.id, content_id=content_id)
        if record.posted_ref:
            return await _already_posted(services, session, caller, item, record, network)
        code = await session.scalar(select(Link.code).where(Link.id == record.link_id))
        link = services.link_url(str(code))
        try:
            account = await store.load_account(
                session, box=box, person_id=caller.person.id, network=network
            )
        except TokenUnreadable:
            # The key changed without keeping the old one: as good as not connected.
            account = None
        if account is None or _expired(account, now):
            kept = _Kept(caller, item, caption, link)
            return await _reconnect_reply(services, session, kept, network=network)
        if not await store.claim_for_posting(session, share_id=record.id, now=now):
            raise InvalidInput("share.posting", "This is being posted right now; wait a moment.")
        return _Prepared(caller, item, record.id, caption, link, account)


def _expired(account: AccountTokens, now: datetime) -> bool:
    return _past(account.expires_at, now)


def _past(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and moment <= now


async def _publish(services: Services, prepared: _Prepared, *, network: Network) -> tuple[str, str]:
    """Create the post; (the network's id of it, its public address)."""
    item, account = prepared.item, prepared.account
    if network is Network.LINKEDIN:
        config = services.accounts.linkedin
        assert config is not None
        urn = await linkedin.create_post(
            config,
            access_token=account.access_token,
            member_id=account.external_id,
            text=prepared.caption,
            article=linkedin.Article(prepared.link, item.title, item.description or ""),
        )
        return urn, linkedin.post_url(urn)
    config_b = services.accounts.bluesky
    assert config_b is not None
    session = bluesky.Session(
        did=account.external_id,
        handle=account.display_name,
        access_jwt=account.access_token,
        refresh_jwt=account.refresh_token or "",
    )
    text = bluesky.post_text(prepared.caption, prepared.link)
    card = bluesky.LinkCard(prepared.link, item.title, item.description or "")
    now = services.clock.now()
    try:
        uri = await bluesky.create_post(config_b, session=session, text=text, card=card, now=now)
    except AuthExpired:
        if not session.refresh_jwt:
            raise
        # Access tokens last hours; the refresh token renews them without the password.
        session = await bluesky.refresh_session(config_b, refresh_jwt=session.refresh_jwt)
        await _save_session(services, prepared, session)
        uri = await bluesky.create_post(config_b, session=session, text=text, card=card, now=now)
    return uri, bluesky.post_url(session.handle, uri)


async def _save_session(services: Services, prepared: _Prepared, session: bluesky.Session) -> None:
    box = services.accounts.box
    assert box is not None
    tokens = dataclasses.replace(
        prepared.account,
        access_token=session.access_jwt,
        refresh_token=session.refresh_jwt,
        display_name=session.handle,
    )
    async with services.db.session() as db_session:
        await store.save_account(db_session, box=box, tokens=tokens, now=services.clock.now())


async def _release(services: Services, share_id: int) -> None:
    async with services.db.session() as session:
        await store.release_claim(session, share_id=share_id)


async def _posted(
    services: Services, prepared: _Prepared, *, network: Network, ref: str, url: str
) -> Reply:
    now = services.clock.now()
    async with services.db.session() as session:
        caller = prepared.caller
        await store.mark_posted(session, share_id=prepared.share_id, ref=ref, now=now)
        record = await find_share(
            session, person_id=caller.person.id, content_id=prepared.item.id, network=network
        )
        assert record is not None
        if await confirm_share(session, share=record, now=now):
            await record_for(
                session,
                caller,
                EventType.SHARE_CONFIRMED,
                at=now,
                content_id=prepared.item.id,
                payload={"network": network.value, "posted_by": "account"},
            )
        posted = await confirmed_networks(
            session, person_id=caller.person.id, content_id=prepared.item.id
        )
    # The panel that showed the caption is replaced by this answer (or it comes as a new
    # message, for a planned post): it says itself what was posted.
    said = translate(
        "share.posted_now", caller.locale, network=_label(network), caption=prepared.caption
    )
    return _with_post_link(
        caller.locale,
        network,
        url,
        posted_reply(
            caller, prepared.item, posted, caption=prepared.caption, source="dm", services=services
        ),
        said=said,
    )


async def _already_posted(
    services: Services,
    session: AsyncSession,
    caller: Caller,
    item: ContentItem,
    record: Share,
    network: Network,
) -> Reply:
    """The post, and the item as it stands: the answer replaces the card pressed on (a late
    second press replaces the first one's answer), so the other networks must stay on it."""
    ref = str(record.posted_ref)
    url = linkedin.post_url(ref) if network is Network.LINKEDIN else _bluesky_url(ref)
    said = translate("share.already_posted", caller.locale, network=_label(network))
    posted = await confirmed_networks(session, person_id=caller.person.id, content_id=item.id)
    item_now = posted_reply(
        caller, item, posted, caption=record.final_caption or "", source="dm", services=services
    )
    return _with_post_link(caller.locale, network, url, item_now, said=said)


def _bluesky_url(uri: str) -> str:
    # at://did/app.bsky.feed.post/rkey: bsky.app accepts the DID where a handle goes.
    did = uri.removeprefix("at://").split("/", 1)[0]
    return bluesky.post_url(did, uri)


def _with_post_link(locale: str, network: Network, url: str, reply: Reply, *, said: str) -> Reply:
    label = _label(network)
    view = Actions(
        (Button(translate("share.view_post", locale, network=label), actions.OPEN_LINK, url=url),)
    )
    return dataclasses.replace(reply, blocks=(Text(said), view, *reply.blocks))


def _kept_reply(kept: _Kept, network: Network, key: str) -> Reply:
    """A clear word and the share panel again, caption kept, nothing posted."""
    caller, label = kept.caller, _label(network)
    panel = share_ready_reply(caller, kept.item, network, kept.caption, kept.link, can_post=True)
    said = Text(translate(key, caller.locale, network=label))
    return dataclasses.replace(panel, blocks=(said, *panel.blocks))


async def _reconnect_reply(
    services: Services, session: AsyncSession, kept: _Kept, *, network: Network
) -> Reply:
    """The connection expired or was revoked: connect again; the caption stays on the panel."""
    caller = kept.caller
    state = await store.new_connect_state(
        session, person_id=caller.person.id, network=network, now=services.clock.now()
    )
    label = _label(network)
    connect = Button(
        translate("accounts.connect", caller.locale, network=label),
        actions.OPEN_LINK,
        url=services.connect_url(network.value, state),
    )
    # This answer replaces the panel the person pressed on: it keeps "Post to … now" (and the
    # caption), which they press once connected again, as it says.
    panel = share_ready_reply(
        caller, kept.item, network, kept.caption, kept.link, can_post=True, extra=(connect,)
    )
    said = Text(translate("accounts.reconnect", caller.locale, network=label))
    return dataclasses.replace(panel, blocks=(said, *panel.blocks))


# ---------------------------------------------------------------- posting later (the outbox)

POST = "post"
POST_HOUR = 9


def _slot(share_id: int) -> str:
    return f"{POST}:{share_id}"


def _tomorrow_at_nine(services: Services, caller: Caller) -> datetime:
    """09:00 tomorrow in the person's time zone (else the workspace's), as a UTC moment."""
    local = zone(caller.person.timezone or caller.workspace.timezone or services.default_timezone)
    today = services.clock.now().astimezone(local).date()
    return datetime.combine(today + timedelta(days=1), time(POST_HOUR), tzinfo=local).astimezone(
        UTC
    )


async def post_later(
    services: Services, actor: Actor, *, content_id: int, network: Network
) -> Reply:
    """Plan the post for 09:00 tomorrow through the outbox: once, cancellable until then."""
    if not services.accounts.enabled(network):
        raise InvalidInput("accounts.network", "That network cannot be connected here.")
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_participant(caller)
        record, _ = await _written_share(session, caller, content_id=content_id, network=network)
        if record.posted_ref:
            item = await get_content(
                session, workspace_id=caller.workspace.id, content_id=content_id
            )
            return await _already_posted(services, session, caller, item, record, network)
        due = _tomorrow_at_nine(services, caller)
        planned = PlannedDelivery(caller.person.id, _slot(record.id), POST, due)
        if not await outbox.plan(session, planned=[planned]):
            # Planned before (perhaps cancelled since): plan it again for the new time.
            await session.execute(
                update(Delivery)
                .where(Delivery.person_id == caller.person.id, Delivery.slot == _slot(record.id))
                .where(Delivery.status.in_(("pending", "retry", "cancelled")))
                .values(status="pending", due_at=due, available_at=due, attempts=0, error=None)
            )
    local = due.astimezone(zone(caller.person.timezone or caller.workspace.timezone))
    label = _label(network)
    when = local.strftime("%Y-%m-%d %H:%M")
    cancel = Button(
        translate("share.post_later.cancel", caller.locale),
        actions.SHARE_POST_CANCEL,
        f"{content_id}:{network.value}",
        "danger",
    )
    said = Text(translate("share.post_later.planned", caller.locale, network=label, when=when))
    return Reply(blocks=(said, Actions((cancel,))))


async def cancel_post_later(
    services: Services, actor: Actor, *, content_id: int, network: Network
) -> Reply:
    """Cancel a planned post that has not gone yet; the share panel comes back."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        record = await find_share(
            session, person_id=caller.person.id, content_id=content_id, network=network
        )
        if record is None:
            raise InvalidInput(
                "share.not_started", "Press the share button first, then confirm you posted it."
            )
        result = await session.execute(
            update(Delivery)
            .where(Delivery.person_id == caller.person.id, Delivery.slot == _slot(record.id))
            .where(Delivery.status.in_(("pending", "retry")))
            .values(status="cancelled")
        )
        cancelled = int(getattr(result, "rowcount", 0)) > 0
        item = await get_content(session, workspace_id=caller.workspace.id, content_id=content_id)
        code = await session.scalar(select(Link.code).where(Link.id == record.link_id))
        can_post = services.accounts.enabled(network)
    label = _label(network)
    if not cancelled:
        return Reply.text(translate("share.post_later.too_late", caller.locale, network=label))
    panel = share_ready_reply(
        caller,
        item,
        network,
        record.final_caption or "",
        services.link_url(str(code)),
        can_post=can_post,
    )
    said = Text(translate("share.post_later.cancelled", caller.locale, network=label))
    return dataclasses.replace(panel, blocks=(said, *panel.blocks))


class PostDelivery:
    """A post planned for later: posted when due, then the person is told, like a press."""

    async def compose(self, services: Services, claimed: ClaimedDelivery) -> Reply | None:
        """Post now (raising DeliveryError when the network is busy); the answer to send."""
        share_id = int(claimed.slot.removeprefix(f"{POST}:"))
        async with services.db.session() as session:
            share = await session.get(Share, share_id)
            if share is None or share.person_id != claimed.person_id or share.posted_ref:
                return None  # erased, or posted by a press meanwhile
            content_id, network = share.content_id, Network(share.network)
        person = Actor(claimed.platform, claimed.workspace_external_id, claimed.person_external_id)
        try:
            reply = await post_now(
                services, person, content_id=content_id, network=network, scheduled=True
            )
        except InvalidInput:
            return None  # left, paused, or the item is gone: nothing is posted
        return dataclasses.replace(reply, tag=f"delivery:{claimed.delivery_id}")

    def wanted(self, person: PersonState, *, now: datetime) -> bool:
        """Always: consent was checked when composing, which posts (post_now refuses someone
        who left or paused); what remains is telling the person what was posted."""
        return True

    async def sent(self, session: AsyncSession, claimed: ClaimedDelivery, *, now: datetime) -> None:
        """The share was confirmed when it was posted; nothing more to record."""
