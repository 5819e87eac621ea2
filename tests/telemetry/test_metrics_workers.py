"""`/metrics` of a service with several workers, for real: every scrape, whichever worker answers
it, reports the sum of all workers, a dead worker's counts included."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from gainsight_transformer import workers
from support.processes import Simulator, start_service, stop
from support.wire import element, identify, track

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not workers.reuse_port_supported(), reason="needs SO_REUSEPORT (Linux)"),
]

PROCESSOR = "/v0/destinations/gainsight"
EVENTS = "gainsight_transformer_events_total"
IDENTIFY_OK = {"feature": "processor", "messageType": "identify", "statusCode": "200", "errorType": "none"}
PER_PROCESS = ("process_", "python_gc_")

Samples = dict[tuple[str, frozenset], float]


def _workers_of(process: psutil.Process) -> list[psutil.Process]:
    """The worker processes: children that listen on a socket (one that has just died is none)."""
    found = []
    for child in process.children():
        try:
            if any(c.status == psutil.CONN_LISTEN for c in child.net_connections()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def _worker_pids(process: psutil.Process) -> set[int]:
    return {worker.pid for worker in _workers_of(process)}


def _wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _scrape(base_url: str) -> tuple[str, Samples]:
    """One scrape over a connection of its own (so the kernel picks the worker afresh)."""
    response = httpx.get(base_url + "/metrics")
    assert response.status_code == 200
    return response.text, _samples(response.text)


def _samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _identified(samples: Samples) -> float:
    return samples.get((EVENTS, frozenset(IDENTIFY_OK.items())), 0.0)


def _send_identifies(base_url: str, first_job: int, count: int) -> None:
    for job in range(first_job, first_job + count):  # one connection each
        answer = httpx.post(base_url + PROCESSOR, json=[element(identify(), job)])
        assert answer.status_code == 200 and answer.json()[0]["statusCode"] == 200


def _file_sums(directory: Path, kind: str, pid: int, needle: str) -> float:
    """What one worker's file holds under keys containing `needle` (events, a route...)."""
    path = directory / f"{kind}_{pid}.db"
    if not path.exists():  # a worker writes its files from its first count on
        return 0.0
    return sum(v for key, v, _, _ in MmapedDict.read_all_values_from_file(str(path)) if needle in key)


def _assert_never_lower(scrapes: list[Samples]) -> None:
    """Every sample of a scrape is in the next one, at least as high (all are counters or
    histograms, and python_info's constant 1)."""
    for before, after in zip(scrapes, scrapes[1:], strict=False):
        for key, value in before.items():
            assert after.get(key, -1.0) >= value, (key, value, after.get(key))


@pytest.mark.parametrize("count", [2, 4])
def test_every_scrape_reports_the_sum_of_all_workers_even_after_one_is_killed(
    tmp_path: Path, count: int
) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir()
    base_url, process = start_service(
        tmp_path / "service.log", WORKERS=str(count), XDG_RUNTIME_DIR=str(runtime)
    )
    try:
        supervisor = psutil.Process(process.pid)
        _wait_for(lambda: len(_workers_of(supervisor)) == count)
        pids = [worker.pid for worker in _workers_of(supervisor)]
        [shared] = runtime.glob(f"gainsight-transformer-{process.pid}-*")
        directory = shared / "metrics"

        sent = 60
        _send_identifies(base_url, 1, sent)
        per_worker = {pid: _file_sums(directory, "counter", pid, "identify") for pid in pids}
        # Every worker took some of the 60 connections (one of 4 misses them all with odds of 3e-8).
        assert sum(per_worker.values()) == sent and min(per_worker.values()) > 0, per_worker

        scrapes: list[Samples] = []
        for _ in range(24):
            text, samples = _scrape(base_url)
            assert _identified(samples) == sent
            families = {family.name for family in text_string_to_metric_families(text)}
            assert "python_info" in families and not any(name.startswith(PER_PROCESS) for name in families)
            scrapes.append(samples)
        # The scrapes were answered by more than one worker, and each reported the sum.
        answered = [pid for pid in pids if _file_sums(directory, "histogram", pid, '"/metrics"') > 0]
        assert len(answered) > 1, answered

        victim = max(per_worker, key=lambda pid: per_worker[pid])
        psutil.Process(victim).send_signal(signal.SIGKILL)
        # One look at the workers per check: the victim may still be listening at one look and gone at the next.
        _wait_for(lambda: len(_worker_pids(supervisor) - {victim}) == count)
        [replacement] = _worker_pids(supervisor) - set(pids)
        assert (directory / f"counter_{victim}.db").exists()
        # Scrape until the replacement has answered some: every scrape, its own included, still
        # counts the dead worker's events.
        for _ in range(200):
            _, samples = _scrape(base_url)
            assert _identified(samples) == sent
            scrapes.append(samples)
            if _file_sums(directory, "histogram", replacement, '"/metrics"') > 0:
                break
        else:
            pytest.fail("200 scrapes and none reached the replacement worker")

        more = 60
        _send_identifies(base_url, sent + 1, more)
        for _ in range(8):
            _, samples = _scrape(base_url)
            assert _identified(samples) == sent + more
            scrapes.append(samples)
        assert _file_sums(directory, "counter", replacement, "identify") > 0
        _assert_never_lower(scrapes)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)
    assert not shared.exists()  # the supervisor removed the directory, metrics included
    log = (tmp_path / "service.log").read_text()
    assert f"worker process {victim} exited with -9; starting another" in log
    assert "Traceback" not in log


