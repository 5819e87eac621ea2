"""In-process building blocks of the company stores: the name → Gsid TTL cache and per-key locks."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any


class CompanyCache:
    """Bounded TTL cache: (base URL, access key, name key) → Gsid of a company known to exist.

    An entry says "a search for this name would find a company", learnt from a search answer or
    from a create/update of a record with that `Name`. `ttl` or `size` 0 disables it.
    """

    def __init__(self, ttl: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.size > 0

    def get(self, key: Hashable) -> Any:
        """The cached Gsid, or None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, gsid = entry
        if self.clock() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return gsid

    def put(self, key: Hashable, gsid: Any) -> None:
        if not self.enabled or gsid is None:
            return
        self._entries[key] = (self.clock() + self.ttl, gsid)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class KeyedLocks:
    """Single-flight: one holder per key at a time; several keys are taken in sorted order.

    Taking keys in one global order means two requests that need overlapping sets never deadlock.
    Entries exist only while someone holds or waits for them.
    """

    def __init__(self) -> None:
        self._entries: dict[Any, _Entry] = {}

    async def acquire(self, keys: Iterable[Any]) -> list[Any]:
        """Wait for every key (sorted, deduplicated); returns the keys to `release`."""
        taken: list[Any] = []
        try:
            for key in sorted(set(keys)):
                entry = self._entries.get(key)
                if entry is None:
                    entry = self._entries[key] = _Entry()
                entry.users += 1
                try:
                    await entry.lock.acquire()
                except BaseException:
                    self._leave(key, entry)
                    raise
                taken.append(key)
        except BaseException:
            self.release(taken)
            raise
        return taken

    def busy(self, keys: Iterable[Any]) -> bool:
        """Whether any of `keys` is held or waited for now (taking them would wait)."""
        return any(key in self._entries for key in keys)

    def release(self, keys: Iterable[Any]) -> None:
        for key in keys:
            entry = self._entries[key]
            entry.lock.release()
            self._leave(key, entry)

    def _leave(self, key: Any, entry: _Entry) -> None:
        entry.users -= 1
        if entry.users == 0:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
