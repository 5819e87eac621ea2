"""Operations against the real process: secrets stay out of logs and error texts; SIGTERM drains."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gainsight_simulator.smoke import destination
from support.processes import Simulator, start_service, stop

ACCESS_KEY = "ak-LEAK-CANARY-4242"
SHARED_SECRET = "ss-LEAK-CANARY-7777"
QUERY = "/v1/data/objects/query/Company"
COMPANY = "/v1/data/objects/Company"


def _service(simulator: Simulator, log_file: Path, **env: str) -> tuple[str, subprocess.Popen]:
    env = {"GAINSIGHT_READ_TIMEOUT": "3", **env}
    return start_service(
        log_file,
        SSL_CERT_FILE=str(simulator.ca_file),
        GAINSIGHT_HOST_ALLOWLIST=simulator.domain,
        **env,
    )


@pytest.fixture
def debug_service(fresh_simulator: Simulator, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log_file = tmp_path / "service.log"
    base_url, process = _service(fresh_simulator, log_file, LOG_LEVEL="debug")
    try:
        yield base_url, log_file
    finally:
        stop(process)


def _destination(simulator: Simulator) -> dict[str, Any]:
    dest = destination(simulator.domain, ACCESS_KEY)
    dest["Config"]["sharedSecret"] = SHARED_SECRET
    return dest


def _elements(simulator: Simulator) -> list[dict[str, Any]]:
    email = {"context": {"traits": {"email": "canary@e2e.example"}}}
    messages = [
        {"type": "identify", "traits": {"email": "canary@e2e.example", "accessKey": ACCESS_KEY}},
        {"type": "identify", "traits": {"name": "no email"}},
        {"type": "track", "event": "Ticket Resolved", "properties": {"sharedSecret": SHARED_SECRET}},
        {"type": "track", "event": "Unmapped Event"},
        {"type": "group", "traits": {"name": "Canary Corp"}, **email},
        {"type": "group", "traits": {"name": "Canary Corp 2"}, **email},
        {"type": "page"},
    ]
    dest = _destination(simulator)
    return [{"message": m, "metadata": {"jobId": i, "destinationId": "d"}, "destination": dest} for i, m in enumerate(messages, 1)]  # fmt: skip


def _errors(value: Any) -> Iterator[str]:
    """Every error text in an answer, however deep."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "error" and isinstance(item, str):
                yield item
            yield from _errors(item)
    elif isinstance(value, list):
        for item in value:
            yield from _errors(item)


def test_secrets_never_reach_logs_or_error_texts(debug_service, fresh_simulator: Simulator) -> None:
    base_url, log_file = debug_service
    answers: list[Any] = []

    def post(path: str, body: Any, **kwargs: Any) -> Any:
        response = httpx.post(
            f"{base_url}{path}", timeout=30, **kwargs, **({"json": body} if body is not None else {})
        )
        answers.append(response.json())
        return response.json()

    elements = _elements(fresh_simulator)
    fresh_simulator.fault(kind="status", status=500, count=1, path=COMPANY, body={"errorDesc": ACCESS_KEY})
    processed = post("/v0/destinations/gainsight", elements)
    fresh_simulator.fault(kind="status", status=429, count=1, path=QUERY)
    routed = post("/routerTransform", {"destType": "gainsight", "input": elements})
    compacted = {"input": [{k: v for k, v in e.items() if k != "destination"} for e in elements],
                 "destinations": {"d": _destination(fresh_simulator)}}  # fmt: skip
    post("/v0/destinations/gainsight", compacted, headers={"X-Content-Format": "json+compactedv1"})
    post(
        "/routerTransform",
        {"destType": "gainsight", "input": elements},
        headers={"oauth-secret": json.dumps(ACCESS_KEY)},
    )

    # Deliver every output, with Gainsight failing some deliveries (its answers echo the key).
    fresh_simulator.fault(kind="status", status=401, count=2, body={"message": f"bad key {ACCESS_KEY}"})
    for output in [o for o in routed["output"] if o["statusCode"] == 200]:
        request = output["batchedRequest"]
        post("/v1/destinations/gainsight/proxy", {**request, "metadata": output["metadata"]})
        post("/v0/destinations/gainsight/proxy", {**request, "metadata": output["metadata"][0]})
    for item in processed:
        if item["statusCode"] == 200:
            post("/v0/destinations/gainsight/proxy", item["output"])
    # Refused and malformed requests that carry the secrets.
    refused = {"endpoint": "https://evil.example/steal", "method": "POST",
               "headers": {"Accesskey": ACCESS_KEY}, "body": {"JSON": {"sharedSecret": SHARED_SECRET}}}  # fmt: skip
    post("/v1/destinations/gainsight/proxy", {**refused, "metadata": [{"jobId": 1}]})
    post("/v0/destinations/gainsight/proxy", refused)
    post("/v0/destinations/gainsight", None, content=f'[{{"accessKey": "{ACCESS_KEY}",'.encode())
    post(
        "/routerTransform",
        {"destType": "gainsight", "input": [{"destination": {"Config": {"accessKey": ACCESS_KEY}}}]},
    )

    error_texts = [text for answer in answers for text in _errors(answer)]
    assert len(error_texts) > 10  # the batch really exercised failures
    leaked = [text for text in error_texts if ACCESS_KEY in text or SHARED_SECRET in text]
    # Gainsight's own answers are relayed to rudder-server as the contract requires; anything
    # else we write must not carry the secrets.
    assert all("destinationResponse" in text or "bad key" in text for text in leaked), leaked

    time.sleep(0.3)  # let the last lines reach the file
    log = log_file.read_text()
    lines = [line for line in log.splitlines() if line.strip()]
    assert len(lines) >= len(answers)  # one access line per request at least
    for line in lines:
        json.loads(line)  # every line is structured
    assert ACCESS_KEY not in log and SHARED_SECRET not in log


