"""The one typed Settings object, read only from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from insights.grouping import Thresholds

DEFAULT_SQLITE_PATH = Path("var/socialboost.db")


class Settings(BaseSettings):
    """Every setting of the service; `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=3978, ge=1, le=65535)
    # Empty: the address this server listens on (so tracked links work on another PORT too).
    public_base_url: str = ""
    database_url: str = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    caption_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    picks_per_week: int = Field(default=3, ge=1, le=10)
    default_timezone: str = "UTC"
    default_locale: Literal["en", "nl"] = "en"
    retention_days: int = Field(default=395, ge=1)

    # Key for the keyed hashes kept after an erasure; empty: generated once into var/.
    secret_key: SecretStr | None = None

    # Connected accounts' tokens: comma-separated keys, the first encrypts, all decrypt (a key
    # derived from SECRET_KEY always decrypts too). Empty: a key derived from SECRET_KEY.
    token_encryption_key: SecretStr | None = None
    # Posting to people's own LinkedIn (Sign In with LinkedIn + Share on LinkedIn); both or none.
    linkedin_client_id: str = ""
    linkedin_client_secret: SecretStr | None = None
    linkedin_auth_url: str = "https://www.linkedin.com"
    linkedin_api_url: str = "https://api.linkedin.com"
    linkedin_version: str = Field(default="202610", pattern=r"^\d{6}$")
    # Posting to people's own Bluesky accounts with an app password they make.
    bluesky_connect: bool = False
    bluesky_api_url: str = "https://bsky.social"

    fetch_allow_loopback: bool = False
    fetch_timeout_seconds: float = Field(default=5.0, gt=0, le=30)

    # Scheduling and delivery (each platform's send rate is among its own settings).
    schedule_grace_hours: float = Field(default=6.0, ge=0, le=72)
    schedule_sync_seconds: float = Field(default=60.0, ge=1, le=3600)
    leader_retry_seconds: float = Field(default=15.0, ge=1, le=60)
    delivery_concurrency: int = Field(default=8, ge=1, le=256)
    delivery_lease_seconds: float = Field(default=120.0, ge=1, le=3600)
    delivery_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    delivery_max_attempts: int = Field(default=5, ge=1, le=50)
    delivery_retry_seconds: float = Field(default=30.0, gt=0, le=3600)

    # Invitations left unanswered this long get their one reminder.
    reminder_after_days: int = Field(default=7, ge=1, le=90)
    # Motivation groups (docs/insights.md): the evidence's window, the split used before a
    # workspace can calibrate its own, and what counts fully as own words and steady.
    insights_nudge_window_hours: float = Field(default=48.0, gt=0, le=720)
    insights_self_driven_score: float = Field(default=0.55, gt=0, lt=1)
    insights_full_rewrite_ratio: float = Field(default=0.3, gt=0, le=1)
    insights_full_steadiness: float = Field(default=0.5, gt=0, le=1)
    insights_quiet_weeks: int = Field(default=3, ge=1, le=52)
    insights_team_wave_hours: float = Field(default=4.0, ge=0, le=24)

    @field_validator("public_base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("PUBLIC_BASE_URL must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("linkedin_auth_url", "linkedin_api_url", "bluesky_api_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("a network's base URL must start with http:// or https://")
        return value.rstrip("/")

    @property
    def linkedin_enabled(self) -> bool:
        """Whether the LinkedIn app is configured (client id and secret both set)."""
        secret = self.linkedin_client_secret
        return bool(self.linkedin_client_id and secret and secret.get_secret_value())

    @property
    def insight_thresholds(self) -> Thresholds:
        """The grouping thresholds from the INSIGHTS_* settings."""
        return Thresholds(
            nudge_window_hours=self.insights_nudge_window_hours,
            self_driven_score=self.insights_self_driven_score,
            full_rewrite_ratio=self.insights_full_rewrite_ratio,
            full_steadiness=self.insights_full_steadiness,
            quiet_weeks=self.insights_quiet_weeks,
            wave_hours=self.insights_team_wave_hours,
        )

    @property
    def public_url(self) -> str:
        """PUBLIC_BASE_URL, or the address served here when it is unset."""
        if self.public_base_url:
            return self.public_base_url
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host  # noqa: S104
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def effective_database_url(self) -> str:
        """DATABASE_URL, or the embedded SQLite file when it is unset."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
