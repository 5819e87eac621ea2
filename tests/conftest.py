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
