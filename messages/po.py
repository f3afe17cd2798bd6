"""Reading and writing the gettext `.po` catalogs (one per language, the message key as msgid)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

DOMAIN = "socialboost"
PROJECT = "Social Boost"
# Fixed header dates: rewriting a catalog must not change lines nobody edited.
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_HEADER = "# Social Boost messages.\n# The msgid is the message key; see docs/messages.md.\n#"


def po_text(locale: str) -> str:
    """The `.po` source of one language, as shipped inside the package."""
    path = resources.files(__package__).joinpath("locale", locale, "LC_MESSAGES", f"{DOMAIN}.po")
    return path.read_text(encoding="utf-8")


def po_path(locale: str) -> Path:
    """Where the `.po` source of one language lives in the source tree (for the tools)."""
    return Path(__file__).resolve().parent / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def parse(text: str, locale: str) -> Catalog:
    """A Babel catalog from `.po` text; a broken file raises instead of losing messages."""
    return read_po(io.StringIO(text), locale=locale, domain=DOMAIN, abort_invalid=True)


def empty_catalog(locale: str) -> Catalog:
    """A new catalog whose header carries the language's plural rule (from CLDR via Babel)."""
    return Catalog(
        locale=locale,
        domain=DOMAIN,
        project=PROJECT,
        version="1",
        msgid_bugs_address="translations@socialboost.invalid",
        last_translator="Social Boost <translations@socialboost.invalid>",
        language_team=f"{locale} <translations@socialboost.invalid>",
        header_comment=_HEADER,
        creation_date=_EPOCH,
        revision_date=_EPOCH,
        fuzzy=False,
    )


def is_plural(message: Message) -> bool:
    """Whether a catalog entry has plural forms (msgid_plural / msgstr[n])."""
    return isinstance(message.string, tuple | list)


def forms_of(message: Message) -> tuple[str, ...]:
    """The texts of an entry: one for a plain message, one per plural form otherwise."""
    string = message.string
    if isinstance(string, tuple | list):
        return tuple(str(form) for form in string)
    return (str(string or ""),)


def serialise(catalog: Catalog) -> str:
    """`.po` text, sorted by key so that concurrent additions merge without conflicts."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, omit_header=False)
    return buffer.getvalue().decode("utf-8")


def save(catalog: Catalog, locale: str) -> None:
    """Write one language's catalog to the source tree."""
    path = po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(serialise(catalog), encoding="utf-8")
