"""Service settings, read from environment variables (names are the field names upper-cased)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    host: str = Field("0.0.0.0", description="Address uvicorn binds to.")
    port: int = Field(9090, ge=1, le=65535, description="Port uvicorn listens on.")
    log_level: str = Field("info", description="uvicorn / application log level.")
    max_body_bytes: int = Field(
        200 * 1024 * 1024,
        ge=1024,
        description="Largest accepted request body (after gzip/deflate inflation); larger → 413.",
    )
    gainsight_connect_timeout: float = Field(
        10.0, gt=0, description="Seconds to open a connection to Gainsight."
    )
    gainsight_read_timeout: float = Field(
        60.0, gt=0, description="Seconds to wait for Gainsight's answer (the original waits 60 s)."
    )
    gainsight_max_connections: int = Field(
        20, ge=1, description="Pooled outbound connections to Gainsight hosts."
    )
    gainsight_host_allowlist: str = Field(
        "",
        description="Comma-separated `host` or `host:port` entries that outbound calls may reach even "
        "on private addresses or other ports (for a simulator); empty by default.",
    )
    transformer_build_version: str | None = Field(
        None, description="Reported by /health as `version` when set."
    )
    git_commit_sha: str | None = Field(None, description="Reported by /health when set.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
