"""Each company created once across worker processes and replicas (docs/scaling.md), with real
processes: the service (several workers, several instances), the Gainsight simulator and, for
replicas, a real redis-server. Bursts of concurrent requests on separate connections name the same
new companies; the simulator's state and call log say how many were created and searched."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from gainsight_simulator.smoke import destination
from gainsight_transformer import workers
from support.processes import Simulator, free_port, start_service, start_simulator, stop, wait_until_healthy
from support.redis_server import RedisServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not workers.reuse_port_supported(), reason="needs SO_REUSEPORT (Linux)"),
]

QUERY = "/v1/data/objects/query/Company"
COMPANY = "/v1/data/objects/Company"
#: Short enough for tests: the Redis store hands out no lock before Redis has been up this long.
LOCK_TTL = 4.0
FAST_GROUPS = {"GROUP_DEADLINE_SECONDS": "3", "COMPANY_LOCK_TTL_SECONDS": str(LOCK_TTL)}


@pytest.fixture(scope="module")
def unlimited_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    """A simulator of its own without a rate limit: the bursts make hundreds of calls a minute."""
    simulator, process = start_simulator(tmp_path_factory.mktemp("scaling-tls"), "--rate-limit", "0")
    try:
        yield simulator
    finally:
        stop(process)


@pytest.fixture
def sim(unlimited_simulator: Simulator) -> Simulator:
    unlimited_simulator.admin("POST", "reset")
    return unlimited_simulator


@pytest.fixture
def services(tmp_path: Path, sim: Simulator) -> Iterator[Callable[..., str]]:
    """start(**env) → the base URL of a service trusting the simulator; all stopped afterwards."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> str:
        log = tmp_path / f"service-{len(started)}.log"
        url, process = start_service(
            log, SSL_CERT_FILE=str(sim.ca_file), GAINSIGHT_HOST_ALLOWLIST=sim.domain, **env
        )
        started.append(process)
        return url

    yield start
    for process in started:
        stop(process)


def _group(name: str, email: str) -> dict[str, Any]:
    return {"type": "group", "traits": {"name": name}, "context": {"traits": {"email": email}}}


def _request(sim: Simulator, key: str, names: list[str], user: str) -> dict[str, Any]:
    """One router request: a group event per name, each from its own user."""
    elements = [
        {
            "message": _group(name, f"{user}.{i}@scale.example"),
            "metadata": {"jobId": i + 1, "destinationId": "d", "workspaceId": "w"},
            "destination": destination(sim.domain, key),
        }
        for i, name in enumerate(names)
    ]
    return {"destType": "gainsight", "input": elements}


