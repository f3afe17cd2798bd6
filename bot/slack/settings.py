"""Slack's settings: the SLACK_* environment variables (and `.env`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SlackSettings(BaseSettings):
    """The bot token turns Slack on; the signing secret (HTTP) or app token (Socket Mode)."""

    model_config = SettingsConfigDict(
        env_prefix="SLACK_", env_file=".env", extra="ignore", frozen=True
    )

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_url: str | None = None
    # Slack allows "several hundred" chat.postMessage calls a minute per workspace.
    rate_per_second: float = Field(default=5.0, gt=0, le=1000)
    rate_burst: float = Field(default=10.0, ge=1, le=1000)
