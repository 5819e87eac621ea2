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

import ctypes
import errno
import logging
import math
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .supervisor import Supervisor

log = logging.getLogger(__name__)
OnReady = Callable[[list[int]], None]

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
    return sock


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT") and os.name == "posix"


class PortTaken(OSError):
    """Another instance of the service holds the port (its workers would share it silently)."""


def claim_port(port: int) -> socket.socket | None:
    """Hold the port for this service's workers: a Unix socket of Linux's abstract namespace named
    by the port. The kernel keeps one such name per network namespace (the scope of TCP ports) and
    frees it when its holder dies, so no stale file can lock a port out. None where there is no
    abstract namespace; `PortTaken` when another instance holds it."""
    if not sys.platform.startswith("linux"):
        return None
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        claim.bind(f"\0gainsight-transformer:port:{port}")
    except OSError as exc:
        claim.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortTaken(errno.EADDRINUSE, "address already in use") from None
        return None
    return claim


def die_with_parent(parent: int) -> None:
    """In a worker: be sent SIGTERM when the supervisor dies, even by SIGKILL (Linux), so no worker
    serves on unsupervised; exit at once if it is already gone."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(0)


PR_SET_PDEATHSIG = 1
SHARED_DIR_PREFIX = "gainsight-transformer-"


def shared_directory() -> Path:
    """A directory for this start's workers to share (company store, metrics), in the runtime
    directory when there is one; removed by the supervisor when it stops. Directories left by a
    supervisor that was killed are removed here first."""
    base = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
    for stale in base.glob(f"{SHARED_DIR_PREFIX}*-*"):
        pid = stale.name.removeprefix(SHARED_DIR_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{SHARED_DIR_PREFIX}{os.getpid()}-", dir=base))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def supervise(count: int, host: str, port: int, on_ready: OnReady) -> int:
    """Run `count` workers on `host:port` under a Supervisor (supervisor.py): each worker slot has
    its own SO_REUSEPORT socket, bound here; `on_ready(pids)` once the first workers serve. The exit
    status: 0 after SIGTERM/SIGINT, 1 when workers kept dying or when the port is taken."""
    sockets: list[socket.socket] = []
    claim: socket.socket | None = None
    try:
        # The port must be free for us: fail here with the line a single process gives, rather than
        # in every worker or, worse, sharing another instance's port through SO_REUSEPORT.
        claim = claim_port(port)
        for _ in range(count):
            sockets.append(reuse_port_socket(host, port))
    except OSError as exc:
        log.error("error while attempting to bind on address %r: %s", (host, port), _reason(exc))
        for sock in sockets:
            sock.close()
        return 1
    shared = shared_directory()
    try:
        return Supervisor(sockets, shared, on_ready).run()
    finally:
        shutil.rmtree(shared, ignore_errors=True)
        for sock in sockets:
            sock.close()
        if claim is not None:
            claim.close()


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()
