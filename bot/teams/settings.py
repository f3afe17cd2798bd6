"""Teams' settings: the TEAMS_* environment variables (and `.env`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class TeamsSettings(BaseSettings):
    """The bot registration (all three, or none for the local Playground) and the send rate."""

    model_config = SettingsConfigDict(
        env_prefix="TEAMS_", env_file=".env", extra="ignore", frozen=True
    )

    app_id: str = ""
    app_password: SecretStr | None = None
    tenant_id: str = ""
    # Teams allows 50 requests a second per app per tenant; the default stays below.
    rate_per_second: float = Field(default=30.0, gt=0, le=1000)
    rate_burst: float = Field(default=30.0, ge=1, le=1000)
