"""Service settings, read from environment variables (names are the field names upper-cased)."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: LOG_LEVEL's accepted spellings (ours, rudder-server's and rudder-transformer's) → Python's name.
LOG_LEVELS = {
    "debug": "debug",
    "trace": "debug",
    "verbose": "debug",
    "info": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "critical": "critical",
    "fatal": "critical",
}
#: One GAINSIGHT_HOST_ALLOWLIST entry: a host name or address, optionally `:port`.
ALLOWLIST_ENTRY = re.compile(r"(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def allowlist_form(entry: str) -> str:
    """What an allowlist entry written as a URL should have been: its host[:port]."""
    parts = urlsplit(entry if "//" in entry else f"//{entry}")
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or entry
    return f"{host}:{port}" if port else host


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    host: str = Field("0.0.0.0", description="Address uvicorn binds to.")
    port: int = Field(9090, ge=1, le=65535, description="Port uvicorn listens on.")
    log_level: str = Field(
        "info",
        description="Level of the logs: debug, info, warning (or warn), error, critical (or fatal), "
        "any case; trace and verbose mean debug. Stored as Python's name for it.",
    )
    workers: int | None = Field(
        None,
        ge=1,
        description="Worker processes, each with its own SO_REUSEPORT socket on the port; default: the "
        "CPUs this process may use (its CPU affinity, capped by the cgroup CPU quota).",
    )
    shutdown_timeout_seconds: float = Field(
        25.0,
        gt=0,
        description="On SIGTERM/SIGINT: seconds in-flight requests get to finish before uvicorn closes "
        "their connections; the outbound HTTP client is closed after that. Keep it below the "
        "orchestrator's grace period (Kubernetes: 30 s).",
    )
    request_read_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="Seconds a client has to send a whole request (head and body) from its first byte; "
        "slower ones get 408 and are disconnected (slow clients cannot hold connections for good).",
    )
    keep_alive_timeout_seconds: float = Field(
        5.0, gt=0, description="Seconds an idle keep-alive connection is kept open."
    )
    limit_concurrency: int = Field(
        1000,
        ge=1,
        description="Most connections and requests a worker serves at once; beyond, uvicorn answers 503.",
    )
    max_events_per_request: int = Field(
        10_000,
        ge=1,
        description="Most events in one transform request (rudder-server sends 100 per processor and 20 "
        "per router request by default); more: 413 before any event is read.",
    )
    max_bytes_in_flight: int = Field(
        1024 * 1024 * 1024,
        ge=1024,
        description="Most memory that requests with bodies over 1 MiB may take at once: first their "
        "declared size, then the most their decoded body may cost; a large request that does not fit "
        "while others are in flight gets 503 with Retry-After, one that could not fit alone 413.",
    )
    max_body_bytes: int = Field(
        200 * 1024 * 1024,
        ge=1024,
        description="Largest accepted request body (after gzip/deflate inflation); larger → 413.",
    )
    max_proxy_body_bytes: int = Field(
        8 * 1024 * 1024,
        ge=1024,
        description="Largest body of a proxy request (/v0|v1/destinations/gainsight/proxy; after "
        "gzip/deflate inflation); larger → 413 before it is parsed. A proxy request carries one "
        "delivery request built from one event, and rudder-server's gateway refuses requests over "
        "4,000 KB (Gateway.maxReqSizeInKB), so 8 MiB leaves room without letting a body stall the "
        "service.",
    )
    group_deadline_seconds: float = Field(
        20.0,
        gt=0,
        description="Most seconds a request's Company calls (group events) may take; the group events "
        "still waiting then get a retryable 500, so every request is answered before clients time out "
        "and before SHUTDOWN_TIMEOUT_SECONDS ends (it must be shorter).",
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
    company_cache_ttl_seconds: float = Field(
        300.0,
        ge=0,
        description="Seconds a company known to exist (by domain, access key and name) lets group "
        "events skip the Company search; 0 disables the cache.",
    )
    company_cache_size: int = Field(
        10_000,
        ge=0,
        description="Most company names kept in that cache (least recently used leave); 0 disables it.",
    )
    company_search_chunk_size: int = Field(
        500,
        ge=1,
        le=5000,
        description="Most distinct company names in one Company search (operator IN) of a request.",
    )
    company_write_batch_size: int = Field(
        50, ge=1, le=50, description="Most records in one Company create (POST) or update (PUT) call."
    )
    company_throttle_window_seconds: float = Field(
        60.0,
        ge=0,
        description="Gainsight's fixed rate-limit window: after a 429, the tenant's Company calls fail "
        "fast until the window ends (or Retry-After); 0 disables the fast-fail.",
    )
    company_lock_wait_seconds: float = Field(
        10.0,
        gt=0,
        description="Most seconds a group event waits for the lock on its company name (held by a "
        "request creating that company); past it the event gets a retryable 500.",
    )
    company_lock_ttl_seconds: float = Field(
        30.0,
        gt=0,
        description="With REDIS_URL: expiry of a company lock in Redis, in case its holder dies; "
        "must be longer than GROUP_DEADLINE_SECONDS. A Redis that has been up for less hands out no "
        "lock (one restarted without its data may have lost locks still in use).",
    )
    redis_url: str | None = Field(
        None,
        description="redis://, rediss:// (TLS) or unix:// address of a Redis shared by every process of "
        "every replica: company locks, cache and 429 windows (docs/scaling.md); unset: shared by the "
        "workers of one host only.",
    )
    redis_key_prefix: str = Field(
        "gainsight-transformer",
        min_length=1,
        description="Prefix of every key this service writes in Redis.",
    )
    redis_timeout_seconds: float = Field(
        2.0, gt=0, description="Seconds to connect to Redis or wait for one of its answers."
    )
    upstream_transformer_url: str | None = Field(
        None,
        description="Address of a stock rudder-transformer that answers every request this service "
        "does not serve itself (other destinations, user transformations, sources...); unset: those "
        "requests get 404.",
    )
    upstream_timeout_seconds: float = Field(
        600.0,
        gt=0,
        description="Seconds a forwarded request may take (rudder-server waits 600 s for its "
        "transformer; user transformations can be slow). Connecting gets at most 10 s of it.",
    )
    upstream_max_connections: int = Field(
        100, ge=1, description="Pooled connections to the upstream transformer (rudder-server's own cap)."
    )
    upstream_features_refresh_seconds: float = Field(
        30.0, gt=0, description="How often the upstream's /features is read again in the background."
    )
    transformer_build_version: str | None = Field(
        None, description="Reported by /health as `version` when set."
    )
    git_commit_sha: str | None = Field(None, description="Reported by /health when set.")

    @model_validator(mode="after")
    def _answered_before_shutdown(self) -> Settings:
        if self.group_deadline_seconds >= self.shutdown_timeout_seconds:
            raise ValueError(
                "GROUP_DEADLINE_SECONDS must be shorter than SHUTDOWN_TIMEOUT_SECONDS, so that requests "
                "in flight at shutdown are answered"
            )
        if self.redis_url and self.company_lock_ttl_seconds <= self.group_deadline_seconds:
            raise ValueError(
                "COMPANY_LOCK_TTL_SECONDS must be longer than GROUP_DEADLINE_SECONDS, so that no company "
                "lock expires while its request may still create the company"
            )
        return self

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = LOG_LEVELS.get(value.strip().lower())
        if level is None:
            raise ValueError(
                "must be one of debug, info, warning (or warn), error, critical (or fatal), in any "
                "case; trace and verbose mean debug"
            )
        return level

    @field_validator("gainsight_host_allowlist")
    @classmethod
    def _allowlist(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            if not ALLOWLIST_ENTRY.fullmatch(entry):
                raise ValueError(
                    f"{entry!r} is not a host or host:port entry; write {allowlist_form(entry)!r} "
                    "(comma-separated, no scheme, no path)"
                )
        return ",".join(entries)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        # The value is not echoed: it may carry a password.
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL, e.g. redis://redis:6379/0")
        if parts.scheme != "unix" and not parts.hostname:
            raise ValueError("must name a host, e.g. redis://redis:6379/0")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number in range
        except ValueError:
            raise ValueError("has an invalid port") from None
        return value

    @field_validator("upstream_transformer_url")
    @classmethod
    def _upstream_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        # The value is not echoed: it may carry credentials.
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "must be an http:// or https:// URL with a host, e.g. http://rudder-transformer:9090"
            )
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number in range
        except ValueError:
            raise ValueError("has an invalid port") from None
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or a fragment")
        return value.rstrip("/")


def without_credentials(url: str) -> str:
    """An address setting as it may be logged or shown: scheme, host, port and path only."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def describe_invalid(exc: ValidationError) -> str:
    """One line per invalid setting, named as its environment variable; the values are left out
    (an URL may carry credentials)."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        name = "_".join(str(part) for part in error["loc"]).upper() or "settings"
        lines.append(f"  {name}: {error['msg'].removeprefix('Value error, ')}")
    return "\n".join(lines)
