"""Prometheus metrics, counted in plain dicts on the hot path and exposed by prometheus-client.

The request path only adds to dicts keyed by label tuples (no locks: one event loop per process);
prometheus-client's registry reads them when `/metrics` is scraped. Names and labels follow the
original rudder-transformer where it has the same measurement (`http_request_duration`,
`outgoing_request_count`, `outgoing_request_latency`), so existing dashboards keep working; the
rest are ours and say so with a `gainsight_` prefix.

With several worker processes (WORKERS > 1), each worker calls `share` before it serves: its
metrics then count into its own files in a directory the workers share, in prometheus-client's
multiprocess format (`MmapedDict`: `counter_<pid>.db`, `unknown_<pid>.db`, `histogram_<pid>.db`),
and whichever worker is scraped answers the sum of every file there (`MultiProcessCollector`),
those of workers that have died included, so counters never go down while the service runs.
"""

from __future__ import annotations

import glob
import os
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

# Seconds; from a one-event request (sub-millisecond) to a slow Gainsight call.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST
BOUNDS = (*(str(b) for b in LATENCY_BUCKETS), "+Inf")
"""The histograms' `le` labels; a series' counts are one per bound, then the sum."""
_BOUND_INDEX = {float(bound): index for index, bound in enumerate(BOUNDS)}


class Counts:
    """A labelled counter. `exact_name` keeps the original's name without prometheus' `_total`."""

    # Slots rather than a __dict__: `share` changes an object's class in place, which in CPython
    # leaves a __dict__ materialised and every method call on the object a generic lookup (about
    # 300 instructions more per count). The shared subclass's attributes are here, as the layouts
    # of the two classes must be the same.
    __slots__ = ("name", "documentation", "labels", "exact_name", "values", "file", "slots", "cells")

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...], *, exact_name: bool = False):
        self.name = name
        self.documentation = documentation
        self.labels = labels
        self.exact_name = exact_name
        self.values: dict[tuple[str, ...], float] = {}

    def inc(self, key: tuple[str, ...], amount: float = 1) -> None:
        values = self.values
        values[key] = values.get(key, 0) + amount

    def family(self) -> Metric:
        return self.family_of(self.values)

    def family_of(self, values: Mapping[tuple[str, ...], float]) -> Metric:
        if self.exact_name:
            # prometheus-client would expose a counter as `<name>_total`; the original's
            # prom-client exposes the bare name, which dashboards query. Untyped keeps it exact.
            family = Metric(self.name, self.documentation, "unknown")
            for key, value in values.items():
                family.add_sample(self.name, dict(zip(self.labels, key, strict=True)), value)
            return family
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for key, value in values.items():
            family.add_metric(key, value)
        return family

    # Several workers: the values in the shared directory's files.

    @property
    def file_kind(self) -> str:
        """The type its values are filed under (untyped is `unknown`, as in the exposition)."""
        return "unknown" if self.exact_name else "counter"

    def file_key(self, key: tuple[str, ...]) -> str:
        sample = self.name if self.exact_name else f"{self.name}_total"
        return mmap_key(self.name, sample, list(self.labels), list(key), self.documentation)

    def merged_family(self, samples: Iterable[Sample]) -> Metric:
        """The family of the samples `MultiProcessCollector.merge` summed over the files."""
        return self.family_of({tuple(s.labels[label] for label in self.labels): s.value for s in samples})

    def share(self, file: SharedFile) -> None:
        """Count into `file` from now on (what was counted so far is carried over)."""
        counted, self.values = self.values, {}
        # The same object with the shared class: the call sites keep their reference, and a single
        # process keeps its own class with no check on the request path.
        self.__class__ = SharedCounts
        assert isinstance(self, SharedCounts)
        self.attach(file)
        for key, value in counted.items():
            self.inc(key, value)