def _sigterm_during(
    base_url: str, process: subprocess.Popen, simulator: Simulator, body: Any
) -> tuple[httpx.Response, float]:
    """Post `body`, send SIGTERM once the service is waiting on Gainsight; the answer and its time."""
    result: dict[str, Any] = {}

    def call() -> None:
        started = time.monotonic()
        result["response"] = httpx.post(f"{base_url}/v0/destinations/gainsight", json=body, timeout=30)
        result["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=call)
    worker.start()
    deadline = time.monotonic() + 5
    while not simulator.state()["calls"] and time.monotonic() < deadline:
        time.sleep(0.05)  # the request is now waiting on the delayed Company search
    process.send_signal(signal.SIGTERM)
    worker.join(timeout=15)
    return result["response"], result["seconds"]


def test_sigterm_lets_an_in_flight_request_finish(fresh_simulator: Simulator, tmp_path: Path) -> None:
    base_url, process = _service(
        fresh_simulator,
        tmp_path / "service.log",
        SHUTDOWN_TIMEOUT_SECONDS="10",
        GROUP_DEADLINE_SECONDS="8",
        LOG_LEVEL="info",
    )
    try:
        fresh_simulator.fault(kind="delay", ms=1500, count=1, path=QUERY)
        group = {
            "type": "group",
            "traits": {"name": "Drain Corp"},
            "context": {"traits": {"email": "d@e2e.example"}},
        }
        body = [{"message": group, "metadata": {"jobId": 1}, "destination": destination(fresh_simulator.domain, "drain-key")}]  # fmt: skip
        response, _ = _sigterm_during(base_url, process, fresh_simulator, body)
        assert response.status_code == 200 and response.json()[0]["statusCode"] == 200
        # uvicorn drains, runs the lifespan shutdown, then re-raises the signal it caught.
        assert process.wait(timeout=15) in (0, -signal.SIGTERM)
        log = (tmp_path / "service.log").read_text()
        assert "Waiting for application shutdown" in log and "Application shutdown complete" in log
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{base_url}/health", timeout=2)
    finally:
        stop(process)


def test_a_request_outlasting_the_shutdown_grace_is_answered_retryable_in_time(
    fresh_simulator: Simulator, tmp_path: Path
) -> None:
    """Gainsight's read timeout (60 s) is longer than the shutdown grace: the group deadline
    answers the request (a retryable 500 for its group event) before the grace ends."""
    base_url, process = _service(
        fresh_simulator,
        tmp_path / "service.log",
        SHUTDOWN_TIMEOUT_SECONDS="4",
        GROUP_DEADLINE_SECONDS="2",
        GAINSIGHT_READ_TIMEOUT="60",
    )
    try:
        fresh_simulator.fault(kind="delay", ms=20_000, count=1, path=QUERY)
        group = {
            "type": "group",
            "traits": {"name": "Slow Corp"},
            "context": {"traits": {"email": "s@e2e.example"}},
        }
        identify = {"type": "identify", "traits": {"email": "i@e2e.example"}}
        body = [
            {
                "message": message,
                "metadata": {"jobId": job},
                "destination": destination(fresh_simulator.domain, "k"),
            }
            for job, message in enumerate((group, identify), 1)
        ]
        response, seconds = _sigterm_during(base_url, process, fresh_simulator, body)
        assert response.status_code == 200
        grouped, identified = response.json()
        assert grouped["statusCode"] == 500 and "took longer than 2 s" in grouped["error"]
        assert grouped["statTags"]["errorType"] == "retryable"
        assert identified["statusCode"] == 200
        assert seconds < 4
    finally:
        stop(process)
