"""The simulator over real sockets: HTTPS with a generated CA, keep-alive, chunked bodies, faults."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trustme

from gainsight_simulator.cli import parse_config
from gainsight_simulator.runner import READY_PREFIX, RunningSimulator, start_simulator
from support.simulator_calls import KEY, event_headers, name_query

H = {"Accesskey": KEY}


@pytest.fixture
async def simulator(tmp_path: Path) -> AsyncIterator[RunningSimulator]:
    config = parse_config(["--port", "0", "--tls-dir", str(tmp_path / "tls")], {})
    running = await start_simulator(config)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def client(simulator: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    context = ssl.create_default_context(cafile=str(simulator.ca_path))
    async with httpx.AsyncClient(base_url=simulator.url, verify=context, timeout=10) as http:
        yield http


async def admin_fault(client: httpx.AsyncClient, **spec) -> None:
    (await client.post("/__admin/faults", json=spec)).raise_for_status()


async def test_tls_files_and_ready_line(tmp_path, capsys):
    running = await start_simulator(parse_config(["--port", "0", "--tls-dir", str(tmp_path / "tls")], {}))
    try:
        assert capsys.readouterr().out == f"{READY_PREFIX}https://127.0.0.1:{running.server.port}\n"
        names = sorted(p.name for p in (tmp_path / "tls").iterdir())
        assert names == ["ca-key.pem", "ca.pem", "server-key.pem", "server.pem"]
        assert running.ca_path == tmp_path / "tls" / "ca.pem"
        assert running.url == f"https://127.0.0.1:{running.server.port}" and running.server.port != 0
    finally:
        await running.stop()


async def test_untrusted_client_fails_the_handshake(simulator):
    context = ssl.create_default_context()  # system trust store only
    async with httpx.AsyncClient(verify=context) as untrusted:
        with pytest.raises(httpx.ConnectError):
            await untrusted.get(f"{simulator.url}/__admin/health")


async def test_localhost_name_is_in_the_certificate(simulator):
    context = ssl.create_default_context(cafile=str(simulator.ca_path))
    async with httpx.AsyncClient(verify=context) as http:
        response = await http.get(f"https://localhost:{simulator.server.port}/__admin/health")
    assert response.json() == {"status": "ok"}


async def test_full_flow_over_https_with_keep_alive(simulator, client):
    created = await client.post("/v1/data/objects/Company", headers=H, json={"records": [{"Name": "Acme"}]})
    assert created.status_code == 200 and created.headers["content-type"] == "application/json"
    gsid = created.json()["data"]["records"][0]["Gsid"]
    found = await client.post("/v1/data/objects/query/Company", headers=H, json=name_query("Acme"))
    assert found.json()["data"]["records"] == [{"Name": "Acme", "Gsid": gsid}]
    person = await client.put(
        "/v1.0/api/people", headers=H, json={"Email": "a@x.io", "companies": [{"Company_ID": gsid}]}
    )
    assert person.json()["data"]["companies"] == [{"Company_ID": gsid}]
    event = await client.post("/v1.0/api/eventManager/event", headers=event_headers(), json={"k": 1})
    assert event.status_code == 200
    missing = await client.post("/v1/data/objects/query/Company", headers=H, json=name_query("Nobody"))
    assert missing.status_code == 400 and missing.json()["errorCode"] == "GSOBJ_1011"
    assert simulator.server.open_connections == 1  # one keep-alive connection for everything
    state = (await client.get("/__admin/state")).json()
    assert [c["status"] for c in state["calls"]] == [200, 200, 200, 200, 400]
    assert state["events"][0]["headers"]["topicname"] == "Topic"


async def test_chunked_request_body(client, simulator):
    async def chunks():
        yield b'{"Email": "chunk'
        yield b'ed@x.io", "FirstName": "C"}'

    response = await client.put("/v1.0/api/people", headers=H, content=chunks())
    assert response.status_code == 200, response.text
    assert simulator.state.persons["chunked@x.io"]["FirstName"] == "C"
    assert simulator.state.calls[0]["headers"]["transfer-encoding"] == "chunked"


async def test_reset_fault_resets_the_connection_and_stores_nothing(client, simulator):
    await admin_fault(client, kind="reset", path="/v1/data/objects/Company")
    with pytest.raises(httpx.TransportError):
        await client.post("/v1/data/objects/Company", headers=H, json={"records": [{"Name": "Lost"}]})
    assert simulator.state.companies == []
    retried = await client.post("/v1/data/objects/Company", headers=H, json={"records": [{"Name": "Kept"}]})
    assert retried.status_code == 200
    assert [c["Name"] for c in simulator.state.companies] == ["Kept"]
    assert [c["status"] for c in simulator.state.calls] == [None, 200]


async def test_delay_fault_delays_the_answer(client, simulator):
    await admin_fault(client, kind="delay", ms=300)
    started = time.monotonic()
    response = await client.post("/v1/data/objects/Company", headers=H, json={"records": [{"Name": "Slow"}]})
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and elapsed >= 0.3
    assert [c["Name"] for c in simulator.state.companies] == ["Slow"]


async def test_delay_makes_a_client_timeout(client, simulator):
    await admin_fault(client, kind="delay", ms=1500)
    with pytest.raises(httpx.ReadTimeout):
        await client.post(
            "/v1/data/objects/Company", headers=H, json={"records": [{"Name": "T"}]}, timeout=0.2
        )
    health = await client.get("/__admin/health")  # the server is still fine
    assert health.status_code == 200


async def test_status_fault_over_the_wire_changes_nothing(client, simulator):
    await admin_fault(client, kind="status", status=503, count=2)
    for _ in range(2):
        response = await client.put("/v1.0/api/people", headers=H, json={"Email": "a@x.io"})
        assert response.status_code == 503 and response.json()["errorCode"] == "GU_1101"
    assert simulator.state.persons == {}
    assert (await client.put("/v1.0/api/people", headers=H, json={"Email": "a@x.io"})).status_code == 200


async def test_empty_200_fault_has_no_body(client):
    await admin_fault(client, kind="status", status=200, text="")
    response = await client.post("/v1/data/objects/query/Company", headers=H, json=name_query("A"))
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-length"] == "0"


async def test_stop_closes_idle_keep_alive_connections(simulator, client):
    assert (await client.get("/__admin/health")).status_code == 200
    assert simulator.server.open_connections == 1
    await simulator.stop()
    assert simulator.server.open_connections == 0
    with pytest.raises(httpx.TransportError):
        await client.get("/__admin/health")


async def test_certfile_and_keyfile(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    config = parse_config(
        ["--port", "0", "--certfile", str(tmp_path / "cert.pem"), "--keyfile", str(tmp_path / "key.pem")], {}
    )
    running = await start_simulator(config, announce=False)
    try:
        assert running.ca_path is None
        context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        async with httpx.AsyncClient(verify=context) as http:
            assert (await http.get(f"{running.url}/__admin/health")).status_code == 200
    finally:
        await running.stop()


# -- plain HTTP and raw sockets ------------------------------------------------------------------


@pytest.fixture
async def plain() -> AsyncIterator[RunningSimulator]:
    running = await start_simulator(parse_config(["--port", "0", "--no-tls"], {}), announce=False)
    try:
        yield running
    finally:
        await running.stop()


def raw_exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


async def test_reset_is_a_tcp_rst(plain):
    await start_fault(plain, kind="reset")
    request = b"GET /v1/nope HTTP/1.1\r\nHost: x\r\nAccesskey: k\r\n\r\n"
    with pytest.raises(ConnectionResetError):
        await asyncio.to_thread(raw_exchange, plain.server.port, request)


async def start_fault(running: RunningSimulator, **spec) -> None:
    async with httpx.AsyncClient(base_url=running.url) as http:
        (await http.post("/__admin/faults", json=spec)).raise_for_status()


async def test_plain_http_and_connection_close(plain):
    assert plain.url.startswith("http://")
    request = b"GET /__admin/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = await asyncio.to_thread(raw_exchange, plain.server.port, request)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b'{"status":"ok"}')


async def test_malformed_http_gets_400(plain):
    answer = await asyncio.to_thread(raw_exchange, plain.server.port, b"NONSENSE\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ")


async def test_head_request_has_no_body(plain):
    request = b"HEAD /v1/nope HTTP/1.1\r\nHost: x\r\nAccesskey: k\r\nConnection: close\r\n\r\n"
    answer = await asyncio.to_thread(raw_exchange, plain.server.port, request)
    assert answer.startswith(b"HTTP/1.1 404 Not Found\r\n") and answer.endswith(b"\r\n\r\n")


def expect_continue_exchange(port: int) -> tuple[bytes, bytes]:
    body = b'{"Email": "expect@x.io"}'
    head = (
        b"PUT /v1.0/api/people HTTP/1.1\r\nHost: x\r\nAccesskey: k\r\nConnection: close\r\n"
        b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head)
        interim = sock.recv(65536)
        sock.sendall(body)
        final = b""
        while chunk := sock.recv(65536):
            final += chunk
    return interim, final


async def test_expect_100_continue(plain):
    interim, final = await asyncio.to_thread(expect_continue_exchange, plain.server.port)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert final.startswith(b"HTTP/1.1 200 OK\r\n")
    assert "expect@x.io" in plain.state.persons
