"""Idle connections never lock requests out (docs/operations): a real service with
LIMIT_CONCURRENCY=50 holding more idle connections than that (connected and silent, or kept alive
after a request) still answers /health and a transform, by closing the longest idle first."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from support.processes import start_service, stop

pytestmark = pytest.mark.e2e

IDENTIFY = [
    {
        "message": {"type": "identify", "traits": {"email": "idle@example.com"}},
        "metadata": {"jobId": 1},
        "destination": {"Config": {"domain": "acme.gainsightcloud.com", "accessKey": "k"}},
    }
]


def test_more_idle_connections_than_the_limit_do_not_lock_out_health_or_transforms(tmp_path: Path) -> None:
    url, process = start_service(tmp_path / "service.log", LIMIT_CONCURRENCY="50", LOG_LEVEL="info")
    port = int(url.rsplit(":", 1)[1])
    silent: list[socket.socket] = []
    kept: list[httpx.Client] = []
    try:
        for _ in range(30):  # keep-alive connections idle after a request
            client = httpx.Client(base_url=url)
            assert client.get("/health").status_code == 200
            kept.append(client)
        for _ in range(40):  # connected, never a byte sent
            silent.append(socket.create_connection(("127.0.0.1", port)))
        for _ in range(20):  # each a new connection over the limit
            assert httpx.get(f"{url}/health", timeout=5).status_code == 200
            response = httpx.post(f"{url}/v0/destinations/gainsight", json=IDENTIFY, timeout=5)
            assert response.status_code == 200 and response.json()[0]["statusCode"] == 200
    finally:
        for sock in silent:
            sock.close()
        for client in kept:
            client.close()
        stop(process)
    log = (tmp_path / "service.log").read_text()
    assert "to make room under LIMIT_CONCURRENCY" in log
    assert "Exceeded concurrency limit" not in log
