"""The Slack app manifest matches what the code listens to and calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]


def _manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    return loaded


def test_manifest_declares_the_command_events_and_home() -> None:
    manifest = _manifest()
    features, settings = manifest["features"], manifest["settings"]
    (command,) = features["slash_commands"]
    assert command["command"] == "/boost" and command["usage_hint"]
    assert command["should_escape"] is True  # mentions arrive as <@U…>, which the parser reads
    assert features["app_home"]["home_tab_enabled"] and features["app_home"]["messages_tab_enabled"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_home_opened", "message.im"}
    assert settings["interactivity"]["is_enabled"] and settings["socket_mode_enabled"]


def test_manifest_asks_only_for_the_scopes_the_code_uses() -> None:
    scopes = set(_manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "chat:write",
        "chat:write.public",
        "commands",
        "im:history",
        "im:write",
        "users:read",
        "users:read.email",
        "files:write",
    }
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot" / "slack").glob("*.py"))
    for call, scope in [
        ("chat_postMessage", "chat:write"),
        ("conversations_open", "im:write"),
        ("users_info", "users:read"),
        ("files_upload_v2", "files:write"),
    ]:
        assert call in source and scope in scopes
