"""Batched Company search: a tenant's distinct names in IN queries, each answer attributed to its names.

A name counts as found only when a returned record's `Name` is that very value. Where Gainsight
might have matched more loosely than that (a record whose Name equals a searched name only after
case-folding or number-to-text, a record without a Name, a full page), the names left unattributed
are searched again on their own with the original's EQ query, so their outcome is the original's.
Objects and arrays cannot go into an IN list and a chunk of one name needs no IN: both are searched
exactly as the original searches.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..jsvalues import MISSING
from ..rudder.errors import TransformError
from .company_api import CompanyApi, in_search_body, usable_gsid
from .company_jobs import loose_key, name_key
from .config import GainsightConfig

#: Gainsight returns at most 5,000 records per read (docs/gainsight-api.md#company-object).
SEARCH_LIMIT = 5000

Outcome = bool | TransformError


def attribute(
    names: dict[str, Any], records: list[Any], limit: int
) -> tuple[dict[str, Outcome], dict[str, Any], list[str]]:
    """(outcome per name settled by the answer, Gsid per found name, names to search alone)."""
    found: dict[str, Any] = {}
    loose_seen: set[str] = set()
    opaque = len(records) >= limit  # a full page may have left matches out
    for record in records:
        name = record.get("Name", MISSING) if isinstance(record, dict) else MISSING
        loose = loose_key(name) if name is not MISSING else None
        if loose is None:
            opaque = True  # no Name to attribute the record by
            continue
        loose_seen.add(loose)  # even an exact match of one name may be a loose match of another
        key = name_key(name)
        if key in names and found.get(key) is None:
            found[key] = usable_gsid(record)
    outcomes: dict[str, Outcome] = {}
    unsure: list[str] = []
    for key, name in names.items():
        if key in found:
            outcomes[key] = True
        elif opaque or loose_key(name) in loose_seen:
            unsure.append(key)
        else:
            outcomes[key] = False
    return outcomes, {k: g for k, g in found.items() if g is not None}, unsure


class NameSearch:
    """Search one tenant's names; `outcomes[key]` is True, False or the event's error."""

    def __init__(self, api: CompanyApi, config: GainsightConfig, chunk_size: int, limit: int = SEARCH_LIMIT):
        self.api = api
        self.config = config
        self.chunk_size = chunk_size
        self.limit = limit
        self.outcomes: dict[str, Outcome] = {}
        self.gsids: dict[str, Any] = {}

    async def run(self, names: dict[str, Any]) -> None:
        listable = [key for key, name in names.items() if loose_key(name) is not None]
        alone = [key for key, name in names.items() if loose_key(name) is None]
        size = self.chunk_size
        chunks = [listable[i : i + size] for i in range(0, len(listable), size)]
        await asyncio.gather(
            *(self._chunk({key: names[key] for key in chunk}) for chunk in chunks),
            *(self._alone(key, names[key]) for key in alone),
        )

    async def _chunk(self, names: dict[str, Any]) -> None:
        if len(names) == 1:
            [(key, name)] = names.items()
            await self._alone(key, name)
            return
        try:
            records = await self.api.search(self.config, in_search_body(list(names.values()), self.limit))
        except TransformError as error:
            for key in names:
                self.outcomes[key] = error
            return
        outcomes, gsids, unsure = attribute(names, records, self.limit)
        self.outcomes.update(outcomes)
        self.gsids.update(gsids)
        await asyncio.gather(*(self._alone(key, names[key]) for key in unsure))

    async def _alone(self, key: str, name: Any) -> None:
        try:
            self.outcomes[key] = await self.api.company_exists(self.config, name)
        except TransformError as error:
            self.outcomes[key] = error
