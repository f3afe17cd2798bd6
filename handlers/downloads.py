"""Files as links, for platforms whose messages cannot carry files (Teams bots, in chats).

Each file becomes a short-lived link only its recipient is sent, served by this server at
`/files/<token>`; a PNG small enough may stay in the message (the platform decides which).
"""

from __future__ import annotations

import dataclasses
import mimetypes
from collections.abc import Callable
from typing import Any

from content_store import downloads
from content_store.downloads import KEPT, StoredFile
from handlers import actions
from handlers.context import Services, load_caller
from handlers.types import Actions, Actor, Attachment, Button, Messenger, Reply, Text
from messages import format_duration, translate

KeepInline = Callable[[Attachment], bool]


async def as_links(
    services: Services, actor: Actor, reply: Reply, *, keep_inline: KeepInline
) -> Reply:
    """The reply with each file it cannot carry replaced by a download button for `actor`."""
    offered = [file for file in reply.files if not keep_inline(file)]
    if not offered:
        return reply
    now = services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        tokens = [
            await downloads.keep(
                session,
                person_id=caller.person.id,
                filename=file.filename,
                content=file.content,
                now=now,
            )
            for file in offered
        ]
    locale = caller.locale
    buttons = tuple(
        Button(
            translate("download.button", locale, name=file.filename),
            actions.OPEN_LINK,
            url=services.download_url(token),
        )
        for file, token in zip(offered, tokens, strict=True)
    )
    note = Text(translate("download.note", locale, duration=format_duration(KEPT, locale)))
    kept = tuple(file for file in reply.files if keep_inline(file))
    return dataclasses.replace(reply, blocks=(*reply.blocks, note, Actions(buttons)), files=kept)


async def fetch(services: Services, token: str) -> StoredFile | None:
    """The file behind a download link (one use counted), or None."""
    async with services.db.session() as session:
        return await downloads.take(session, token=token, now=services.clock.now())


def media_type(filename: str) -> str:
    """The media type to serve a file with, from its name."""
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


class FilesAsLinks:
    """A messenger that turns the files of direct messages into download links first."""

    def __init__(
        self, inner: Messenger, *, services: Services, platform: str, keep_inline: KeepInline
    ) -> None:
        self._inner = inner
        self._services = services
        self._platform = platform
        self._keep_inline = keep_inline

    async def send_to_user(self, *, workspace_id: str, user_id: str, reply: Reply) -> str:
        """Send with files as links for the recipient."""
        actor = Actor(self._platform, workspace_id, user_id)
        linked = await as_links(self._services, actor, reply, keep_inline=self._keep_inline)
        return await self._inner.send_to_user(
            workspace_id=workspace_id, user_id=user_id, reply=linked
        )

    async def send_to_channel(self, *, workspace_id: str, channel_id: str, reply: Reply) -> str:
        """Channel posts carry no personal files: sent as they are."""
        return await self._inner.send_to_channel(
            workspace_id=workspace_id, channel_id=channel_id, reply=reply
        )

    async def update(
        self, *, workspace_id: str, conversation_id: str, message_id: str, reply: Reply
    ) -> None:
        """Edits carry no files: passed on."""
        await self._inner.update(
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            message_id=message_id,
            reply=reply,
        )

    def __getattr__(self, name: str) -> Any:
        # Whatever else the platform's messenger offers (its sent-message lookup) stays visible.
        return getattr(self._inner, name)
