"""Words that name no command: a greeting or a question gets a friendly answer, never a scolding."""

from __future__ import annotations

import unicodedata

from domain.programme import ProgrammeStatus
from handlers import programme
from handlers.context import Services, load_caller
from handlers.types import Actor, Reply
from messages import translate

# Words people open a chat with, in the languages the catalogs speak.
_GREETINGS = frozenset(
    {
        "hi", "hello", "hey", "hiya", "yo", "morning", "good morning", "good afternoon",
        "thanks", "thank you", "cheers", "hallo", "hoi", "goedemorgen", "goedemiddag", "dag",
        "bedankt", "dank je", "dankjewel", "dank je wel",
    }
)  # fmt: skip


def is_greeting(text: str) -> bool:
    """Whether `text` is only a greeting or a thank-you ("Hi!", "hello there", "Thanks")."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = " ".join(folded.replace("!", " ").replace(".", " ").replace(",", " ").split())
    return words in _GREETINGS or words.split(" ")[0] in _GREETINGS


async def free_text(services: Services, actor: Actor) -> Reply:
    """A friendly answer offering picks and help; the welcome for someone never invited."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
    if caller.person.invited_at is None:
        return await programme.welcome(services, actor)
    prefix = services.capabilities(actor.platform).command_prefix
    key = "chat.in" if caller.person.status is ProgrammeStatus.IN else "chat.not_in"
    return Reply.text(translate(key, caller.locale, prefix=prefix))
