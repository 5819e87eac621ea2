"""How many worker processes, and how they share the port (docs/performance.md#workers).

`WORKERS` defaults to the CPUs this process may use: its CPU affinity, capped by the cgroup CPU
quota (a container limited to 2 CPUs on a 64-core node gets 2, not 64). With more than one,
each worker binds its own listening socket with SO_REUSEPORT, so the kernel spreads incoming
connections over the workers by their address hash. uvicorn's own `--workers` shares one
socket instead, where the first worker to wake takes the connection: a client that opens its
keep-alive connections in one burst could find them all on one busy worker while the others
idle (measured: bench/README.md, "Two workers on two cores").
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)

CGROUP = Path("/sys/fs/cgroup")


def cgroup_cpu_limit(root: Path = CGROUP) -> float | None:
    """CPUs the cgroup quota allows (v2 `cpu.max`, or v1 `cpu.cfs_quota_us`); None: no limit."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota == "max":
            return None
        return int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def usable_cpus(root: Path = CGROUP) -> int:
    """The default for WORKERS: CPUs in the affinity mask, capped by the quota rounded up."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    limit = cgroup_cpu_limit(root)
    if limit is not None:
        available = min(available, max(1, math.ceil(limit)))
    return max(1, available)


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket that other processes can bind to the same address (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT") and os.name == "posix"


def supervise(count: int, host: str, port: int, run_worker: Callable[[str, int], None]) -> int:
    """Run `count` processes of `run_worker(host, port)`, each binding its own SO_REUSEPORT socket;
    restart one that dies; on SIGTERM/SIGINT pass the signal on and wait for all of them. The
    exit status: 0 after a signal, 1 when workers kept dying (more than 5 per worker in 60 s)."""
    # The port must be free for us before any worker binds it: fail here with a clear error
    # rather than in every worker.
    reuse_port_socket(host, port).close()
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> BaseProcess:
        process = context.Process(target=run_worker, args=(host, port), daemon=False)
        process.start()
        return process

    def stop(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in workers:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signum)

    workers = [start() for _ in range(count)]
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    restarts: list[float] = []
    status = 0
    while not stopping:
        time.sleep(0.5)
        for position, process in enumerate(workers):
            if stopping or process.is_alive():
                continue
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < 60] + [now]
            if len(restarts) > 5 * count:  # crashing at start-up: give up rather than spin
                log.error("workers keep exiting (%d restarts in 60 s): stopping", len(restarts) - 1)
                status = 1
                stop(signal.SIGTERM, None)
                break
            log.warning("worker process %s exited with %s; starting another", process.pid, process.exitcode)
            workers[position] = start()
    for process in workers:
        process.join()
    return status