def _group(simulator: Simulator, job: int) -> dict:
    message = {
        "type": "group",
        "traits": {"name": "Same Traffic Ltd"},
        "context": {"traits": {"email": "g@x.com"}},
    }
    config = {"domain": simulator.domain, "accessKey": "same-traffic-key"}
    return element(message, job, dest={"ID": "d", "Config": config})


def _same_traffic(base_url: str, simulator: Simulator) -> str:
    """Requests that touch every kind of metric: events with several outcomes, Company calls
    (outgoing_request_count, untyped), the company cache, an unknown route; then one scrape."""
    simulator.admin("POST", "reset")
    _send_identifies(base_url, 1, 6)
    body = [element(identify(email=""), 1), element(track(), 2), element({"type": "made-up"}, 3)]
    assert httpx.post(base_url + PROCESSOR, json=body).status_code == 200
    router = {"destType": "gainsight", "input": [element(identify(), 4)]}
    assert httpx.post(base_url + "/routerTransform", json=router).status_code == 200
    # One group request: a second one could reach the other worker, whose company cache is its own.
    answer = httpx.post(base_url + PROCESSOR, json=[_group(simulator, 5)]).json()
    assert answer[0]["statusCode"] == 200, answer
    assert httpx.get(base_url + "/no/such/route").status_code == 404
    return _scrape(base_url)[0]


def _declarations(text: str) -> set[str]:
    """The HELP and TYPE lines, but those of one process's counters."""
    return {
        line
        for line in text.splitlines()
        if line.startswith("#") and not line.split()[2].startswith(PER_PROCESS)
    }


def _series(text: str) -> set[str]:
    """Each sample line without its value: name and labels, in the exposition's own spelling."""
    return {
        line.rsplit(" ", 1)[0]
        for line in text.splitlines()
        if line and not line.startswith("#") and not line.startswith(PER_PROCESS)
    }


def test_a_scrape_of_two_workers_exposes_what_one_process_does_for_the_same_traffic(
    tmp_path: Path, simulator: Simulator
) -> None:
    texts = {}
    for count in ("1", "2"):
        base_url, process = start_service(
            tmp_path / f"service-{count}.log",
            WORKERS=count,
            SSL_CERT_FILE=str(simulator.ca_file),
            GAINSIGHT_HOST_ALLOWLIST=simulator.domain,
        )
        try:
            texts[count] = _same_traffic(base_url, simulator)
        finally:
            stop(process)
    single, shared = texts["1"], texts["2"]
    assert _declarations(shared) == _declarations(single)
    assert _series(shared) == _series(single)
    assert "# TYPE outgoing_request_count untyped" in shared
    assert "# TYPE gainsight_transformer_events_total counter" in shared
    assert "# TYPE http_request_duration histogram" in shared
    single_samples = {k: v for k, v in _samples(single).items() if not k[0].startswith(PER_PROCESS)}
    shared_samples = _samples(shared)
    for name in (EVENTS, "outgoing_request_count", "gainsight_company_cache_lookups_total"):
        counted = {k: v for k, v in single_samples.items() if k[0] == name}
        assert counted and counted == {k: v for k, v in shared_samples.items() if k[0] == name}, name
    # One process's counters are left out with several workers; python_info stays.
    assert any(line.startswith("process_cpu_seconds_total") for line in single.splitlines())
    assert not any(line.startswith(PER_PROCESS) for line in shared.splitlines())
    assert "python_info{" in shared
