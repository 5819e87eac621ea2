"""The main process of the service: worker processes on one port, kept running, reloaded on SIGHUP
(docs/scaling.md#reload-without-an-outage-sighup).

The supervisor binds one SO_REUSEPORT listening socket per worker slot and hands each to the worker
of that slot. The socket outlives its workers: when a worker dies, or is replaced by a reload, the
connections the kernel has queued on its socket wait for the next worker of the slot instead of
being reset, and the port never stops listening.

SIGHUP reloads: a new worker is started for every slot (a fresh process: settings and code are read
again), and once every new worker says it is ready (its app has started and it accepts on the
slot's socket), the old workers get SIGTERM and finish their requests while the new ones serve. If
a new worker fails to become ready, the reload is abandoned and the old workers keep serving.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

log = logging.getLogger("gainsight_transformer.supervisor")

#: The worker's command (worker.py); its arguments follow.
WORKER = [sys.executable, "-m", "gainsight_transformer.worker"]
#: Seconds a new worker has to become ready (its app's start-up included) before a reload gives up.
READY_TIMEOUT = 60.0
#: More exits than this per worker slot within a minute: the workers are crashing at start-up.
MAX_RESTARTS_PER_SLOT = 5


@dataclass(eq=False)
class Worker:
    process: subprocess.Popen[bytes]
    ready_fd: int  # the supervisor's end of a pipe: one line when the worker serves, then EOF

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.ready_fd >= 0:
            os.close(self.ready_fd)
            self.ready_fd = -1


@dataclass(eq=False)
class Slot:
    sock: socket.socket
    worker: Worker | None = None


@dataclass
class Supervisor:
    sockets: list[socket.socket]
    shared: Path
    on_ready: Callable[[list[int]], None] = lambda pids: None
    command: list[str] = field(default_factory=lambda: list(WORKER))
    slots: list[Slot] = field(init=False)
    retiring: list[subprocess.Popen[bytes]] = field(default_factory=list)
    stopping: bool = False
    reload_wanted: bool = False
    stop_signal: int = signal.SIGTERM

    def __post_init__(self) -> None:
        self.slots = [Slot(sock) for sock in self.sockets]
        self.restarts: list[float] = []

    # ----- workers -----
    def _start(self, slot: Slot) -> Worker:
        theirs_sock = slot.sock.fileno()
        ours, theirs = os.pipe()
        try:
            process = subprocess.Popen(
                [*self.command, str(theirs_sock), str(theirs), str(os.getpid()), str(self.shared)],
                pass_fds=(theirs_sock, theirs),
            )
        except BaseException:
            os.close(ours)
            raise
        finally:
            os.close(theirs)
        return Worker(process, ours)

    def _await_ready(self, workers: list[Worker], timeout: float = READY_TIMEOUT) -> bool:
        """Whether every worker said it is ready within `timeout`; False as soon as one exits."""
        deadline = time.monotonic() + timeout
        for worker in workers:
            while not select.select([worker.ready_fd], [], [], 0.05)[0]:
                if not worker.alive or time.monotonic() > deadline or self.stopping:
                    return False
            if os.read(worker.ready_fd, 64) != b"ready\n":  # EOF: it stopped before serving
                return False
            worker.close()
        return True

    @staticmethod
    def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
        if process.poll() is None:
            try:
                process.send_signal(signum)
            except ProcessLookupError:
                pass

    # ----- signals -----
    def _on_stop(self, signum: int, _: FrameType | None) -> None:
        self.stopping = True
        self.stop_signal = signum

    def _on_reload(self, signum: int, _: FrameType | None) -> None:
        self.reload_wanted = True

    # ----- life -----
    def run(self) -> int:
        """Until SIGTERM/SIGINT (passed on to every worker, then waited for); the exit status."""
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)
        for slot in self.slots:
            slot.worker = self._start(slot)
        fresh = [slot.worker for slot in self.slots if slot.worker is not None]
        if self._await_ready(fresh):
            self.on_ready([w.process.pid for w in fresh])
        status = 0
        while not self.stopping:
            time.sleep(0.2)
            self.retiring = [p for p in self.retiring if p.poll() is None]
            if self.reload_wanted:
                self.reload_wanted = False
                self.reload()
            if not self._replace_dead():
                status = 1
                self.stopping = True
        self._stop_all()
        return status

    def _replace_dead(self) -> bool:
        """Start a worker in every slot whose worker died; False when they keep dying."""
        for slot in self.slots:
            worker = slot.worker
            if self.stopping or worker is None or worker.alive:
                continue
            now = time.monotonic()
            self.restarts = [t for t in self.restarts if now - t < 60] + [now]
            if len(self.restarts) > MAX_RESTARTS_PER_SLOT * len(self.slots):
                log.error("workers keep exiting (%d restarts in 60 s): stopping", len(self.restarts) - 1)
                return False
            log.warning(
                "worker process %s exited with %s; starting another",
                worker.process.pid,
                worker.process.returncode,
            )
            worker.close()
            slot.worker = self._start(slot)
        return True

    def reload(self) -> None:
        """New workers for every slot; the old ones stop once all the new ones are ready."""
        old = [slot.worker for slot in self.slots]
        new = [self._start(slot) for slot in self.slots]
        log.info("reload: starting %d new worker(s) %s", len(new), [w.process.pid for w in new])
        if not self._await_ready(new):
            for worker in new:
                self._signal(worker.process, signal.SIGTERM)
                try:
                    worker.process.wait(10)
                except subprocess.TimeoutExpired:
                    worker.process.kill()
                    worker.process.wait()
                worker.close()
            log.error("reload abandoned: a new worker did not become ready; the running workers go on")
            return
        for slot, worker in zip(self.slots, new, strict=True):
            slot.worker = worker
        for previous in old:
            if previous is not None:
                self._signal(previous.process, signal.SIGTERM)  # finishes its requests, then exits
                previous.close()
                self.retiring.append(previous.process)
        log.info(
            "reload: %d new worker(s) serving %s; the old ones finish their requests",
            len(new),
            [w.process.pid for w in new],
        )

    def _stop_all(self) -> None:
        processes = [slot.worker.process for slot in self.slots if slot.worker is not None]
        processes += self.retiring
        for process in processes:
            self._signal(process, self.stop_signal)
        for process in processes:
            process.wait()
        for slot in self.slots:
            if slot.worker is not None:
                slot.worker.close()
