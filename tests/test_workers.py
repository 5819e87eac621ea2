"""WORKERS: the default from affinity and cgroup quota, and SO_REUSEPORT workers for real."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest

from gainsight_transformer import workers
from support.processes import start_service, stop


def _cgroup(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("files", "limit"),
    [
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu.max": "50000 100000\n"}, 0.5),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "300000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 3.0),
        ({}, None),
        ({"cpu.max": "garbage"}, None),
    ],
)
def test_the_cgroup_cpu_limit_is_read_from_v2_or_v1_files(tmp_path: Path, files, limit) -> None:
    assert workers.cgroup_cpu_limit(_cgroup(tmp_path, files)) == limit


def test_the_default_is_the_affinity_capped_by_the_quota_rounded_up(tmp_path: Path) -> None:
    affinity = len(os.sched_getaffinity(0))
    assert workers.usable_cpus(_cgroup(tmp_path / "none", {})) == affinity
    assert workers.usable_cpus(_cgroup(tmp_path / "half", {"cpu.max": "50000 100000"})) == 1
    assert workers.usable_cpus(_cgroup(tmp_path / "many", {"cpu.max": "6400000 100000"})) == affinity
    one_and_a_half = _cgroup(tmp_path / "1.5", {"cpu.max": "150000 100000"})
    assert workers.usable_cpus(one_and_a_half) == min(affinity, 2)


def _workers_of(process: psutil.Process) -> list[psutil.Process]:
    """The worker processes: children that listen on a socket."""
    return [
        child
        for child in process.children()
        if any(c.status == psutil.CONN_LISTEN for c in child.net_connections())
    ]


def _wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.e2e
@pytest.mark.skipif(not workers.reuse_port_supported(), reason="needs SO_REUSEPORT (Linux)")
def test_two_workers_each_listen_and_share_a_burst_of_keep_alive_connections(tmp_path: Path) -> None:
    base_url, process = start_service(tmp_path / "service.log", WORKERS="2")
    try:
        supervisor = psutil.Process(process.pid)
        _wait_for(lambda: len(_workers_of(supervisor)) == 2)
        pids = {worker.pid for worker in _workers_of(supervisor)}
        port = int(base_url.rsplit(":", 1)[1])
        clients = [httpx.Client(base_url=base_url) for _ in range(16)]  # one connection each, opened at once
        try:
            for client in clients:
                assert client.get("/health").status_code == 200
            holding = {
                pid: sum(
                    1
                    for c in psutil.Process(pid).net_connections()
                    if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
                )
                for pid in pids
            }
            # The kernel spreads connections by address hash: all 16 on one worker has odds of 1 in 32,768.
            assert sum(holding.values()) == 16 and min(holding.values()) > 0, holding
        finally:
            for client in clients:
                client.close()

        # A worker that dies is replaced; the port keeps answering meanwhile.
        victim = next(iter(pids))
        os.kill(victim, signal.SIGKILL)
        assert httpx.get(base_url + "/health").status_code == 200

        def replaced() -> bool:
            now = {w.pid for w in _workers_of(supervisor)}  # one look: the two facts must be of one moment
            return len(now) == 2 and victim not in now

        _wait_for(replaced)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        _wait_for(lambda: not supervisor.is_running() or supervisor.status() == psutil.STATUS_ZOMBIE, 10)
    finally:
        stop(process)
    log = (tmp_path / "service.log").read_text()
    assert f"worker process {victim} exited with -9; starting another" in log
    assert "Traceback" not in log
