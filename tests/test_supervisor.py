"""The supervisor with stand-in workers (small scripts on the real sockets and pipes), and the
start-up line of the real service."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest

from gainsight_transformer import workers
from gainsight_transformer.supervisor import Supervisor
from support.processes import free_port, start_service, stop

pytestmark = pytest.mark.skipif(not workers.reuse_port_supported(), reason="needs SO_REUSEPORT (Linux)")

# A worker stand-in: says it is ready unless the shared directory holds a file named `broken`,
# then answers every connection on its socket with its own pid until SIGTERM.
STAND_IN = textwrap.dedent(
    """
    import os, signal, socket, sys
    sock_fd, ready_fd, _, shared = sys.argv[1:5]
    if os.path.exists(os.path.join(shared, "broken")):
        sys.exit(3)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    listener = socket.socket(fileno=int(sock_fd))
    listener.settimeout(0.05)
    os.write(int(ready_fd), b"ready\\n")
    os.close(int(ready_fd))
    while not stopping:  # like a real worker: stop between connections, never in one
        try:
            connection, _ = listener.accept()
        except (TimeoutError, InterruptedError):
            continue
        connection.sendall(str(os.getpid()).encode())
        connection.close()
    """
)


def _pid_behind(port: int) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        return int(connection.recv(32))


@pytest.fixture
def supervised(tmp_path: Path):
    port = free_port()
    sock = workers.reuse_port_socket("127.0.0.1", port)
    supervisor = Supervisor(
        [sock],
        tmp_path,
        command=[
            sys.executable,
            "-c",
            STAND_IN,
        ],
    )
    ready: list[list[int]] = []
    supervisor.on_ready = ready.append
    # The supervisor installs signal handlers: only the main thread may, so it is driven here by
    # calling its steps, and `run` is exercised by the real service's tests.
    slot = supervisor.slots[0]
    slot.worker = supervisor._start(slot)
    assert supervisor._await_ready([slot.worker])
    yield supervisor, port
    supervisor._stop_all()
    sock.close()


def test_a_reload_replaces_the_worker_once_the_new_one_is_ready(supervised) -> None:
    supervisor, port = supervised
    first = _pid_behind(port)
    supervisor.reload()
    deadline = time.monotonic() + 10
    while (now := _pid_behind(port)) == first:
        assert time.monotonic() < deadline, "the old worker still answers"
    assert now == supervisor.slots[0].worker.process.pid
    assert supervisor.retiring and supervisor.retiring[0].wait(10) == 0  # it got SIGTERM


def test_a_reload_whose_new_worker_fails_keeps_the_running_one(supervised, tmp_path: Path, caplog) -> None:
    supervisor, port = supervised
    first = _pid_behind(port)
    (tmp_path / "broken").touch()
    supervisor.reload()
    assert "reload abandoned" in caplog.text
    assert supervisor.slots[0].worker.process.pid == first and supervisor.slots[0].worker.alive
    assert {_pid_behind(port) for _ in range(5)} == {first}


def test_a_dead_workers_connections_wait_for_its_replacement(supervised) -> None:
    supervisor, port = supervised
    worker = supervisor.slots[0].worker
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait()
    answered: list[int] = []
    # Connects while the slot has no worker: the kernel queues it on the slot's socket.
    waiting = threading.Thread(target=lambda: answered.append(_pid_behind(port)))
    waiting.start()
    time.sleep(0.2)
    assert supervisor._replace_dead()
    waiting.join(10)
    assert answered == [supervisor.slots[0].worker.process.pid]


def test_the_start_up_line_says_where_and_how_and_no_secret(tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    url, process = start_service(
        log,
        LOG_LEVEL="info",
        WORKERS="1",
        REDIS_URL=f"redis://user:redis-password@127.0.0.1:{free_port()}/0",
        REDIS_TIMEOUT_SECONDS="0.2",
        UPSTREAM_TRANSFORMER_URL="http://user:upstream-password@127.0.0.1:9/",
        COMPANY_CACHE_TTL_SECONDS="60",
        SHUTDOWN_TIMEOUT_SECONDS="25",  # its default: not listed
    )
    try:
        assert httpx.get(f"{url}/health").status_code == 200
        deadline = time.monotonic() + 30
        while "serving on" not in log.read_text():
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        stop(process)
    text = log.read_text()
    [line] = [json.loads(x) for x in text.splitlines() if '"serving on' in x]
    port = url.rsplit(":", 1)[1]
    assert line["message"] == f"serving on 127.0.0.1:{port} with 1 worker(s)"
    assert line["address"] == f"127.0.0.1:{port}" and line["workers"] == 1
    assert line["companyStore"] == "redis" and line["upstream"] == "127.0.0.1"
    assert line["settings"]["COMPANY_CACHE_TTL_SECONDS"] == 60.0
    assert line["settings"]["REDIS_URL"].startswith("redis://127.0.0.1:")
    assert "SHUTDOWN_TIMEOUT_SECONDS" not in line["settings"]
    assert "redis-password" not in text and "upstream-password" not in text
    assert os.environ.get("REDIS_URL") is None  # nothing leaked into this process either
