"""The store of a single-process service: everything in this process's memory, nothing shared."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..company_cache import CompanyCache
from ..throttle import Tenant
from .base import CompanyStore, Held


class ProcessStore(CompanyStore):
    """WORKERS=1 without REDIS_URL: the asyncio locks are the whole lock."""

    kind = "process"

    def __init__(self, cache: CompanyCache, lock_wait: float, clock: Callable[[], float] = time.time) -> None:
        super().__init__(lock_wait)
        self.cache = cache
        self.cache_enabled = cache.enabled
        self.clock = clock
        self._blocked: dict[Tenant, tuple[float, str]] = {}

    async def _take(self, tenant: Tenant, keys: list[str], deadline: float) -> tuple[Any, bool]:
        return None, False

    async def _give(self, held: Held) -> None:
        pass

    async def known(self, tenant: Tenant, keys: list[str]) -> set[str]:
        cache = self.cache
        return {key for key in keys if cache.get((*tenant, key)) is not None}

    async def remember(self, tenant: Tenant, gsids: dict[str, Any]) -> None:
        for key, gsid in gsids.items():
            self.cache.put((*tenant, key), gsid)

    async def forget(self, tenant: Tenant, keys: list[str]) -> None:
        for key in keys:
            self.cache.discard((*tenant, key))

    async def blocked(self, tenant: Tenant) -> tuple[float, str] | None:
        return self._blocked.get(tenant)

    async def block(self, tenant: Tenant, until: float, message: str) -> None:
        now = self.clock()
        for over in [t for t, (u, _) in self._blocked.items() if u <= now]:
            del self._blocked[over]
        self._blocked[tenant] = (until, message)
