"""Shared fixtures: the app over ASGI with its lifespan, and the contract's fixture files."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app
from gainsight_transformer.settings import Settings
from support.gainsight_stub import RawServer

# The real-process fixtures (service, simulator, recording upstream) for every test package.
pytest_plugins = ["support.fixtures"]

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def settings() -> Settings:
    return Settings(gainsight_connect_timeout=2.0, gainsight_read_timeout=2.0)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """A local certificate authority for HTTPS stand-ins of Gainsight."""
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    """Raw loopback socket servers (resets, hangs, odd answers), closed after the test."""
    servers: list[RawServer] = []

    def start(on_accept: Callable[[socket.socket], None]) -> RawServer:
        server = RawServer(on_accept)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


# Markers by what a test needs (registered in pyproject.toml): `pytest -m "not e2e and not slow and
# not network"` is the quick inner loop; the full suite is what CI runs.
_REAL_PROCESS_FIXTURES = frozenset(
    {"service_url", "simulator", "gainsight_service", "fresh_simulator", "recording_upstream", "upstream"}
)
_MARKED_PATHS = {
    "e2e": (
        "tests/e2e/", "tests/api/test_curl_examples.py", "tests/api/test_doc_pages.py",
        "tests/test_readme_commands.py", "tests/simulator/test_main_process.py", "tests/bench/",
        "tests/api/test_postman.py::test_the_collection_passes", "tests/test_packaging.py::test_pip_install",
    ),
    "network": (
        "tests/test_packaging.py::test_pip_install", "tests/test_container_files.py",
        "tests/api/test_postman.py::test_the_collection_passes", "tests/e2e/rudder_server/",
    ),
    "slow": (
        "tests/fuzz/", "tests/api/test_fuzz.py", "tests/rudder/test_large_body.py::test_generated",
        "tests/test_packaging.py::test_pip_install", "tests/e2e/rudder_server/", "tests/bench/",
        "tests/test_code_quality.py",
    ),
}  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for marker, prefixes in _MARKED_PATHS.items():
            if item.nodeid.startswith(prefixes):
                item.add_marker(marker)
        if _REAL_PROCESS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker("e2e")
