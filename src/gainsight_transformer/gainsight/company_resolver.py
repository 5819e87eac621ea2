"""Company resolution for all group events of one request (docs/mapping.md#group, done in bulk).

Per tenant (base URL + access key): names found in the TTL cache skip the search; the others are
searched together (company_search) under per-name single-flight locks held until their creates are
done, so concurrent requests never create the same company twice (within this process, the
workers of this host or every replica: company_store); then creates and updates go out folded and
batched (company_writes). Every event ends with the Gsid its Person
PUT links to, or with the error the original would have given it.

A cached name still gets its (folded) update: the original always writes the company payload, so
Gainsight's data stays what it would have been; the cache only saves the search.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ..rudder.egress import EgressPolicy
from ..rudder.errors import TransformationFault, TransformError
from ..settings import Settings
from ..telemetry import metrics
from .company_api import CompanyApi, tenant_of
from .company_jobs import GroupJob, name_key
from .company_search import NameSearch
from .company_store import CompanyStore, LockTimeout, StoreError, company_store
from .company_writes import CompanyWriter
from .group import company_payload, resolve_company
from .throttle import Tenant, TenantThrottle

log = logging.getLogger(__name__)


def internal_fault(exc: BaseException) -> TransformationFault:
    return TransformationFault.from_bug(exc, "resolving a company")


class CompanyResolver:
    """Group resolution over a company store (locks, cache, 429 windows) and the batch sizes."""

    def __init__(
        self,
        store: CompanyStore,
        *,
        throttle_window: float = 0,
        clock: Callable[[], float] = time.time,
        chunk_size: int = 500,
        batch_size: int = 50,
    ) -> None:
        self.store = store
        self.throttle = TenantThrottle(store, throttle_window, clock)
        self.chunk_size = chunk_size
        self.batch_size = batch_size

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        shared_dir: Path | None = None,
    ) -> CompanyResolver:
        return cls(
            company_store(settings, shared_dir, clock, monotonic),
            throttle_window=settings.company_throttle_window_seconds,
            clock=clock,
            chunk_size=settings.company_search_chunk_size,
            batch_size=settings.company_write_batch_size,
        )

    def api(self, http: httpx.AsyncClient, egress: EgressPolicy) -> CompanyApi:
        return CompanyApi(http, egress, self.throttle)

    async def resolve(self, api: CompanyApi, jobs: list[GroupJob]) -> None:
        """Give every job its `gsid` or its `error`."""
        tenants: dict[Tenant, list[GroupJob]] = {}
        for job in jobs:
            tenants.setdefault(tenant_of(job.config), []).append(job)
        results = await asyncio.gather(
            *(self._tenant(api, tenant, members) for tenant, members in tenants.items()),
            return_exceptions=True,
        )
        for members, result in zip(tenants.values(), results, strict=True):
            if isinstance(result, StoreError | LockTimeout):
                _fail_unresolved(members, result)
            elif isinstance(result, Exception):
                _fail_unresolved(members, internal_fault(result))
            elif isinstance(result, BaseException):
                raise result

    async def _tenant(self, api: CompanyApi, tenant: Tenant, jobs: list[GroupJob]) -> None:
        store = self.store
        names: dict[str, Any] = {}
        for job in jobs:
            names.setdefault(job.key, job.name)
        known = await store.known(tenant, list(names))
        if store.cache_enabled:
            metrics.COMPANY_CACHE.inc(("hit",), len(known))
            metrics.COMPANY_CACHE.inc(("miss",), len(names) - len(known))
        misses = [key for key in names if key not in known]
        held = await store.lock(tenant, misses)
        try:
            if misses:  # created meanwhile by a request we waited for
                known |= await store.known(tenant, misses)
            search = NameSearch(api, jobs[0].config, self.chunk_size)
            await search.run({key: names[key] for key in misses if key not in known})
            await store.remember(tenant, search.gsids)
            for job in jobs:
                outcome = True if job.key in known else search.outcomes[job.key]
                self._prepare(job, outcome, cached=job.key in known)
            ready = [job for job in jobs if job.error is None]
            if any(job.exists is False for job in ready):
                await store.confirm(held)  # no create unless the names are still ours alone
            saved: dict[str, Any] = {}
            writer = CompanyWriter(api, jobs[0].config, self.batch_size, _saved_into(saved))
            await writer.write(ready)
            # A name already cached keeps its entry's expiry: the cache answers "a search would find
            # it" for COMPANY_CACHE_TTL_SECONDS after it was learnt, then a search checks again.
            await store.remember(tenant, {key: gsid for key, gsid in saved.items() if key not in known})
        finally:
            await store.unlock(held)
        await self._replay(api, tenant, [job for job in jobs if job.replay])

    @staticmethod
    def _prepare(job: GroupJob, outcome: bool | TransformError, *, cached: bool) -> None:
        """Search outcome, then the company payload (the search comes first, as in the original)."""
        if isinstance(outcome, TransformError):
            job.error = outcome
            return
        job.exists, job.cached = outcome, cached
        try:
            job.record = company_payload(job.message, job.config)
        except TransformError as error:
            job.error = error
        except Exception as exc:
            job.error = internal_fault(exc)

    async def _replay(self, api: CompanyApi, tenant: Tenant, jobs: list[GroupJob]) -> None:
        """Resolve events again one by one, in event order, exactly as the original does."""
        if not jobs:
            return
        store = self.store
        for job in jobs:
            job.error, job.gsid = None, None
        await store.forget(tenant, [job.key for job in jobs])
        held = await store.lock(tenant, [job.key for job in jobs])
        try:
            await store.confirm(held)
            saved: dict[str, Any] = {}
            for job in jobs:
                try:
                    job.gsid = await resolve_company(job.message, job.config, api, job.name)
                except TransformError as error:
                    job.error = error
                else:
                    if job.record is not None:
                        _saved_into(saved)(job.record, job.gsid)
            await store.remember(tenant, saved)
        finally:
            await store.unlock(held)


def _saved_into(saved: dict[str, Any]) -> Callable[[dict[str, Any], Any], None]:
    """A writer's `on_saved`: a company written under a `Name` is known to exist under it."""

    def on_saved(record: dict[str, Any], gsid: Any) -> None:
        if "Name" in record:
            saved[name_key(record["Name"])] = gsid

    return on_saved


def _fail_unresolved(jobs: list[GroupJob], error: TransformError) -> None:
    for job in jobs:
        if job.error is None and job.gsid is None:
            job.error = error
