"""WORKERS > 1 without REDIS_URL: the workers of one service share a directory the supervisor
made for this start (workers.py), and through it the company locks, cache and 429 windows.

- Locks: POSIX record locks (`fcntl.lockf`) on one byte per (domain, name) of `company-locks`;
  the kernel drops a dead worker's locks with it, so none outlives its holder.
- Cache and 429 windows: SQLite (`companies.sqlite3`, WAL), used from one thread per worker so
  the event loop never waits on the file. Rows hold digests (base.py), never an access key or a
  company name.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ..throttle import Tenant
from .base import CompanyStore, Held, lock_scope, name_id, tenant_id

T = TypeVar("T")
LOCKS_FILE = "company-locks"
DATABASE_FILE = "companies.sqlite3"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS gsid (tenant TEXT, name TEXT, gsid TEXT NOT NULL, expires REAL NOT NULL,"
    " PRIMARY KEY (tenant, name)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS gsid_expires ON gsid (expires)",
    "CREATE TABLE IF NOT EXISTS throttle"
    " (tenant TEXT PRIMARY KEY, until REAL NOT NULL, message TEXT NOT NULL)",
)
_BUSY = (errno.EAGAIN, errno.EACCES)


def byte_of(scope: str, key: str) -> int:
    """The byte of the locks file that stands for one company name of one domain."""
    return int.from_bytes(hashlib.sha256(f"{scope}\0{key}".encode()).digest()[:7], "big")


class HostStore(CompanyStore):
    kind = "host"

    def __init__(
        self,
        directory: Path,
        *,
        lock_wait: float,
        cache_ttl: float,
        cache_size: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(lock_wait)
        self.directory = directory
        self.cache_ttl = cache_ttl
        self.cache_size = cache_size
        self.cache_enabled = cache_ttl > 0 and cache_size > 0
        self.clock = clock
        self._fd: int | None = None
        self._db: sqlite3.Connection | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="company-store")

    # ----- life -----
    async def open(self) -> None:
        # Closing any descriptor of the file would drop this process's locks: one, kept open.
        self._fd = os.open(self.directory / LOCKS_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        await self._run(self._connect)

    def _connect(self) -> None:
        db = sqlite3.connect(
            self.directory / DATABASE_FILE, timeout=5.0, isolation_level=None, check_same_thread=False
        )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")  # a cache of one start: a lost write is only a search more
        for statement in SCHEMA:
            db.execute(statement)
        self._db = db

    async def aclose(self) -> None:
        if self._db is not None:
            await self._run(self._db.close)
            self._db = None
        self._thread.shutdown(wait=True)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    async def _run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, work)

    def _database(self) -> sqlite3.Connection:
        if self._db is None:
            raise sqlite3.OperationalError("the store is not open")
        return self._db

    # ----- locks -----
    async def _take(self, tenant: Tenant, keys: list[str], deadline: float) -> tuple[Any, bool]:
        if self._fd is None:
            raise self._error("lock", "the store is not open")
        scope = lock_scope(tenant)
        offsets = sorted({byte_of(scope, key) for key in keys})
        taken: list[int] = []
        waited, delay = False, 0.002
        try:
            for offset in offsets:
                while not self._try_lock(offset):
                    waited = True
                    if time.monotonic() + delay >= deadline:
                        raise self._timeout(len(keys))
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 0.05)
                taken.append(offset)
        except OSError as exc:
            self._unlock(taken)
            raise self._error("lock", exc) from None
        except BaseException:
            self._unlock(taken)
            raise
        return taken, waited

    def _try_lock(self, offset: int) -> bool:
        assert self._fd is not None
        try:
            fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset, os.SEEK_SET)
        except OSError as exc:
            if exc.errno in _BUSY:
                return False
            raise
        return True

    def _unlock(self, offsets: list[int]) -> None:
        if self._fd is None:
            return
        for offset in offsets:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, offset, os.SEEK_SET)

    async def _give(self, held: Held) -> None:
        self._unlock(held.shared)

    # ----- cache -----
    async def known(self, tenant: Tenant, keys: list[str]) -> set[str]:
        if not self.cache_enabled or not keys:
            return set()
        digest, now = tenant_id(tenant), self.clock()
        by_id = {name_id(key): key for key in keys}
        ids = list(by_id)

        def read() -> set[str]:
            db = self._database()
            found: set[str] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT name FROM gsid WHERE tenant = ? AND expires > ? AND name IN ({marks})",
                    (digest, now, *chunk),
                )
                found.update(by_id[name] for (name,) in rows)
            return found

        try:
            return await self._run(read)
        except sqlite3.Error as exc:
            raise self._error("cache_read", exc) from None

    async def remember(self, tenant: Tenant, gsids: dict[str, Any]) -> None:
        if not self.cache_enabled or not gsids:
            return
        digest, now = tenant_id(tenant), self.clock()
        rows = [(digest, name_id(key), json.dumps(gsid), now + self.cache_ttl) for key, gsid in gsids.items()]

        def write() -> None:
            db = self._database()
            db.executemany("INSERT OR REPLACE INTO gsid VALUES (?, ?, ?, ?)", rows)
            db.execute("DELETE FROM gsid WHERE expires <= ?", (now,))
            (count,) = db.execute("SELECT count(*) FROM gsid").fetchone()
            if count > self.cache_size:  # the oldest entries leave first
                db.execute(
                    "DELETE FROM gsid WHERE (tenant, name) IN "
                    "(SELECT tenant, name FROM gsid ORDER BY expires LIMIT ?)",
                    (count - self.cache_size,),
                )

        try:
            await self._run(write)
        except sqlite3.Error as exc:
            self._error("cache_write", exc)

    async def forget(self, tenant: Tenant, keys: list[str]) -> None:
        if not self.cache_enabled or not keys:
            return
        digest = tenant_id(tenant)

        def delete() -> None:
            self._database().executemany(
                "DELETE FROM gsid WHERE tenant = ? AND name = ?", [(digest, name_id(key)) for key in keys]
            )

        try:
            await self._run(delete)
        except sqlite3.Error as exc:
            raise self._error("cache_forget", exc) from None

    # ----- 429 windows -----
    async def blocked(self, tenant: Tenant) -> tuple[float, str] | None:
        digest = tenant_id(tenant)

        def read() -> tuple[float, str] | None:
            row = (
                self._database()
                .execute("SELECT until, message FROM throttle WHERE tenant = ?", (digest,))
                .fetchone()
            )
            return (float(row[0]), str(row[1])) if row is not None else None

        try:
            return await self._run(read)
        except sqlite3.Error as exc:
            self._error("window_read", exc)
            return None

    async def block(self, tenant: Tenant, until: float, message: str) -> None:
        digest, now = tenant_id(tenant), self.clock()

        def write() -> None:
            db = self._database()
            db.execute("DELETE FROM throttle WHERE until <= ?", (now,))
            db.execute("INSERT OR REPLACE INTO throttle VALUES (?, ?, ?)", (digest, until, message))

        try:
            await self._run(write)
        except sqlite3.Error as exc:
            self._error("window_write", exc)

    async def health(self) -> dict[str, Any]:
        return {"kind": self.kind, "state": "up" if self._db is not None else "down"}
