"""Settings come from the environment and are all documented; secrets never reach the logs."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.app import safe_database_url
from bot.logging_setup import configure_logging, redact
from bot.platforms import SETTINGS
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _variables() -> list[str]:
    """Every environment variable: the server's settings and each platform's."""
    names = [name.upper() for name in Settings.model_fields]
    for model in SETTINGS:
        prefix = str(model.model_config.get("env_prefix", ""))
        names += [f"{prefix}{name}".upper() for name in model.model_fields]
    return names


def test_every_setting_is_documented_in_env_example_and_configuration_docs() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    names = _variables()
    assert {"SLACK_BOT_TOKEN", "TEAMS_APP_ID", "TEAMS_RATE_BURST", "PORT"} <= set(names)
    for name in names:
        assert re.search(rf"^{name}=", example, re.MULTILINE), name
        # A row of the reference table: the name, then its default and meaning.
        assert re.search(rf"^\| `{name}` \|", reference, re.MULTILINE), name


def test_defaults_are_the_embedded_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    settings = Settings(_env_file=None)
    assert (settings.host, settings.port) == ("127.0.0.1", 3978)
    assert settings.public_url == "http://127.0.0.1:3978"
    assert settings.effective_database_url == "sqlite+aiosqlite:///var/socialboost.db"


def test_bad_values_are_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "99999")
    with pytest.raises(ValidationError, match="port"):
        Settings(_env_file=None)
    monkeypatch.setenv("PORT", "3978")
    monkeypatch.setenv("PUBLIC_BASE_URL", "ftp://x")
    with pytest.raises(ValidationError, match="PUBLIC_BASE_URL must start with http"):
        Settings(_env_file=None)


def test_secrets_do_not_show_in_settings_or_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-verysecretkey123456")
    settings = Settings(_env_file=None)
    assert "verysecret" not in repr(settings)
    assert "hunter2" not in safe_database_url("postgresql+asyncpg://bob:hunter2@db/x")


@pytest.mark.parametrize(
    "secret",
    ["xoxb-1234-5678-abcdef", "xapp-1-A0-123-abc", "sk-proj-abcdefghijkl", "Bearer eyJhbGciOi.x.y"],
)
def test_redaction_removes_tokens(secret: str) -> None:
    assert secret not in redact(f"calling with {secret} now")


def test_json_logs_are_one_redacted_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(level="INFO", fmt="json")
    try:
        logging.getLogger("t").info("token xoxb-99-88-secret used")
    finally:
        configure_logging(level="WARNING", fmt="text")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["logger"] == "t"
    assert "xoxb-99" not in entry["message"]


def test_tracked_links_follow_the_port_when_no_public_address_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression (issue 14): with PORT=4317 links pointed at :3978 and were dead."""
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "4317")
    assert Settings(_env_file=None).public_url == "http://127.0.0.1:4317"
    monkeypatch.setenv("HOST", "0.0.0.0")
    assert Settings(_env_file=None).public_url == "http://127.0.0.1:4317"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://boost.example.org/")
    assert Settings(_env_file=None).public_url == "https://boost.example.org"
