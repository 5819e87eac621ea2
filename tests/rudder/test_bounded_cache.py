"""rudder/bounded_cache.py: bounded by entries and by bytes, oldest out first."""

from __future__ import annotations

from gainsight_transformer.rudder.bounded_cache import DECODED_FACTOR, BoundedCache


def test_oldest_entries_leave_first_when_entries_or_bytes_run_out() -> None:
    by_count: BoundedCache[int] = BoundedCache(max_entries=3, max_bytes=10_000)
    for n in range(4):
        by_count.put(b"key-%d" % n, n)
    assert len(by_count) == 3 and by_count.get(b"key-0") is None and by_count.get(b"key-3") == 3
    by_bytes: BoundedCache[int] = BoundedCache(max_entries=100, max_bytes=400)  # 12-byte keys: 48 each
    for n in range(9):
        by_bytes.put(b"key-%08d" % n, n)
    assert by_bytes.bytes <= 400 and len(by_bytes) == 8
    assert by_bytes.get(b"key-00000000") is None and by_bytes.get(b"key-00000008") == 8


def test_an_entry_larger_than_an_eighth_of_the_budget_is_not_kept() -> None:
    cache: BoundedCache[int] = BoundedCache(max_entries=10, max_bytes=8000)
    cache.put(b"x" * (1000 // DECODED_FACTOR + 1), 1)
    assert len(cache) == 0 and cache.bytes == 0
    cache.put(b"x" * (1000 // DECODED_FACTOR), 1)
    assert len(cache) == 1
