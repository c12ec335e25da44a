"""One typed settings object. Nothing else in the package reads the environment."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./carrefour.db"


class Settings(BaseSettings):
    """Settings read from ``CARREFOUR_*`` environment variables (or passed explicitly)."""

    model_config = SettingsConfigDict(env_prefix="CARREFOUR_", extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE_URL, description="SQLAlchemy database URL")
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    push_max_attempts: int = Field(default=8, ge=1, description="tries before a dead letter")
    push_base_delay_seconds: float = Field(default=2.0, gt=0)
    push_max_delay_seconds: float = Field(default=3600.0, gt=0)
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    run_worker_in_server: bool = True
    batch_inline_max_bytes: int = Field(
        default=5_000_000,
        ge=0,
        description="a larger batch file is stored and processed by the batch worker (202)",
    )
    signing_key: Path = Field(
        default=Path("./carrefour-signing.key"),
        description="Ed25519 key that signs tracking checkpoints (created on first checkpoint)",
    )
    # The classic connector (SOAP sendXML).
    gateway_max_body_bytes: int = Field(
        default=10_000_000, ge=1, description="a larger SOAP request is refused unread"
    )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit values (CLI options) taking precedence."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**clean)  # type: ignore[arg-type]


def export_settings(settings: Settings) -> None:
    """Put ``settings`` in the environment, for the processes this one starts (the server's
    worker processes build their own settings from it)."""
    for name, value in settings.model_dump().items():
        os.environ[f"CARREFOUR_{name.upper()}"] = str(value)
