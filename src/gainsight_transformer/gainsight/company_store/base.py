"""What Company resolution keeps between requests, and the one interface over where it is kept.

Three things per tenant (domain + access key, throttle.Tenant): the lock that covers "search, then
create" for a company name, the name → Gsid cache of companies known to exist, and the 429
fast-fail window. docs/scaling.md says which store shares them with whom.

Every store takes a name's lock in two layers: first this process's asyncio lock (so coroutines of
one process queue here and never poll the shared store against each other), then the shared one.
Keys are taken in sorted order in both layers, so two holders of overlapping sets cannot deadlock.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ...rudder.errors import RetryableError
from ...telemetry import metrics
from ..company_cache import KeyedLocks
from ..throttle import Tenant

#: The `operation` label of gainsight_company_store_errors_total, and what it means.
OPERATIONS = {
    "lock": "take a company lock",
    "release": "release a company lock",
    "confirm": "confirm a company lock",
    "cache_read": "read the company cache",
    "cache_write": "write the company cache",
    "cache_forget": "forget a cached company",
    "window_read": "read a 429 window",
    "window_write": "share a 429 window",
}


class StoreError(RetryableError):
    """The shared store did not answer (down, slow, refused): the group event is retried later."""


class LockTimeout(RetryableError):
    """A company name stayed locked by another request for longer than COMPANY_LOCK_WAIT_SECONDS."""


def tenant_id(tenant: Tenant) -> str:
    """A tenant as the shared stores name it: a digest, so no access key is ever written there."""
    host, key = tenant
    return hashlib.sha256(f"{host}\0{key}".encode()).hexdigest()[:32]


def lock_scope(tenant: Tenant) -> str:
    """Locks are per domain, not per access key: two keys of one Gainsight tenant write into the
    same Company table, so their creates of one name must not overlap either."""
    return hashlib.sha256(tenant[0].encode()).hexdigest()[:32]


def name_id(key: str) -> str:
    """A company name key (company_jobs.name_key) as the shared stores name it: fixed length."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(slots=True, eq=False)
class Held:
    """Locks one request holds on one tenant's company names, until `CompanyStore.unlock`."""

    tenant: Tenant
    keys: list[str]
    local: list[Any] = field(default_factory=list)
    shared: Any = None


class CompanyStore(ABC):
    """Company locks, cache and 429 windows, kept in one process, one host or Redis."""

    #: `process`, `host` or `redis`: the label of the store's metrics and of /health.
    kind: str = ""
    #: Whether `known` can ever find a name (COMPANY_CACHE_TTL_SECONDS and _SIZE above 0).
    cache_enabled: bool = False

    def __init__(self, lock_wait: float) -> None:
        self.lock_wait = lock_wait
        self.local_locks = KeyedLocks()

    # ----- locks -----
    async def lock(self, tenant: Tenant, keys: Iterable[str]) -> Held:
        """Hold every name key of `keys` for `tenant`; LockTimeout after `lock_wait` seconds,
        StoreError when the shared store fails."""
        held = Held(tenant, sorted(set(keys)))
        if not held.keys:
            return held
        scope = lock_scope(tenant)
        waited = False
        deadline = time.monotonic() + self.lock_wait
        try:
            async with asyncio.timeout(self.lock_wait):
                waited = self.local_locks.busy((scope, key) for key in held.keys)
                held.local = await self.local_locks.acquire((scope, key) for key in held.keys)
        except TimeoutError:
            raise self._timeout(len(held.keys)) from None
        try:
            held.shared, shared_waited = await self._take(tenant, held.keys, deadline)
        except BaseException:
            self.local_locks.release(held.local)
            if waited:
                self._count_wait(timed_out=False)
            raise
        if waited or shared_waited:
            self._count_wait(timed_out=False)
        return held

    async def unlock(self, held: Held) -> None:
        try:
            if held.shared is not None:
                await self._give(held)
        finally:
            self.local_locks.release(held.local)
            held.local, held.shared = [], None

    async def confirm(self, held: Held) -> None:
        """Before a create: raise StoreError unless every lock is still ours (a shared store may
        have lost it: restarted, flushed, expired)."""
        return None

    def _timeout(self, count: int) -> LockTimeout:
        self._count_wait(timed_out=True)
        return LockTimeout(
            f"{count} company name{'s' if count != 1 else ''} of this request stayed locked by other "
            f"requests for {self.lock_wait:g} s (COMPANY_LOCK_WAIT_SECONDS); retry"
        )

    def _count_wait(self, *, timed_out: bool) -> None:
        counter = metrics.COMPANY_LOCK_TIMEOUTS if timed_out else metrics.COMPANY_LOCK_WAITS
        counter.inc((self.kind,))

    def _error(self, operation: str, exc: BaseException | str) -> StoreError:
        """Count a failed `operation` (a key of OPERATIONS) and word it for the event's error."""
        metrics.COMPANY_STORE_ERRORS.inc((self.kind, operation))
        reason = exc if isinstance(exc, str) else type(exc).__name__
        doing = OPERATIONS[operation]
        return StoreError(f"the company store ({self.kind}) failed to {doing}: {reason}; retry")

    @abstractmethod
    async def _take(self, tenant: Tenant, keys: list[str], deadline: float) -> tuple[Any, bool]:
        """Take the shared locks by `deadline` (time.monotonic); (handle for `_give`, had to wait)."""

    @abstractmethod
    async def _give(self, held: Held) -> None:
        """Release the shared locks (only ours)."""

    # ----- name → Gsid cache -----
    @abstractmethod
    async def known(self, tenant: Tenant, keys: list[str]) -> set[str]:
        """The keys of `keys` whose company is known to exist."""

    @abstractmethod
    async def remember(self, tenant: Tenant, gsids: dict[str, Any]) -> None:
        """Companies known to exist now: key → Gsid."""

    @abstractmethod
    async def forget(self, tenant: Tenant, keys: list[str]) -> None: ...

    # ----- 429 windows -----
    @abstractmethod
    async def blocked(self, tenant: Tenant) -> tuple[float, str] | None:
        """(until, error text) while the tenant's calls fail fast (time.time seconds); None when not."""

    @abstractmethod
    async def block(self, tenant: Tenant, until: float, message: str) -> None: ...

    # ----- life -----
    async def open(self) -> None:
        """Connect (called by the app's lifespan); never raises for an unreachable store."""
        return None

    async def aclose(self) -> None:
        return None

    async def health(self) -> dict[str, Any]:
        """What /health reports of the store: never raises, answers quickly."""
        return {"kind": self.kind, "state": "up"}