class Timings:
    """A labelled histogram of seconds."""

    __slots__ = ("name", "documentation", "labels", "series", "file", "slots", "cells")  # as Counts'

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...]):
        self.name = name
        self.documentation = documentation
        self.labels = labels
        self.series: dict[tuple[str, ...], list[float]] = {}
        """Per label tuple: one count per bucket (the last is +Inf), then the sum."""

    def observe(self, key: tuple[str, ...], seconds: float) -> None:
        counts = self.series.get(key)
        if counts is None:
            counts = self.series[key] = [0.0] * (len(LATENCY_BUCKETS) + 2)
        counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        counts[-1] += seconds

    def family(self) -> Metric:
        return self.family_of(self.series)

    def family_of(self, series: Mapping[tuple[str, ...], list[float]]) -> Metric:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        for key, counts in series.items():
            cumulative, buckets = 0.0, []
            for bound, count in zip(BOUNDS, counts, strict=False):
                cumulative += count
                buckets.append((bound, cumulative))
            family.add_metric(list(key), buckets, counts[-1])
        return family

    # Several workers: the values in the shared directory's files.

    file_kind = "histogram"

    def file_keys(self, key: tuple[str, ...]) -> list[str]:
        """The keys of a series' values in the file: one bucket per bound (not cumulative), the sum."""
        labels, values = [*self.labels, "le"], list(key)
        buckets = [
            mmap_key(self.name, f"{self.name}_bucket", labels, [*values, le], self.documentation)
            for le in BOUNDS
        ]
        return [
            *buckets,
            mmap_key(self.name, f"{self.name}_sum", list(self.labels), values, self.documentation),
        ]

    def merged_family(self, samples: Iterable[Sample]) -> Metric:
        """The family of the samples `MultiProcessCollector.merge(accumulate=False)` summed over
        the files: per series, each bucket's own count (`le`) and the sum."""
        series: dict[tuple[str, ...], list[float]] = {}
        for sample in samples:
            key = tuple(sample.labels[label] for label in self.labels)
            counts = series.get(key)
            if counts is None:
                counts = series[key] = [0.0] * (len(BOUNDS) + 1)
            le = sample.labels.get("le")
            counts[-1 if le is None else _BOUND_INDEX[float(le)]] = sample.value
        return self.family_of(series)

    def share(self, file: SharedFile) -> None:
        """Count into `file` from now on (what was counted so far is carried over)."""
        counted, self.series = self.series, {}
        self.__class__ = SharedTimings  # as Counts.share
        assert isinstance(self, SharedTimings)
        self.attach(file)
        for key, counts in counted.items():
            slots, cells = self.slots_of(key), self.cells
            for slot, count in zip(slots, counts, strict=True):
                cells[slot] += count


class SharedFile:
    """One of this process's files in the workers' shared directory: prometheus-client's
    `MmapedDict` (the format `MultiProcessCollector` reads), which lays out and grows the file,
    written through a view of its doubles, so that counting on the request path stays one dict
    lookup and one store into the mapping (`MmapedDict.write_value` would pack each value anew).
    That takes two of MmapedDict's attributes, its mapping (`_m`) and where each key's value is
    (`_positions`); tests/telemetry/test_shared_metrics.py holds them to the installed version,
    the file's growth included."""

    def __init__(self, path: Path):
        self._values = MmapedDict(str(path))  # type: ignore[no-untyped-call]
        self._mapping = self._values._m
        self.cells = memoryview(self._mapping).cast("d")
        self._users: list[SharedCounts | SharedTimings] = []

    def join(self, user: SharedCounts | SharedTimings) -> memoryview[float]:
        """The view `user` counts through; kept up to date when the file grows."""
        self._users.append(user)
        return self.cells

    def slot(self, key: str) -> int:
        """The index in `cells` of the value filed under `key`, made (at 0) if the file has none.
        A value already there is kept: left by a dead worker whose pid this process got, it is
        added to, not overwritten."""
        self._values.read_value(key)  # type: ignore[no-untyped-call]
        if self._values._m is not self._mapping:  # the file grew and MmapedDict mapped it again
            self._mapping = self._values._m
            self.cells = memoryview(self._mapping).cast("d")
            for user in self._users:
                user.cells = self.cells
        return int(self._values._positions[key]) // 8


class SharedCounts(Counts):
    """A `Counts` whose values are in this process's shared file (`Counts.share`)."""

    __slots__ = ()
    file: SharedFile
    slots: dict[tuple[str, ...], int]
    cells: memoryview[float]

    def attach(self, file: SharedFile) -> None:
        self.file, self.slots = file, {}
        self.cells = file.join(self)

    def inc(self, key: tuple[str, ...], amount: float = 1) -> None:
        slot = self.slots.get(key)
        if slot is None:
            slot = self.slots[key] = self.file.slot(self.file_key(key))
        self.cells[slot] += amount

    def family(self) -> Metric:
        """This process's values only (a scrape reads every worker's: `SharedCollector`)."""
        return self.family_of({key: self.cells[slot] for key, slot in self.slots.items()})


class SharedTimings(Timings):
    """A `Timings` whose series are in this process's shared file (`Timings.share`)."""

    __slots__ = ()
    file: SharedFile
    slots: dict[tuple[str, ...], tuple[int, ...]]
    cells: memoryview[float]

    def attach(self, file: SharedFile) -> None:
        self.file, self.slots = file, {}
        self.cells = file.join(self)

    def slots_of(self, key: tuple[str, ...]) -> tuple[int, ...]:
        slots = self.slots[key] = tuple(self.file.slot(each) for each in self.file_keys(key))
        return slots

    def observe(self, key: tuple[str, ...], seconds: float) -> None:
        slots = self.slots.get(key)
        if slots is None:
            slots = self.slots_of(key)
        cells = self.cells
        cells[slots[bisect_left(LATENCY_BUCKETS, seconds)]] += 1
        cells[slots[-1]] += seconds

    def family(self) -> Metric:
        """This process's series only (a scrape reads every worker's: `SharedCollector`)."""
        return self.family_of({key: [self.cells[s] for s in slots] for key, slots in self.slots.items()})


