"""The shared company stores against their real engines: a redis-server process, and the host
store's files used from several processes (fcntl record locks belong to a process)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis

from gainsight_transformer.gainsight.company_store import LockTimeout, StoreError
from gainsight_transformer.gainsight.company_store.host import HostStore
from gainsight_transformer.gainsight.company_store.redis_store import RedisStore
from gainsight_transformer.telemetry import metrics
from support.processes import free_port
from support.redis_server import RedisServer

TENANT = ("https://acme.gainsightcloud.com", "secret-access-key")


def redis_store(url: str, **options: float) -> RedisStore:
    settings: dict[str, float] = {"lock_wait": 0.3, "lock_ttl": 1.0, "cache_ttl": 60.0, "timeout": 0.5}
    settings.update(options)
    return RedisStore(
        url,
        prefix="test",
        lock_wait=settings["lock_wait"],
        lock_ttl=settings["lock_ttl"],
        cache_ttl=settings["cache_ttl"],
        cache_enabled=True,
        timeout=settings["timeout"],
    )


@pytest.fixture
async def two(redis_server: RedisServer) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
    """Two stores on one Redis, as two replicas would have."""
    redis_server.wait_up_for(1)
    first, second = redis_store(redis_server.url), redis_store(redis_server.url)
    await first.open()
    await second.open()
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_a_name_locked_by_one_replica_waits_then_times_out_for_another(two) -> None:
    first, second = two
    held = await first.lock(TENANT, ["acme", "globex"])
    timeouts = metrics.COMPANY_LOCK_TIMEOUTS.values.get(("redis",), 0)
    started = time.monotonic()
    with pytest.raises(LockTimeout) as raised:
        await second.lock(TENANT, ["globex", "initech"])
    assert time.monotonic() - started >= 0.2
    assert raised.value.status == 500 and raised.value.error_type == "retryable"
    assert metrics.COMPANY_LOCK_TIMEOUTS.values[("redis",)] == timeouts + 1
    # The other access key of the same domain writes into the same Company table: same lock.
    with pytest.raises(LockTimeout):
        await second.lock((TENANT[0], "another-key"), ["acme"])
    await first.unlock(held)
    again = await second.lock(TENANT, ["globex", "initech"])
    await second.confirm(again)
    await second.unlock(again)


async def test_a_waiter_gets_the_lock_as_soon_as_the_holder_lets_go(two) -> None:
    first, second = two
    held = await first.lock(TENANT, ["acme"])
    waits = metrics.COMPANY_LOCK_WAITS.values.get(("redis",), 0)
    waiting = asyncio.ensure_future(second.lock(TENANT, ["acme"]))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await first.unlock(held)
    await second.unlock(await asyncio.wait_for(waiting, 1))
    assert metrics.COMPANY_LOCK_WAITS.values[("redis",)] == waits + 1


async def test_only_the_owner_releases_and_an_expired_holder_cannot_create(two) -> None:
    first, second = two
    stale = await first.lock(TENANT, ["acme"])
    await asyncio.sleep(1.1)  # past COMPANY_LOCK_TTL_SECONDS (1 s here): the lock expired
    fresh = await second.lock(TENANT, ["acme"])
    with pytest.raises(StoreError, match="lost"):
        await first.confirm(stale)
    await first.unlock(stale)  # must not release the new owner's lock
    await second.confirm(fresh)
    with pytest.raises(LockTimeout):
        await first.lock(TENANT, ["acme"])
    await second.unlock(fresh)


async def test_a_flushed_redis_is_noticed_before_the_create(two, redis_server: RedisServer) -> None:
    first, _ = two
    held = await first.lock(TENANT, ["acme"])
    redis.Redis(port=redis_server.port).flushall()
    with pytest.raises(StoreError, match="lost"):
        await first.confirm(held)
    await first.unlock(held)


async def test_a_fresh_redis_hands_out_no_lock_until_it_has_been_up_the_lock_ttl(
    redis_server: RedisServer,
) -> None:
    store = redis_store(redis_server.url, lock_ttl=30.0)
    await store.open()
    try:
        with pytest.raises(StoreError, match="up less than 30 s"):
            await store.lock(TENANT, ["acme"])
    finally:
        await store.aclose()


async def test_the_cache_and_429_windows_are_shared_and_expire(two) -> None:
    first, second = two
    await first.remember(TENANT, {"acme": "1P02GSID", "globex": 7})
    assert await second.known(TENANT, ["acme", "globex", "initech"]) == {"acme", "globex"}
    assert await second.known((TENANT[0], "another-key"), ["acme"]) == set()  # cache is per access key
    await second.forget(TENANT, ["globex"])
    assert await first.known(TENANT, ["acme", "globex"]) == {"acme"}

    until = time.time() + 0.5
    await first.block(TENANT, until, "throttled text")
    assert await second.blocked(TENANT) == (pytest.approx(until, abs=1e-3), "throttled text")
    await asyncio.sleep(0.7)
    second._blocked.clear()
    assert await second.blocked(TENANT) is None


async def test_the_cache_entries_expire_with_their_ttl(redis_server: RedisServer) -> None:
    store = redis_store(redis_server.url, cache_ttl=0.3)
    await store.open()
    try:
        await store.remember(TENANT, {"acme": "g"})
        assert await store.known(TENANT, ["acme"]) == {"acme"}
        await asyncio.sleep(0.5)
        assert await store.known(TENANT, ["acme"]) == set()
    finally:
        await store.aclose()


async def test_nothing_written_to_redis_names_the_access_key_or_the_company(
    two, redis_server: RedisServer
) -> None:
    first, _ = two
    held = await first.lock(TENANT, ["Acme Confidential"])
    await first.remember(TENANT, {"Acme Confidential": "g"})
    await first.block(TENANT, time.time() + 30, "throttled")
    client = redis.Redis(port=redis_server.port)
    dump = b" ".join(key + b"=" + (client.dump(key) or b"") for key in client.keys("*"))
    assert len(client.keys("*")) == 3
    assert b"secret-access-key" not in dump and b"Acme" not in dump and b"acme.gainsight" not in dump
    await first.unlock(held)


async def test_an_unreachable_redis_fails_group_work_clearly_and_fails_open_on_429_windows() -> None:
    store = redis_store(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2)
    errors = metrics.COMPANY_STORE_ERRORS.values.get(("redis", "cache_read"), 0)
    with pytest.raises(StoreError, match="failed to read the company cache: RedisError"):
        await store.known(TENANT, ["acme"])  # before the app's lifespan opened it
    try:
        await store.open()  # a warning, not an exception
        with pytest.raises(StoreError, match=r"company store \(redis\) failed to read the company cache"):
            await store.known(TENANT, ["acme"])
        with pytest.raises(StoreError, match="take a company lock"):
            await store.lock(TENANT, ["acme"])
        assert len(store.local_locks) == 0  # the in-process layer was let go
        assert await store.blocked(TENANT) is None  # Gainsight itself says when it throttles
        health = await store.health()
        assert health["state"] == "down" and health["kind"] == "redis"
        assert metrics.COMPANY_STORE_ERRORS.values[("redis", "cache_read")] == errors + 2
    finally:
        await store.aclose()


# ----- the host store, from several processes -----

HOLDER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from gainsight_transformer.gainsight.company_store.host import HostStore

    async def main():
        store = HostStore(Path(sys.argv[1]), lock_wait=5, cache_ttl=60, cache_size=100)
        await store.open()
        tenant = ("https://acme.gainsightcloud.com", "secret-access-key")
        await store.lock(tenant, sys.argv[2:])
        await store.remember(tenant, {"from-child": "g-child"})
        await store.block(tenant, 4102444800.0, "child saw a 429")
        print("held", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(main())
    """
)


