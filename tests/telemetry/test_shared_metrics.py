"""Several workers' metrics: each process's files in the shared directory, and a scrape's sum.

Each "worker" here is a set of metric objects shared into the directory under its own pid, as
`metrics.share` does in a worker process; the real processes are in test_metrics_workers.py.
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from gainsight_transformer.telemetry import metrics
from gainsight_transformer.telemetry.metrics import Counts, Timings


def _metric_set() -> list[Counts | Timings]:
    return [
        Counts("events", "Events.", ("feature", "status")),
        Counts("calls_count", "Calls, under the bare name.", ("path",), exact_name=True),
        Timings("latency", "Seconds.", ("route",)),
        Counts("never", "Counted by nobody.", ("x",)),
    ]


def _traffic(events: Counts, calls: Counts, latency: Timings, *, scale: int = 1) -> None:
    events.inc(("processor", "200"), 3 * scale)
    events.inc(("router", "400"), scale)
    calls.inc(("/v1/data/objects/Company",), 2 * scale)
    for seconds in (0.0004, 0.003, 0.7, 75.0):
        for _ in range(scale):
            latency.observe(("/v0/destinations/{destination}",), seconds)


def _worker(directory: Path, pid: int) -> list[Counts | Timings]:
    """One worker's metrics, counting into its files in `directory`."""
    worker = _metric_set()
    files = metrics.shared_files(directory, pid)
    for metric in worker:
        metric.share(files[metric.file_kind])
    return worker


def _local_exposition(metric_set: list[Counts | Timings]) -> str:
    class Local(Collector):
        def collect(self):
            return (metric.family() for metric in metric_set)

    return generate_latest(metrics.registry(Local(), per_process=False)).decode()


def _shared_exposition(directory: Path) -> str:
    collector = metrics.SharedCollector(directory, _metric_set())
    return generate_latest(metrics.registry(collector, per_process=False)).decode()


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _file_values(path: Path) -> dict[str, float]:
    return {key: value for key, value, _, _ in MmapedDict.read_all_values_from_file(str(path))}


def test_a_scrape_of_three_workers_is_what_one_process_with_all_their_traffic_exposes(tmp_path: Path) -> None:
    for pid in (101, 102, 103):
        _traffic(*_worker(tmp_path, pid)[:3])
    single = _metric_set()
    _traffic(*single[:3], scale=3)
    # Byte for byte: names, HELP and TYPE lines (the bare untyped name, `_total` counters, a
    # family with no samples), label order, buckets, values.
    assert _shared_exposition(tmp_path) == _local_exposition(single)
    samples = _samples(_shared_exposition(tmp_path))
    assert samples[("events_total", frozenset({("feature", "processor"), ("status", "200")}))] == 9
    assert samples[("calls_count", frozenset({("path", "/v1/data/objects/Company")}))] == 6
    route = ("route", "/v0/destinations/{destination}")
    assert samples[("latency_bucket", frozenset({route, ("le", "0.001")}))] == 3
    assert samples[("latency_bucket", frozenset({route, ("le", "1.0")}))] == 9
    assert samples[("latency_bucket", frozenset({route, ("le", "+Inf")}))] == 12
    assert samples[("latency_count", frozenset({route}))] == 12
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        f"{kind}_{pid}.db" for kind in ("counter", "histogram", "unknown") for pid in (101, 102, 103)
    ]


def test_the_stock_multiprocess_collector_reads_the_directory_the_same(tmp_path: Path) -> None:
    """The files are prometheus-client's multiprocess format, types in their names included."""
    for pid in (1, 2):
        _traffic(*_worker(tmp_path, pid)[:3])
    stock = CollectorRegistry()
    MultiProcessCollector(stock, path=str(tmp_path))
    stock_families = {
        (f.name, f.type) for f in text_string_to_metric_families(generate_latest(stock).decode())
    }
    ours = text_string_to_metric_families(_shared_exposition(tmp_path))
    assert {(f.name, f.type) for f in ours if f.samples and f.name != "python_info"} == stock_families
    assert _samples(generate_latest(stock).decode()) == {
        key: value for key, value in _samples(_shared_exposition(tmp_path)).items() if key[0] != "python_info"
    }


