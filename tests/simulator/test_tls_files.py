"""The simulator's TLS files are kept across restarts (issue: a stable simulator CA): a service that
trusts ca.pem keeps reaching a restarted simulator; only what is missing, expiring or not
matching the host names is made anew."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import trustme

from gainsight_simulator.cli import parse_config
from gainsight_simulator.runner import start_simulator
from gainsight_simulator.tls import generate_tls_files


def _contents(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in directory.iterdir()}


def test_a_second_start_keeps_the_ca_and_the_certificate(tmp_path: Path) -> None:
    generate_tls_files(tmp_path)
    first = _contents(tmp_path)
    generate_tls_files(tmp_path)
    assert _contents(tmp_path) == first
    assert (tmp_path / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "server-key.pem").stat().st_mode & 0o777 == 0o600


def test_other_host_names_get_a_new_certificate_from_the_same_ca(tmp_path: Path) -> None:
    generate_tls_files(tmp_path)
    first = _contents(tmp_path)
    generate_tls_files(tmp_path, ("localhost", "127.0.0.1", "sim.internal"))
    second = _contents(tmp_path)
    assert second["ca.pem"] == first["ca.pem"] and second["ca-key.pem"] == first["ca-key.pem"]
    assert second["server.pem"] != first["server.pem"]
    generate_tls_files(tmp_path, ("sim.internal",))  # a subset of what it names: kept
    assert _contents(tmp_path) == second


def test_an_expiring_certificate_is_issued_again_by_the_same_ca(tmp_path: Path) -> None:
    generate_tls_files(tmp_path)
    first = _contents(tmp_path)
    ca = trustme.CA.from_pem(first["ca.pem"], first["ca-key.pem"])
    soon = ca.issue_cert("localhost", "127.0.0.1", "::1", not_after=datetime.now(UTC) + timedelta(hours=2))
    (tmp_path / "server.pem").write_bytes(b"".join(blob.bytes() for blob in soon.cert_chain_pems))
    generate_tls_files(tmp_path)
    second = _contents(tmp_path)
    assert second["ca.pem"] == first["ca.pem"]
    assert second["server.pem"] not in (
        first["server.pem"],
        b"".join(b.bytes() for b in soon.cert_chain_pems),
    )


def test_a_certificate_from_another_ca_or_without_the_ca_key_is_replaced(tmp_path: Path) -> None:
    generate_tls_files(tmp_path)
    stranger = trustme.CA().issue_cert("localhost", "127.0.0.1", "::1")
    (tmp_path / "server.pem").write_bytes(b"".join(blob.bytes() for blob in stranger.cert_chain_pems))
    ca = (tmp_path / "ca.pem").read_bytes()
    generate_tls_files(tmp_path)
    assert (tmp_path / "ca.pem").read_bytes() == ca
    assert ssl.create_default_context(cadata=ca.decode())  # still loads
    (tmp_path / "ca-key.pem").unlink()
    generate_tls_files(tmp_path)
    assert (tmp_path / "ca.pem").read_bytes() != ca  # no key to issue with: a new CA


async def test_a_client_that_trusts_the_first_ca_reaches_a_restarted_simulator(tmp_path: Path) -> None:
    config = parse_config(["--port", "0", "--tls-dir", str(tmp_path)], {})
    running = await start_simulator(config, announce=False)
    trusted = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))  # read once, as a service does
    try:
        async with httpx.AsyncClient(verify=trusted) as client:
            assert (await client.get(f"{running.url}/__admin/health")).status_code == 200
    finally:
        await running.stop()
    restarted = await start_simulator(config, announce=False)
    try:
        async with httpx.AsyncClient(verify=trusted) as client:
            assert (await client.get(f"{restarted.url}/__admin/health")).json() == {"status": "ok"}
    finally:
        await restarted.stop()