FILE_KINDS = ("counter", "unknown", "histogram")


def shared_files(directory: Path, pid: int) -> dict[str, SharedFile]:
    """The files of process `pid` in `directory` (made if missing), one per kind of metric. The pid
    in their names keeps a worker that replaces a dead one from writing over its counts."""
    directory.mkdir(exist_ok=True)
    return {kind: SharedFile(directory / f"{kind}_{pid}.db") for kind in FILE_KINDS}


class SharedCollector(Collector):
    """`metrics` summed over the files of every worker in `directory`, dead ones' included
    (prometheus-client's `MultiProcessCollector.merge`), exposed as one process exposes them."""

    def __init__(self, directory: Path, metrics: Sequence[Counts | Timings]):
        self.directory = directory
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        # A file that a worker has just created is empty until MmapedDict sizes it (never again after).
        files = [f for f in glob.glob(os.path.join(self.directory, "*.db")) if os.path.getsize(f)]
        merged = MultiProcessCollector.merge(files, accumulate=False)  # type: ignore[no-untyped-call]
        samples: dict[str, list[Sample]] = {family.name: family.samples for family in merged}
        for metric in self.metrics:
            yield metric.merged_family(samples.get(metric.name, []))


HTTP_REQUESTS = Timings(
    "http_request_duration",
    "Time to answer an HTTP request, in seconds (as the original's), by route template and status.",
    ("method", "route", "code"),
)
EVENTS = Counts(
    "gainsight_transformer_events",
    "Events transformed, by feature (processor/router), message type, statusCode and errorType.",
    ("feature", "messageType", "statusCode", "errorType"),
)
OUTGOING_REQUESTS = Counts(
    "outgoing_request_count",
    "Calls to Gainsight (as the original's), by feature, endpoint path, method and answer status.",
    ("feature", "destType", "endpointPath", "requestMethod", "statusCode", "success"),
    exact_name=True,
)
OUTGOING_LATENCY = Timings(
    "outgoing_request_latency",
    "Time a call to Gainsight took, in seconds (as the original's).",
    ("feature", "destType", "endpointPath", "requestMethod"),
)
COMPANY_CACHE = Counts(
    "gainsight_company_cache_lookups",
    "Company name lookups in the company cache of group: hit (search skipped) or miss.",
    ("result",),
)
COMPANY_LOCK_WAITS = Counts(
    "gainsight_company_lock_waits",
    "group requests that had to wait for a company name lock held by another request, by store.",
    ("store",),
)
COMPANY_LOCK_TIMEOUTS = Counts(
    "gainsight_company_lock_timeouts",
    "group requests whose company name locks stayed taken past COMPANY_LOCK_WAIT_SECONDS (their "
    "group events got a retryable 500), by store.",
    ("store",),
)
COMPANY_STORE_ERRORS = Counts(
    "gainsight_company_store_errors",
    "Failed operations of the company store (Redis or the workers' shared files), by store and operation.",
    ("store", "operation"),
)
FORWARDED = Counts(
    "gainsight_transformer_forwarded_requests",
    "Requests passed on to the upstream transformer, by its route template, the status our client "
    "got and the outcome (answered, refused, timeout, too_large, client_gone, broken).",
    ("route", "status", "outcome"),
)
FORWARD_LATENCY = Timings(
    "gainsight_transformer_forwarded_request_duration_seconds",
    "Time from receiving a request to the end of the upstream transformer's answer, by route template.",
    ("route",),
)
ALL = (
    HTTP_REQUESTS,
    EVENTS,
    OUTGOING_REQUESTS,
    OUTGOING_LATENCY,
    COMPANY_CACHE,
    COMPANY_LOCK_WAITS,
    COMPANY_LOCK_TIMEOUTS,
    COMPANY_STORE_ERRORS,
    FORWARDED,
    FORWARD_LATENCY,
)


class _Collector(Collector):
    def collect(self) -> Iterator[Metric]:
        for metric in ALL:
            yield metric.family()


def registry(collector: Collector, *, per_process: bool = True) -> CollectorRegistry:
    """Our metrics from `collector`, python_info, and unless `per_process` is False the counters
    of this one process (process_*, python_gc_*)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    if per_process:
        ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    if per_process:
        GCCollector(registry=registry)
    return registry


REGISTRY = registry(_Collector())


def share(directory: Path, *, per_process: bool = False) -> None:
    """In a worker process, before it serves: count into this process's files in `directory`,
    which the workers share (and the workers a reload starts), and answer scrapes with the sum of
    every file there. process_* and python_gc_* describe one process and are left out unless
    `per_process` (one worker slot): with several, which worker answers a scrape changes from one
    scrape to the next (docs/observability.md)."""
    global REGISTRY
    files = shared_files(directory, os.getpid())
    for metric in ALL:
        metric.share(files[metric.file_kind])
    REGISTRY = registry(SharedCollector(directory, ALL), per_process=per_process)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