def test_a_dead_workers_counts_stay_and_a_worker_given_its_pid_adds_to_them(tmp_path: Path) -> None:
    events = _worker(tmp_path, 7)[0]
    assert isinstance(events, Counts)
    events.inc(("processor", "200"), 3)
    del events  # the worker died: its file stays
    replacement = _worker(tmp_path, 8)[0]
    assert isinstance(replacement, Counts)
    replacement.inc(("processor", "200"), 2)
    key = ("events_total", frozenset({("feature", "processor"), ("status", "200")}))
    assert _samples(_shared_exposition(tmp_path))[key] == 5

    # The kernel may give a later worker the dead one's pid: it opens the same file and adds.
    same_pid = _worker(tmp_path, 7)[0]
    assert isinstance(same_pid, Counts)
    same_pid.inc(("processor", "200"))
    assert _samples(_shared_exposition(tmp_path))[key] == 6
    assert sum(_file_values(tmp_path / "counter_7.db").values()) == 4
    assert same_pid.family().samples[0].value == 4  # what this process's file holds for it


def test_counts_made_before_sharing_are_carried_into_the_file(tmp_path: Path) -> None:
    early = _metric_set()
    _traffic(*early[:3])
    files = metrics.shared_files(tmp_path, 5)
    for metric in early:
        metric.share(files[metric.file_kind])
    _traffic(*early[:3])
    single = _metric_set()
    _traffic(*single[:3], scale=2)
    assert _shared_exposition(tmp_path) == _local_exposition(single)


def test_sharing_keeps_the_object_and_gives_it_no_instance_dict(tmp_path: Path) -> None:
    """Call sites hold the module's objects, so `share` changes them in place; with no __dict__
    (slots), method calls on them stay specialised by CPython (see Counts' comment)."""
    counts, timings = Counts("c", "C.", ("k",)), Timings("t", "T.", ("k",))
    files = metrics.shared_files(tmp_path, 3)
    before = (id(counts), id(timings))
    counts.share(files["counter"])
    timings.share(files["histogram"])
    assert (id(counts), id(timings)) == before
    assert type(counts) is metrics.SharedCounts and type(timings) is metrics.SharedTimings
    assert not hasattr(counts, "__dict__") and not hasattr(timings, "__dict__")


def test_values_stay_right_when_a_file_grows_past_its_first_mapping(tmp_path: Path) -> None:
    """Two metrics share the counter file; the file is remapped larger while both count into it."""
    first = Counts("first", "One of two counters in the file.", ("n",))
    second = Counts("second", "The other.", ("n",))
    files = metrics.shared_files(tmp_path, 9)
    first.share(files["counter"])
    second.share(files["counter"])
    first.inc(("early",), 5)
    for n in range(2000):  # about 100 bytes of key each: several times the first 64 KiB
        second.inc((f"label-{n}",), n)
        first.inc(("early",))
    first.inc(("late",), 7)
    assert (tmp_path / "counter_9.db").stat().st_size >= 4 * 65536  # grown twice
    collector = metrics.SharedCollector(tmp_path, [first, second])
    samples = _samples(generate_latest(metrics.registry(collector, per_process=False)).decode())
    assert samples[("first_total", frozenset({("n", "early")}))] == 2005
    assert samples[("first_total", frozenset({("n", "late")}))] == 7
    assert all(samples[("second_total", frozenset({("n", f"label-{n}")}))] == n for n in range(2000))


def test_a_file_a_worker_has_only_just_created_is_skipped(tmp_path: Path) -> None:
    _traffic(*_worker(tmp_path, 1)[:3])
    (tmp_path / "counter_2.db").touch()  # MmapedDict has opened it but not sized it yet
    key = ("events_total", frozenset({("feature", "processor"), ("status", "200")}))
    assert _samples(_shared_exposition(tmp_path))[key] == 3


def test_a_shared_scrape_leaves_out_the_counters_of_one_process() -> None:
    def families(registry: CollectorRegistry) -> set[str]:
        return {family.name for family in registry.collect()}

    one = families(metrics.registry(metrics.SharedCollector(Path("/nonexistent"), []), per_process=True))
    shared = families(metrics.registry(metrics.SharedCollector(Path("/nonexistent"), []), per_process=False))
    assert {"process_cpu_seconds", "python_gc_collections", "python_info"} <= one
    assert shared == {"python_info"}
