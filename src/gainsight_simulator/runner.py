"""Start/stop a whole simulator (state + app + TLS + server) in-process; used by __main__ and tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gainsight_simulator.app import SimulatorApp
from gainsight_simulator.cli import ServerConfig
from gainsight_simulator.http_server import SimulatorHttpServer
from gainsight_simulator.state import GainsightState
from gainsight_simulator.tls import TlsFiles, generate_tls_files, server_ssl_context

log = logging.getLogger("gainsight_simulator")
READY_PREFIX = "gainsight-simulator listening on "


@dataclass
class RunningSimulator:
    server: SimulatorHttpServer
    state: GainsightState
    tls: TlsFiles | None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ca_path(self) -> Path | None:
        return self.tls.ca if self.tls else None

    async def stop(self) -> None:
        await self.server.stop()


def _tls_files(config: ServerConfig) -> TlsFiles | None:
    if config.no_tls:
        return None
    if config.certfile is not None:
        return TlsFiles(ca=None, cert=config.certfile, key=config.keyfile)
    directory = config.tls_dir
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="gainsight-simulator-tls-"))
    files = generate_tls_files(directory, config.hostnames)
    log.info("TLS CA to trust (SSL_CERT_FILE): %s", files.ca)
    return files


async def start_simulator(
    config: ServerConfig, *, state: GainsightState | None = None, announce: bool = True
) -> RunningSimulator:
    """Build everything from ``config``, bind, and (if ``announce``) print the ready line on stdout."""
    state = state or GainsightState(config.options)
    tls = _tls_files(config)
    context = server_ssl_context(tls.cert, tls.key) if tls else None
    server = SimulatorHttpServer(SimulatorApp(state), config.host, config.port, context)
    await server.start()
    if announce:
        print(READY_PREFIX + server.url, flush=True)
    return RunningSimulator(server, state, tls)


async def serve(config: ServerConfig) -> None:
    """Run until SIGINT/SIGTERM."""
    running = await start_simulator(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await running.stop()
        print("gainsight-simulator stopped", file=sys.stderr, flush=True)
