"""The Teams app package (teams-app.zip): manifest v1.19 and the two icons, from settings."""

from __future__ import annotations

import json
import uuid
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.teams.icons import colour_icon, outline_icon
from bot.teams.platform import CAPABILITIES
from domain.errors import InvalidInput
from handlers.command_spec import CommandSpec
from handlers.commands import COMMANDS
from messages import translate

MANIFEST_VERSION = "1.19"
SCHEMA = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}"
    "/MicrosoftTeams.schema.json"
)
ACCENT = "#2563EB"
# Teams shows at most ten commands per scope; titles up to 32, descriptions up to 128.
_MENU_COMMANDS = 10
_TITLE_CHARS = 32
_DESCRIPTION_CHARS = 128
# Where each command is offered: what everyone types in the personal chat, the content team's
# work in teams, the admins' settings in group chats. Teams shows ten a scope, so these are a
# choice from the registry; `help` lists everything a person may run.
_MENU_CHOICE = {
    "personal": (
        "picks", "prefs", "insights", "tips", "in", "out", "pause", "suggest", "my-data", "help",
    ),
    "team": (
        "add", "list", "edit", "retire", "approve", "reject", "stats", "export", "send-now",
        "self-driven",
    ),
    "groupChat": (
        "role", "guidelines", "disclosure", "schedule", "channel", "needs-help",
        "insights refresh", "pause programme", "resume programme", "later",
    ),
}  # fmt: skip


def _menus() -> dict[str, list[CommandSpec]]:
    """The menus, keeping only commands the registry has and Teams can serve."""
    known = {spec.name: spec for spec in COMMANDS if spec.available_on(CAPABILITIES)}
    return {
        scope: [known[name] for name in names if name in known][:_MENU_COMMANDS]
        for scope, names in _MENU_CHOICE.items()
    }


MENUS = _menus()


@dataclass(frozen=True)
class PackageSettings:
    """What the package needs: the bot's app id, the public address and the legal pages."""

    app_id: str
    public_base_url: str
    privacy_url: str
    terms_url: str
    developer: str = "Social Boost"


def manifest(settings: PackageSettings) -> dict[str, Any]:
    """The app manifest (schema v1.19) for a single-tenant bot in all three scopes."""
    _check(settings)
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version("socialboost"),
        "id": settings.app_id,
        "developer": {
            "name": settings.developer[:32],
            "websiteUrl": settings.public_base_url,
            "privacyUrl": settings.privacy_url,
            "termsOfUseUrl": settings.terms_url,
        },
        "name": {"short": "Social Boost", "full": "Social Boost: share news in your own words"},
        "description": {
            "short": "Company news worth sharing, in your own words — if you want to.",
            "full": translate("welcome.body", "en"),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [_bot(settings.app_id)],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [urlsplit(settings.public_base_url).netloc],
    }


def _bot(app_id: str) -> dict[str, Any]:
    return {
        "botId": app_id,
        "scopes": list(MENUS),
        "supportsFiles": False,
        "isNotificationOnly": False,
        "commandLists": [
            {"scopes": [scope], "commands": [_command(spec) for spec in specs]}
            for scope, specs in MENUS.items()
        ],
    }


def _command(spec: CommandSpec) -> dict[str, str]:
    """A menu entry from the command's help line ('add <link> — preview and add …')."""
    usage, _, meaning = translate(f"help.{spec.key}", "en").partition(" — ")
    usage = usage.strip()
    description = f"{meaning} ({usage})" if usage and usage != spec.name else meaning
    if len(description) > _DESCRIPTION_CHARS:
        description = description[: _DESCRIPTION_CHARS - 1] + "…"
    return {"title": spec.name[:_TITLE_CHARS], "description": description}


def _check(settings: PackageSettings) -> None:
    try:
        uuid.UUID(settings.app_id)
    except ValueError:
        raise InvalidInput(
            "teams.app_id",
            "TEAMS_APP_ID must be the bot's Microsoft app id (a GUID), not '{value}'.",
            value=settings.app_id[:60],
        ) from None
    for url in (settings.public_base_url, settings.privacy_url, settings.terms_url):
        if urlsplit(url).scheme != "https" or not urlsplit(url).netloc:
            raise InvalidInput(
                "teams.https",
                "Teams needs https addresses; '{url}' is not one (set PUBLIC_BASE_URL).",
                url=url[:100],
            )


def write_package(path: Path, settings: PackageSettings) -> dict[str, Any]:
    """Write the zip Teams accepts for upload: manifest.json, color.png, outline.png."""
    document = manifest(settings)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(document, ensure_ascii=False, indent=2))
        archive.writestr("color.png", colour_icon(192))
        archive.writestr("outline.png", outline_icon(32))
    return document
