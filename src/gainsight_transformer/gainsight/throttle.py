"""Fast-fail after a 429: a throttled tenant's Company calls fail at once until its window ends.

Gainsight counts calls per tenant in fixed windows aligned to the clock (10:00:00-10:00:59,
docs/gainsight-api.md#rate-limits). Once a call is answered 429 every further call in the same
window is wasted budget, so the tenant's next Company calls fail here with the same throttled error
(status 429, errorType `throttled`, the error text the tripping answer gave its event) until the window
ends, or until the answer's `Retry-After` when it has one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from ..rudder.errors import NetworkError

if TYPE_CHECKING:
    from .company_store import CompanyStore

Tenant = tuple[str, str]
#: A `Retry-After` longer than this is not believed (a misconfigured proxy must not block for days).
MAX_RETRY_AFTER = 3600.0


def retry_after_seconds(headers: dict[str, str] | None, now: float) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP-date); None when absent or bad."""
    value = (headers or {}).get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(when - now, 0.0), MAX_RETRY_AFTER)


class TenantThrottle:
    """Per tenant (base URL, access key): until when calls fail fast, and with which error; the
    windows live in the company store, so every process that shares it fails fast together."""

    def __init__(self, store: CompanyStore, window: float = 60.0, clock: Callable[[], float] = time.time):
        self.store = store
        self.window = window
        self.clock = clock

    @property
    def enabled(self) -> bool:
        return self.window > 0

    async def check(self, tenant: Tenant) -> None:
        """Raise the tripping error again while the tenant is blocked."""
        if not self.enabled:
            return
        entry = await self.store.blocked(tenant)
        if entry is not None and self.clock() < entry[0]:
            raise NetworkError(entry[1], 429)

    async def trip(self, tenant: Tenant, error: NetworkError, headers: dict[str, str] | None) -> None:
        if not self.enabled:
            return
        now = self.clock()
        delay = retry_after_seconds(headers, now)
        until = now + delay if delay is not None else (math.floor(now / self.window) + 1) * self.window
        if until > now:
            await self.store.block(tenant, until, error.message)

    async def blocked_until(self, tenant: Tenant) -> float | None:
        entry = await self.store.blocked(tenant)
        return entry[0] if entry is not None and self.clock() < entry[0] else None
