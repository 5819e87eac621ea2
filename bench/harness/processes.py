"""Processes of a benchmark: started in their own session, pinned with taskset, and watched with
psutil (CPU time, resident memory, connections of the whole process tree)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from . import REPO


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def process_tree(pid: int) -> list[psutil.Process]:
    """The process and all its descendants (uvicorn --workers forks children)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def rss_mib(pid: int) -> float:
    """Resident memory of the whole process tree."""
    total = 0
    for process in process_tree(pid):
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total / (1024 * 1024)


def peak_rss_mib(pid: int) -> float:
    """The process's own peak resident memory (Linux `VmHWM`, which psutil does not report)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def cpu_seconds(tree: list[psutil.Process]) -> float:
    total = 0.0
    for process in tree:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def connections_to_port(tree: list[psutil.Process], port: int) -> int:
    """ESTABLISHED TCP connections of the process tree to a remote `port`."""
    count = 0
    for process in tree:
        with contextlib.suppress(psutil.Error):
            count += sum(
                1
                for conn in process.net_connections(kind="tcp")
                if conn.status == psutil.CONN_ESTABLISHED and conn.raddr and conn.raddr.port == port
            )
    return count


class Monitor(threading.Thread):
    """Polls the server's process tree: summed resident memory (max), and connections to `port`."""

    def __init__(self, pid: int, outbound_port: int | None = None, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.outbound_port, self.interval = pid, outbound_port, interval
        self.stop_event = threading.Event()
        self.max_rss_mib = 0.0
        self.max_outbound = 0
        self.samples = 0

    def sample(self, tree: list[psutil.Process]) -> None:
        self.max_rss_mib = max(self.max_rss_mib, rss_mib(self.pid))
        if self.outbound_port:
            self.max_outbound = max(self.max_outbound, connections_to_port(tree, self.outbound_port))
        self.samples += 1

    def run(self) -> None:
        tree = process_tree(self.pid)
        next_tree_refresh = time.monotonic() + 1.0
        while not self.stop_event.is_set():
            if time.monotonic() > next_tree_refresh:
                tree, next_tree_refresh = process_tree(self.pid), time.monotonic() + 1.0
            self.sample(tree)
            self.stop_event.wait(self.interval)

    def stop(self) -> None:
        """Stops polling and takes one last sample, so a run has at least one however busy the
        machine was (the thread may not have been scheduled during a short run)."""
        self.stop_event.set()
        self.join(5)
        self.sample(process_tree(self.pid))


def wait_idle(pid: int, timeout: float = 60.0) -> None:
    """Until the process tree uses < 5 % of a CPU over 0.25 s (in-flight requests done)."""
    deadline = time.monotonic() + timeout
    tree = process_tree(pid)
    before = cpu_seconds(tree)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = cpu_seconds(tree)
        if now - before < 0.0125:
            return
        before = now


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pin(cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus] if cpus else []


class Managed:
    """A child process in its own session; stopped by its own process-group id only."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name, self.log_path = name, log_path
        self.log_file = open(log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log_file.close()


def wait_until(check: Callable[[], object], timeout: float, what: str, proc: Managed) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited ({proc.proc.returncode})\n{proc.tail()}")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what}: not ready after {timeout:.0f} s\n{proc.tail()}")