def burst(urls: list[str], bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All bodies at once, each on a connection of its own, spread over `urls`; the outputs in order."""

    async def send_all() -> list[dict[str, Any]]:
        async def one(i: int, body: dict[str, Any]) -> list[dict[str, Any]]:
            async with httpx.AsyncClient(timeout=60) as client:  # its own connection
                response = await client.post(f"{urls[i % len(urls)]}/routerTransform", json=body)
                assert response.status_code == 200, response.text
                outputs: list[dict[str, Any]] = response.json()["output"]
                return outputs

        answers = await asyncio.gather(*(one(i, body) for i, body in enumerate(bodies)))
        return [output for answer in answers for output in answer]

    return asyncio.run(send_all())


def created(sim: Simulator) -> Counter[str]:
    return Counter(company["Name"] for company in sim.state()["companies"])


def searched(sim: Simulator) -> Counter[str]:
    """How often each name was part of a Company search."""
    names: Counter[str] = Counter()
    for call in sim.state()["calls"]:
        if call["path"] == QUERY:
            names.update(call["body"]["where"]["conditions"][0]["value"])
    return names


def company_calls(sim: Simulator) -> int:
    return sum(1 for call in sim.state()["calls"] if call["path"] in (QUERY, COMPANY))


def slow_searches(sim: Simulator, ms: int = 150) -> None:
    """Every Company search answered late: the window in which duplicates would be made."""
    sim.fault(kind="delay", ms=ms, count=100_000, path=QUERY)


def _statuses(outputs: list[dict[str, Any]]) -> Counter[int]:
    return Counter(output["statusCode"] for output in outputs)


def test_four_workers_create_each_company_once_and_search_each_name_once(
    services: Callable[..., str], sim: Simulator
) -> None:
    url = services(WORKERS="4")
    slow_searches(sim)
    names = [f"Four Workers {i}" for i in range(10)]
    outputs = burst([url], [_request(sim, "k-four", names, f"r{r}") for r in range(48)])

    assert _statuses(outputs) == {200: 480}
    assert created(sim) == Counter({name: 1 for name in names})
    assert set(searched(sim)) == set(names) and max(searched(sim).values()) == 1
    gsids = {c["Name"]: c["Gsid"] for c in sim.state()["companies"]}
    linked = Counter(o["batchedRequest"]["body"]["JSON"]["companies"][0]["Company_ID"] for o in outputs)
    assert linked == Counter({gsid: 48 for gsid in gsids.values()})


def test_three_instances_of_two_workers_sharing_redis_create_each_company_once(
    services: Callable[..., str], sim: Simulator, redis_server: RedisServer
) -> None:
    urls = [services(WORKERS="2", REDIS_URL=redis_server.url, **FAST_GROUPS) for _ in range(3)]
    redis_server.wait_up_for(LOCK_TTL)
    slow_searches(sim)
    everything: list[str] = []
    for round_ in range(4):
        names = [f"Replica {round_}-{i}" for i in range(10)]
        everything += names
        outputs = burst(urls, [_request(sim, "k-replicas", names, f"b{round_}r{r}") for r in range(60)])
        assert _statuses(outputs) == {200: 600}, round_
    assert created(sim) == Counter({name: 1 for name in everything})
    assert max(searched(sim).values()) == 1  # the Redis cache spared every later search


def test_a_429_seen_by_one_instance_stops_the_company_calls_of_the_others(
    services: Callable[..., str], sim: Simulator, redis_server: RedisServer
) -> None:
    first, second = (services(REDIS_URL=redis_server.url, **FAST_GROUPS) for _ in range(2))
    redis_server.wait_up_for(LOCK_TTL)
    sim.fault(kind="status", status=429, count=1, path=QUERY, headers={"Retry-After": "30"})
    [tripped] = burst([first], [_request(sim, "k-429", ["Throttled Inc"], "a")])
    assert (tripped["statusCode"], tripped["statTags"]["errorType"]) == (429, "throttled")
    calls = company_calls(sim)

    outputs = burst([second], [_request(sim, "k-429", [f"Other {i}"], f"b{i}") for i in range(5)])
    assert [(o["statusCode"], o["statTags"]["errorType"]) for o in outputs] == [(429, "throttled")] * 5
    assert company_calls(sim) == calls  # the second instance never called Gainsight in that window
    # Another tenant is not held back by it.
    [other] = burst([second], [_request(sim, "k-429-other", ["Free Corp"], "c")])
    assert other["statusCode"] == 200


def test_redis_killed_mid_burst_duplicates_nothing_and_the_retried_events_succeed(
    services: Callable[..., str], sim: Simulator, redis_server: RedisServer
) -> None:
    urls = [services(WORKERS="2", REDIS_URL=redis_server.url, **FAST_GROUPS) for _ in range(2)]
    redis_server.wait_up_for(LOCK_TTL)
    slow_searches(sim, ms=300)
    names = [f"Restart {i}" for i in range(10)]
    bodies = [_request(sim, "k-restart", names, f"r{r}") for r in range(40)]

    async def burst_and_kill() -> list[dict[str, Any]]:
        sending = asyncio.create_task(asyncio.to_thread(burst, urls, bodies))
        await asyncio.sleep(0.4)  # the first holders are searching now
        redis_server.kill()
        return await sending

    outputs = asyncio.run(burst_and_kill())
    statuses = _statuses(outputs)
    assert set(statuses) <= {200, 500} and statuses[500] > 0, statuses
    failed = [o for o in outputs if o["statusCode"] == 500]
    assert {o["statTags"]["errorType"] for o in failed} == {"retryable"}
    assert set(created(sim).values()) <= {1}  # whatever was created before the kill, once

    # While Redis is down: identify is served, /health is 200 and says so.
    identify = {"type": "identify", "traits": {"email": "down@scale.example"}}
    element = {"message": identify, "metadata": {"jobId": 1}, "destination": destination(sim.domain, "k")}
    [answer] = httpx.post(f"{urls[0]}/v0/destinations/gainsight", json=[element], timeout=30).json()
    assert answer["statusCode"] == 200
    health = httpx.get(f"{urls[1]}/health", timeout=5)
    assert health.status_code == 200 and health.json()["companyStore"]["state"] == "down"

    redis_server.start()  # empty: no lock, no cache survived
    redis_server.wait_up_for(LOCK_TTL)
    retried = burst(urls, [_request(sim, "k-restart", names, f"again{r}") for r in range(20)])
    assert _statuses(retried) == {200: 200}
    assert created(sim) == Counter({name: 1 for name in names})


def _listeners(port: int) -> set[int]:
    return {
        c.pid
        for c in psutil.net_connections("tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid
    }


def test_workers_die_with_a_killed_supervisor_and_a_second_instance_cannot_share_the_port(
    tmp_path: Path,
) -> None:
    url, supervisor = start_service(tmp_path / "first.log", WORKERS="2")
    port = int(url.rsplit(":", 1)[1])
    try:
        deadline = time.monotonic() + 30
        while len(_listeners(port)) < 2:
            assert time.monotonic() < deadline, "workers did not listen"
            time.sleep(0.1)
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "WORKERS": "2", "LOG_LEVEL": "info"}
        second = subprocess.run(
            [sys.executable, "-m", "gainsight_transformer"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert "address already in use" in second.stderr
        assert len(_listeners(port)) == 2 and httpx.get(f"{url}/health").status_code == 200

        workers_before = _listeners(port)
        os.kill(supervisor.pid, signal.SIGKILL)
        supervisor.wait()
        deadline = time.monotonic() + 30
        while any(
            psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie" for pid in workers_before
        ):
            assert time.monotonic() < deadline, "workers outlived their supervisor"
            time.sleep(0.1)
        assert not _listeners(port)
    finally:
        stop(supervisor)

    # The port is free again for a new start: only its own workers listen.
    again = subprocess.Popen(
        [sys.executable, "-m", "gainsight_transformer"], env={**env, "LOG_LEVEL": "warning"}
    )
    try:
        wait_until_healthy(url, again, timeout=60)
        deadline = time.monotonic() + 30
        while len(_listeners(port)) < 2:
            assert time.monotonic() < deadline, "the new workers did not listen"
            time.sleep(0.1)
        assert _listeners(port) <= {p.pid for p in psutil.Process(again.pid).children()}
    finally:
        stop(again)


def test_an_unreachable_redis_at_start_is_one_line_and_group_events_are_retryable(
    tmp_path: Path, sim: Simulator
) -> None:
    dead = f"redis://user:hunter2@127.0.0.1:{free_port()}/0"
    log = tmp_path / "service.log"
    url, process = start_service(
        log,
        SSL_CERT_FILE=str(sim.ca_file),
        GAINSIGHT_HOST_ALLOWLIST=sim.domain,
        REDIS_URL=dead,
        REDIS_TIMEOUT_SECONDS="0.5",
        **FAST_GROUPS,
    )
    try:
        [group] = burst([url], [_request(sim, "k-dead", ["Nowhere Ltd"], "u")])
        assert (group["statusCode"], group["statTags"]["errorType"]) == (500, "retryable")
        assert "company store (redis)" in group["error"]
        assert company_calls(sim) == 0
        health = httpx.get(f"{url}/health").json()["companyStore"]
        assert health["state"] == "down" and health["url"] == dead.replace("user:hunter2@", "")
        metrics = httpx.get(f"{url}/metrics").text
        assert 'gainsight_company_store_errors_total{operation="cache_read",store="redis"}' in metrics
    finally:
        stop(process)
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    [warning] = [line for line in lines if "does not answer" in line.get("message", "")]
    assert "hunter2" not in text and warning["level"] in ("warning", "WARNING")


def test_a_redis_url_of_another_scheme_stops_the_start_with_one_line() -> None:
    env = {**os.environ, "REDIS_URL": "http://user:secret@redis:6379", "PORT": str(free_port())}
    result = subprocess.run(
        [sys.executable, "-m", "gainsight_transformer"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "REDIS_URL: must be a redis://, rediss:// or unix:// URL" in result.stderr
    assert "secret" not in result.stderr


def test_identify_and_track_never_touch_redis(
    services: Callable[..., str], sim: Simulator, redis_server: RedisServer, tmp_path: Path
) -> None:
    import redis as redis_client

    url = services(WORKERS="2", REDIS_URL=redis_server.url, LOG_LEVEL="info", **FAST_GROUPS)
    log = tmp_path / "service-0.log"
    deadline = time.monotonic() + 60
    while "serving on" not in log.read_text():  # both workers started (and pinged Redis)
        assert time.monotonic() < deadline, "the service did not say it serves"
        time.sleep(0.1)
    client = redis_client.Redis(port=redis_server.port)
    try:
        client.config_resetstat()
        config = destination(sim.domain, "k-quiet")
        messages = [
            {"type": "identify", "traits": {"email": f"q{i}@scale.example"}} if i % 2 else
            {"type": "track", "event": "Ticket Resolved", "properties": {"n": i}}
            for i in range(40)
        ]  # fmt: skip
        elements = [
            {"message": m, "metadata": {"jobId": i}, "destination": config} for i, m in enumerate(messages)
        ]
        for route, body in (
            ("/v0/destinations/gainsight", elements),
            ("/routerTransform", {"destType": "gainsight", "input": elements}),
        ):
            response = httpx.post(f"{url}{route}", json=body, timeout=30)
            assert response.status_code == 200
        # Only this test's own RESETSTAT, and the PING of a /health answered late (a start-up
        # probe that gave up while the port already queued connections for the starting workers).
        commands = {name for name in client.info("commandstats") if name != "cmdstat_info"}
        assert commands - {"cmdstat_ping"} == {"cmdstat_config|resetstat"}
    finally:
        client.close()
