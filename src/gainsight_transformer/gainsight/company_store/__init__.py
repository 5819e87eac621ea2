"""Where Company resolution keeps its locks, cache and 429 windows (docs/scaling.md)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ...settings import Settings
from ..company_cache import CompanyCache
from .base import CompanyStore, Held, LockTimeout, StoreError
from .host import HostStore
from .process import ProcessStore

__all__ = ["CompanyStore", "Held", "LockTimeout", "StoreError", "company_store"]


def company_store(
    settings: Settings,
    shared_dir: Path | None = None,
    clock: Callable[[], float] = time.time,
    monotonic: Callable[[], float] = time.monotonic,
) -> CompanyStore:
    """REDIS_URL → Redis; a worker of several (`shared_dir` from the supervisor) → the host's
    directory; otherwise this process alone."""
    if settings.redis_url:
        from .redis_store import RedisStore  # the client is imported only where it is used

        return RedisStore(
            settings.redis_url,
            prefix=settings.redis_key_prefix,
            lock_wait=settings.company_lock_wait_seconds,
            lock_ttl=settings.company_lock_ttl_seconds,
            cache_ttl=settings.company_cache_ttl_seconds,
            cache_enabled=settings.company_cache_size > 0,
            timeout=settings.redis_timeout_seconds,
            clock=clock,
        )
    if shared_dir is not None:
        return HostStore(
            shared_dir,
            lock_wait=settings.company_lock_wait_seconds,
            cache_ttl=settings.company_cache_ttl_seconds,
            cache_size=settings.company_cache_size,
            clock=clock,
        )
    cache = CompanyCache(settings.company_cache_ttl_seconds, settings.company_cache_size, monotonic)
    return ProcessStore(cache, settings.company_lock_wait_seconds, clock)
