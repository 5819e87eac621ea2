"""Session fixtures over real processes (support/processes.py), for every test package
(loaded by the root conftest through `pytest_plugins`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .processes import (
    RecordingUpstream,
    Simulator,
    start_recording_upstream,
    start_service,
    start_simulator,
    stop,
)
from .redis_server import RedisServer, redis_or_skip


@pytest.fixture(scope="session")
def service_url() -> Iterator[str]:
    base_url, process = start_service()
    try:
        yield base_url
    finally:
        stop(process)


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    simulator, process = start_simulator(tmp_path_factory.mktemp("simulator-tls"))
    try:
        yield simulator
    finally:
        stop(process)


@pytest.fixture(scope="session")
def gainsight_service(simulator: Simulator) -> Iterator[str]:
    """The service trusting the simulator's CA, with the simulator allowlisted (it is on loopback)."""
    base_url, process = start_service(
        SSL_CERT_FILE=str(simulator.ca_file),
        GAINSIGHT_HOST_ALLOWLIST=simulator.domain,
        GAINSIGHT_READ_TIMEOUT="1.5",
    )
    try:
        yield base_url
    finally:
        stop(process)


@pytest.fixture
def fresh_simulator(simulator: Simulator) -> Simulator:
    simulator.admin("POST", "reset")
    return simulator


@pytest.fixture(scope="session")
def recording_upstream() -> Iterator[RecordingUpstream]:
    upstream = start_recording_upstream()
    try:
        yield upstream
    finally:
        stop(upstream.process)


@pytest.fixture
def upstream(recording_upstream: RecordingUpstream) -> RecordingUpstream:
    """The session's recording upstream, forgetting earlier tests' requests and modes."""
    recording_upstream.reset()
    return recording_upstream


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A fresh redis-server on a free loopback port (skips, saying why, without the program)."""
    yield from redis_or_skip(tmp_path_factory.mktemp("redis"))
