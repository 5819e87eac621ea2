"""Batched Company writes: creates (POST) and updates (PUT ?keys=Name), ≤ batch size records a call.

Gainsight fails a whole write call when one record is invalid (docs/gainsight-api.md#company-
object), so a batch answered with a record-level rejection (an HTTP 400, 413 or 422) is split in
halves until each rejected record stands alone. A lone record of one event then carries that
event's own error: the answer to exactly the call the original would have made. A lone record that
stands for several events (folded), or whose existence came from the cache, is handed back for
replay: its events are resolved again one by one as the original would (search, then create or
update). Any other failure (429, 5xx, transport, an unusable 2xx) is given to every event of the
batch, with no retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ..rudder.errors import TransformError
from .company_api import CompanyApi, answer_of
from .company_jobs import GroupJob, WriteUnit, fold
from .config import GainsightConfig

#: Statuses by which Gainsight rejects the records of a write (validation, size).
RECORD_REJECTIONS = frozenset({400, 413, 422})


def rejects_records(error: TransformError) -> bool:
    answer = answer_of(error)
    # Transport failures (no headers) such as a DNS or TLS 400 are about the host, not the records.
    return answer is not None and answer.headers is not None and answer.status in RECORD_REJECTIONS


class CompanyWriter:
    """Writes one tenant's resolved events; `on_saved(record, gsid)` hears of each company written."""

    def __init__(
        self,
        api: CompanyApi,
        config: GainsightConfig,
        batch_size: int,
        on_saved: Callable[[dict[str, Any], Any], None],
    ) -> None:
        self.api = api
        self.config = config
        self.batch_size = batch_size
        self.on_saved = on_saved

    async def write(self, jobs: list[GroupJob]) -> None:
        creates = fold([job for job in jobs if job.exists is False])
        updates = fold([job for job in jobs if job.exists is True])
        size = self.batch_size
        await asyncio.gather(
            *(self._batch(creates[i : i + size], exists=False) for i in range(0, len(creates), size)),
            *(self._batch(updates[i : i + size], exists=True) for i in range(0, len(updates), size)),
        )

    async def _batch(self, units: list[WriteUnit], *, exists: bool) -> None:
        try:
            results = await self.api.save_records(self.config, [u.record for u in units], exists=exists)
        except TransformError as error:
            await self._failed(units, error, exists=exists)
            return
        for unit, result in zip(units, results, strict=True):
            if isinstance(result, TransformError):
                unit.fail(result)
            else:
                unit.succeed(result)
                self.on_saved(unit.record, result)

    async def _failed(self, units: list[WriteUnit], error: TransformError, *, exists: bool) -> None:
        if not rejects_records(error):
            for unit in units:
                unit.fail(error)
        elif len(units) > 1:
            half = (len(units) + 1) // 2
            await asyncio.gather(
                self._batch(units[:half], exists=exists), self._batch(units[half:], exists=exists)
            )
        elif len(units[0].jobs) == 1 and not units[0].jobs[0].cached:
            units[0].fail(error)  # exactly the call the original made for this event
        else:
            units[0].replay()
