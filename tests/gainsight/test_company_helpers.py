"""The building blocks of Company resolution: TTL cache, keyed locks, 429 window, name attribution."""

from __future__ import annotations

import asyncio
from email.utils import formatdate

import pytest

from gainsight_transformer.gainsight.company_cache import CompanyCache, KeyedLocks
from gainsight_transformer.gainsight.company_search import attribute
from gainsight_transformer.gainsight.company_store.process import ProcessStore
from gainsight_transformer.gainsight.throttle import TenantThrottle, retry_after_seconds
from gainsight_transformer.rudder.errors import NetworkError
from support.fakes import FakeClock

TENANT = ("https://demo.gainsightcloud.com", "key")


def test_cache_evicts_the_least_recently_used_entry():
    cache = CompanyCache(ttl=60, size=2, clock=FakeClock(6010.0))
    cache.put("a", "g-a")
    cache.put("b", "g-b")
    assert cache.get("a") == "g-a"  # "a" is now the most recent
    cache.put("c", "g-c")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("g-a", None, "g-c")


def test_cache_forgets_expired_entries():
    clock = FakeClock(6010.0)
    cache = CompanyCache(ttl=10, size=5, clock=clock)
    cache.put("a", "g-a")
    clock.advance(10)
    assert cache.get("a") is None and len(cache) == 0


async def test_keyed_locks_serialise_holders_of_a_key_and_clean_up():
    locks = KeyedLocks()
    order: list[str] = []

    async def hold(name: str, keys: list[str]) -> None:
        taken = await locks.acquire(keys)
        order.append(f"{name}+")
        await asyncio.sleep(0.001)
        order.append(f"{name}-")
        locks.release(taken)

    # Opposite orders of the same keys: sorted acquisition cannot deadlock.
    await asyncio.wait_for(asyncio.gather(hold("x", ["a", "b"]), hold("y", ["b", "a"])), timeout=2)
    assert order in (["x+", "x-", "y+", "y-"], ["y+", "y-", "x+", "x-"])
    assert len(locks) == 0


async def test_a_cancelled_waiter_leaves_no_lock_behind():
    locks = KeyedLocks()
    taken = await locks.acquire(["a"])
    waiter = asyncio.ensure_future(locks.acquire(["a"]))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    locks.release(taken)
    assert len(locks) == 0


def _throttle(window: float, clock: FakeClock) -> TenantThrottle:
    return TenantThrottle(ProcessStore(CompanyCache(0, 0), lock_wait=1.0, clock=clock), window, clock)


async def test_throttle_holds_until_the_end_of_the_fixed_window():
    clock = FakeClock(6010.0)
    throttle = _throttle(60, clock)
    await throttle.trip(TENANT, NetworkError("tripped", 429), {})
    assert await throttle.blocked_until(TENANT) == 6060.0
    with pytest.raises(NetworkError) as raised:
        await throttle.check(TENANT)
    assert (raised.value.message, raised.value.status, raised.value.error_type) == (
        "tripped",
        429,
        "throttled",
    )
    clock.advance(50)
    await throttle.check(TENANT)
    assert await throttle.blocked_until(TENANT) is None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), (" 0 ", 0.0), ("999999", 3600.0), ("soon", None), ("-1", None), ("", None)],
)
def test_retry_after_in_seconds(header, seconds):
    assert retry_after_seconds({"retry-after": header}, 1000.0) == seconds


def test_retry_after_as_an_http_date():
    now = 1_700_000_000.0
    assert retry_after_seconds({"retry-after": formatdate(now + 30, usegmt=True)}, now) == 30.0


async def test_a_zero_retry_after_does_not_hold_the_tenant():
    throttle = _throttle(60, FakeClock(6010.0))
    await throttle.trip(TENANT, NetworkError("tripped", 429), {"retry-after": "0"})
    await throttle.check(TENANT)
    assert await throttle.blocked_until(TENANT) is None


def test_attribution_settles_exact_matches_and_defers_loose_ones():
    names = {'"Acme"': "Acme", '"acme"': "acme", "7": 7, '"Globex"': "Globex"}
    records = [{"Name": "Acme", "Gsid": "g1"}, {"Name": "7", "Gsid": "g7"}]
    outcomes, gsids, unsure = attribute(names, records, limit=5000)
    assert outcomes == {'"Acme"': True, '"Globex"': False}
    assert gsids == {'"Acme"': "g1"}
    assert sorted(unsure) == ['"acme"', "7"]


@pytest.mark.parametrize(
    "records",
    [
        pytest.param([{"Gsid": "g"}], id="record without a Name"),
        pytest.param([{"Name": "X"}] * 2, id="full page"),
    ],
)
def test_attribution_defers_every_unmatched_name_when_the_answer_cannot_be_trusted(records):
    names = {'"Acme"': "Acme", '"X"': "X", '"Globex"': "Globex"}
    outcomes, _, unsure = attribute(names, records, limit=2 if len(records) == 2 else 5000)
    assert sorted(unsure) == sorted(k for k in names if k not in outcomes)
    assert '"Globex"' in unsure
