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
    loop_stall_seconds: float = Field(
        default=1.0,
        gt=0,
        description="the server logs a warning, with what its event loop runs, when the loop has "
        "not answered for longer",
    )
    run_worker_in_server: bool = True
    batch_inline_max_bytes: int = Field(
        default=5_000_000,
        ge=0,
        description="a larger batch file is stored and processed by the batch worker (202)",
    )
    # INAMI cell case documents and L410 consultations through the network
    case_document_max_bytes: int = Field(
        default=10_000_000, ge=1, description="the largest document a case accepts"
    )
    insurability_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how long an L410 request waits for the CAS's push endpoint to answer",
    )
    # The bulk path: request body limit, chunk size and lease of the batch worker.
    max_upload_bytes: int = Field(
        default=1_000_000_000, ge=1, description="a larger request body is refused (413)"
    )
    batch_chunk: int = Field(default=20_000, ge=1, description="records routed per transaction")
    batch_lease_seconds: float = Field(
        default=60.0, gt=0, description="a batch whose worker stops renewing it is resumed after"
    )
    credential_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description="seconds a verified bearer credential is remembered by a server process "
        "(a revocation by another process takes effect within them; 0 reads it every request)",
    )
    # Hostile input: the limits checked before a JSON body is parsed (api/guards.py).
    max_json_bytes: int = Field(
        default=1_000_000, ge=1, description="bytes of a JSON request body at most (413 beyond)"
    )
    signing_key: Path = Field(
        default=Path("./carrefour-signing.key"),
        description="Ed25519 key that signs tracking checkpoints (created on first checkpoint)",
    )
    # The operator console.
    console_session_hours: float = Field(
        default=8.0, gt=0, description="a console session expires this long after sign-in"
    )
    # --- evidence, credentials, transport, operations ---
    checkpoint_dir: Path | None = Field(
        default=None,
        description="where the checkpoint file is appended (default: beside the signing key)",
    )
    credential_days: int | None = Field(
        default=None, ge=1, description="days a new credential is valid (none: until revoked)"
    )
    worker_stale_seconds: float = Field(
        default=60.0, gt=0, description="/readyz fails when no worker reported for this long"
    )

    @property
    def checkpoint_directory(self) -> Path:
        return self.checkpoint_dir or self.signing_key.parent / "carrefour-checkpoints"

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
        if value is None:
            continue
        os.environ[f"CARREFOUR_{name.upper()}"] = str(value)
