"""SIGHUP reloads the service without refusing or failing a request (supervisor.py): a steady
stream of transform requests, over new connections and over keep-alive ones, runs through two
reloads; every request is answered 200, and the old workers are replaced by new ones."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil
import pytest

from gainsight_transformer import workers
from support.processes import start_service, stop

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not workers.reuse_port_supported(), reason="needs SO_REUSEPORT (Linux)"),
]

IDENTIFY = [
    {
        "message": {"type": "identify", "traits": {"email": "reload@example.com"}},
        "metadata": {"jobId": 1},
        "destination": {"Config": {"domain": "acme.gainsightcloud.com", "accessKey": "k"}},
    }
]


def _workers(supervisor: psutil.Process, port: int) -> set[int]:
    """The children listening on the port (old workers of a reload stop listening, then exit)."""
    found = set()
    for child in supervisor.children():
        try:
            connections = child.net_connections()
        except psutil.NoSuchProcess:  # an old worker that has just exited
            continue
        if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in connections):
            found.add(child.pid)
    return found


def _stream(url: str, keep_alive: bool, stop_at: threading.Event, outcomes: Counter[str]) -> None:
    client = httpx.Client(timeout=30) if keep_alive else None
    try:
        while not stop_at.is_set():
            try:
                if client is not None:
                    response = client.post(f"{url}/v0/destinations/gainsight", json=IDENTIFY)
                else:
                    with httpx.Client(timeout=30) as fresh:  # a new connection per request
                        response = fresh.post(f"{url}/v0/destinations/gainsight", json=IDENTIFY)
                outcomes[str(response.status_code)] += 1
            except httpx.HTTPError as exc:
                outcomes[type(exc).__name__] += 1
    finally:
        if client is not None:
            client.close()


@pytest.mark.parametrize("count", [1, 2])
def test_a_steady_stream_sees_no_failure_through_two_reloads(tmp_path: Path, count: int) -> None:
    log = tmp_path / "service.log"
    url, process = start_service(log, WORKERS=str(count), LOG_LEVEL="info")
    port = int(url.rsplit(":", 1)[1])
    supervisor = psutil.Process(process.pid)
    outcomes: Counter[str] = Counter()
    stop_at = threading.Event()
    streams = [
        threading.Thread(target=_stream, args=(url, keep_alive, stop_at, outcomes))
        for keep_alive in (False, False, False, True, True)
    ]
    try:
        deadline = time.monotonic() + 30
        while len(first := _workers(supervisor, port)) < count:
            assert time.monotonic() < deadline, "workers did not listen"
            time.sleep(0.1)
        for stream in streams:
            stream.start()
        seen = [first]
        for _ in range(2):
            time.sleep(1.5)
            before = sum(outcomes.values())
            os.kill(process.pid, signal.SIGHUP)
            deadline = time.monotonic() + 60
            while (now := _workers(supervisor, port)) & seen[-1] or len(now) < count:
                assert time.monotonic() < deadline, "the reload did not replace the workers"
                time.sleep(0.1)
            seen.append(now)
            assert sum(outcomes.values()) > before  # requests kept being answered meanwhile
        time.sleep(1.0)
    finally:
        stop_at.set()
        for stream in streams:
            stream.join(timeout=60)
        stop(process)
    assert set(outcomes) == {"200"}, outcomes
    assert outcomes["200"] > 100
    assert len(set().union(*seen)) == 3 * count  # three generations of workers, no pid twice
    text = log.read_text()
    assert text.count("the old ones finish their requests") == 2
    # On failure, show the traceback itself (a worker's exception, logged or printed at exit).
    at = text.find("Traceback")
    assert at < 0, text[max(0, at - 300) : at + 4000]
    assert '"level":"error"' not in text, [line for line in text.splitlines() if '"level":"error"' in line]