@pytest.fixture
async def host_store(tmp_path: Path) -> AsyncIterator[HostStore]:
    store = HostStore(tmp_path, lock_wait=0.3, cache_ttl=60, cache_size=100)
    await store.open()
    yield store
    await store.aclose()


def _holder(directory: Path, *names: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(directory), *names],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    return child


async def test_host_locks_exclude_other_processes_and_die_with_their_holder(
    tmp_path: Path, host_store: HostStore
) -> None:
    child = _holder(tmp_path, "acme", "globex")
    try:
        with pytest.raises(LockTimeout):
            await host_store.lock(TENANT, ["globex"])
        free = await host_store.lock(TENANT, ["initech"])  # other names are not held back
        await host_store.unlock(free)
        # What the other process learnt is known here.
        assert await host_store.known(TENANT, ["from-child", "acme"]) == {"from-child"}
        assert await host_store.blocked(TENANT) == (4102444800.0, "child saw a 429")
    finally:
        child.kill()
        child.wait()
    held = await host_store.lock(TENANT, ["acme", "globex"])  # the kernel let the dead one's go
    await host_store.unlock(held)


async def test_host_cache_is_bounded_and_expires(tmp_path: Path) -> None:
    clock = [1000.0]
    store = HostStore(tmp_path, lock_wait=0.3, cache_ttl=10, cache_size=3, clock=lambda: clock[0])
    await store.open()
    try:
        for i in range(5):
            clock[0] += 1
            await store.remember(TENANT, {f"n{i}": f"g{i}"})
        assert await store.known(TENANT, [f"n{i}" for i in range(5)]) == {"n2", "n3", "n4"}
        clock[0] += 9.5  # n2 and n3 expired; n4 has half a second left
        assert await store.known(TENANT, ["n2", "n3", "n4"]) == {"n4"}
    finally:
        await store.aclose()


async def test_the_host_files_name_neither_the_access_key_nor_the_company(
    tmp_path: Path, host_store: HostStore
) -> None:
    held = await host_store.lock(TENANT, ["Acme Confidential"])
    await host_store.remember(TENANT, {"Acme Confidential": "g"})
    await host_store.block(TENANT, time.time() + 30, "throttled")
    await host_store.unlock(held)
    assert await host_store.known(TENANT, ["Acme Confidential"]) == {"Acme Confidential"}
    await host_store.forget(TENANT, ["Acme Confidential"])
    assert await host_store.known(TENANT, ["Acme Confidential"]) == set()
    await host_store.remember(TENANT, {"Acme Confidential": "g"})
    written = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert b"secret-access-key" not in written and b"Acme" not in written and b"acme.gainsight" not in written
