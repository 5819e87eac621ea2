"""Slow clients (slowloris) against the real process: a request that does not arrive whole in
time gets 408 and its connection closes, and the service keeps answering others meanwhile."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.processes import start_service, stop

SLOW = 300


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    log = tmp_path_factory.mktemp("slow") / "service.log"
    base_url, process = start_service(log, REQUEST_READ_TIMEOUT_SECONDS="1.5", LIMIT_CONCURRENCY="2000")
    try:
        yield base_url, process.pid
    finally:
        stop(process)


def _port(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1])


def test_slow_requests_get_408_and_others_are_served_meanwhile(service: tuple[str, int]) -> None:
    base_url, _ = service
    sockets = []
    for index in range(SLOW):
        sock = socket.create_connection(("127.0.0.1", _port(base_url)))
        sock.sendall(b"POST /v0/destinations/gainsight HTTP/1.1\r\nHost: x\r\n" if index % 2 else b"")
        sockets.append(sock)
    started = time.monotonic()
    assert httpx.get(f"{base_url}/health", timeout=5).status_code == 200
    assert time.monotonic() - started < 1.0
    answers = []
    for sock in sockets:
        sock.settimeout(10)
        answers.append(sock.recv(200))
        sock.close()
    assert all(answer.startswith(b"HTTP/1.1 408 Request Timeout") for answer in answers)
    assert time.monotonic() - started < 6


def _answer(sock: socket.socket) -> bytes:
    data = b""
    while b'"service":"UP"' not in data:
        chunk = sock.recv(1000)
        if not chunk:
            break
        data += chunk
    return data


def test_a_request_sent_in_time_is_unaffected(service: tuple[str, int]) -> None:
    base_url, _ = service
    with socket.create_connection(("127.0.0.1", _port(base_url))) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.5)
        sock.sendall(b"\r\n")
        assert b'"service":"UP"' in _answer(sock)
        time.sleep(2)  # idle between requests: the keep-alive timeout, not the read deadline
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b'"service":"UP"' in _answer(sock)


def test_the_open_file_limit_is_raised_to_the_hard_limit(service: tuple[str, int]) -> None:
    _, pid = service
    limits = Path(f"/proc/{pid}/limits").read_text()
    line = next(line for line in limits.splitlines() if line.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    assert soft == hard
