"""Company resolution for all group events of one request (docs/mapping.md#group, done in bulk).

Per tenant (base URL + access key): names found in the TTL cache skip the search; the others are
searched together (company_search) under per-name single-flight locks held until their creates are
done, so concurrent requests of this process never create the same company twice; then creates
and updates go out folded and batched (company_writes). Every event ends with the Gsid its Person
PUT links to, or with the error the original would have given it.

A cached name still gets its (folded) update: the original always writes the company payload, so
Gainsight's data stays what it would have been; the cache only saves the search.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from ..rudder.egress import EgressPolicy
from ..rudder.errors import TransformationFault, TransformError
from ..telemetry import metrics
from .company_api import CompanyApi, tenant_of
from .company_cache import CompanyCache, KeyedLocks
from .company_jobs import GroupJob, name_key
from .company_search import NameSearch
from .company_writes import CompanyWriter
from .group import company_payload, resolve_company
from .throttle import Tenant, TenantThrottle

log = logging.getLogger(__name__)


def internal_fault(exc: BaseException) -> TransformationFault:
    return TransformationFault.from_bug(exc, "resolving a company")


class CompanyResolver:
    """Process-wide state of group resolution: cache, locks, throttle and batch sizes."""

    def __init__(
        self,
        *,
        cache: CompanyCache | None = None,
        throttle: TenantThrottle | None = None,
        chunk_size: int = 500,
        batch_size: int = 50,
    ) -> None:
        self.cache = cache if cache is not None else CompanyCache(ttl=0, size=0)
        self.throttle = throttle if throttle is not None else TenantThrottle(window=0)
        self.locks = KeyedLocks()
        self.chunk_size = chunk_size
        self.batch_size = batch_size

    @classmethod
    def from_settings(
        cls,
        settings: Any,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> CompanyResolver:
        return cls(
            cache=CompanyCache(settings.company_cache_ttl_seconds, settings.company_cache_size, monotonic),
            throttle=TenantThrottle(settings.company_throttle_window_seconds, clock),
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
            if isinstance(result, Exception):
                fault = internal_fault(result)
                for job in members:
                    if job.error is None and job.gsid is None:
                        job.error = fault
            elif isinstance(result, BaseException):
                raise result

    def _known(self, tenant: Tenant, keys: list[str]) -> set[str]:
        return {key for key in keys if self.cache.get((*tenant, key)) is not None}

    async def _tenant(self, api: CompanyApi, tenant: Tenant, jobs: list[GroupJob]) -> None:
        names: dict[str, Any] = {}
        for job in jobs:
            names.setdefault(job.key, job.name)
        known = self._known(tenant, list(names))
        if self.cache.enabled:
            metrics.COMPANY_CACHE.inc(("hit",), len(known))
            metrics.COMPANY_CACHE.inc(("miss",), len(names) - len(known))
        misses = [key for key in names if key not in known]
        held = await self.locks.acquire((tenant[0], key) for key in misses)
        try:
            known |= self._known(tenant, misses)  # created meanwhile by a request we waited for
            search = NameSearch(api, jobs[0].config, self.chunk_size)
            await search.run({key: names[key] for key in misses if key not in known})
            for key, gsid in search.gsids.items():
                self.cache.put((*tenant, key), gsid)
            for job in jobs:
                outcome = True if job.key in known else search.outcomes[job.key]
                self._prepare(job, outcome, cached=job.key in known)
            writer = CompanyWriter(api, jobs[0].config, self.batch_size, self._saved_by(tenant))
            await writer.write([job for job in jobs if job.error is None])
        finally:
            self.locks.release(held)
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

    def _saved_by(self, tenant: Tenant) -> Callable[[dict[str, Any], Any], None]:
        def saved(record: dict[str, Any], gsid: Any) -> None:
            if "Name" in record:
                self.cache.put((*tenant, name_key(record["Name"])), gsid)

        return saved

    async def _replay(self, api: CompanyApi, tenant: Tenant, jobs: list[GroupJob]) -> None:
        """Resolve events again one by one, in event order, exactly as the original does."""
        if not jobs:
            return
        for job in jobs:
            self.cache.discard((*tenant, job.key))
        held = await self.locks.acquire((tenant[0], job.key) for job in jobs)
        try:
            for job in jobs:
                job.error, job.gsid = None, None
                try:
                    job.gsid = await resolve_company(job.message, job.config, api, job.name)
                except TransformError as error:
                    job.error = error
                else:
                    if job.record is not None:
                        self._saved_by(tenant)(job.record, job.gsid)
        finally:
            self.locks.release(held)
