"""Prometheus metrics, counted in plain dicts on the hot path and exposed by prometheus-client.

The request path only adds to dicts keyed by label tuples (no locks: one event loop per process);
prometheus-client's registry reads them when `/metrics` is scraped. Names and labels follow the
original rudder-transformer where it has the same measurement (`http_request_duration`,
`outgoing_request_count`, `outgoing_request_latency`), so existing dashboards keep working; the
rest are ours and say so with a `gainsight_` prefix.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

# Seconds; from a one-event request (sub-millisecond) to a slow Gainsight call.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Counts:
    """A labelled counter. `exact_name` keeps the original's name without prometheus' `_total`."""

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
        if self.exact_name:
            # prometheus-client would expose a counter as `<name>_total`; the original's
            # prom-client exposes the bare name, which dashboards query. Untyped keeps it exact.
            family = Metric(self.name, self.documentation, "unknown")
            for key, value in self.values.items():
                family.add_sample(self.name, dict(zip(self.labels, key, strict=True)), value)
            return family
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for key, value in self.values.items():
            family.add_metric(key, value)
        return family


class Timings:
    """A labelled histogram of seconds."""

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
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        bounds = [str(b) for b in LATENCY_BUCKETS] + ["+Inf"]
        for key, counts in self.series.items():
            cumulative, buckets = 0.0, []
            for bound, count in zip(bounds, counts, strict=False):
                cumulative += count
                buckets.append((bound, cumulative))
            family.add_metric(list(key), buckets, counts[-1])
        return family


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


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(_Collector())
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
