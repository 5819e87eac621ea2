"""The HTTP service's processes: uvicorn with our protocol and settings, one process or several
workers (workers.py)."""

from __future__ import annotations

import logging.config
import resource
from functools import partial
from pathlib import Path
from typing import Any

import uvicorn

from . import workers
from .server_protocol import ReadDeadlineProtocol
from .settings import Settings, get_settings
from .telemetry.logs import logging_config


def raise_open_file_limit() -> None:
    """Use the hard limit of open files, not the (often 1,024) soft one: every connection is one."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):  # not allowed here: keep what we have
        pass


APP = "gainsight_transformer.app:create_app"


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        "log_config": logging_config(settings.log_level),
        "access_log": False,
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,  # a float works
        "http": ReadDeadlineProtocol,
        "timeout_keep_alive": settings.keep_alive_timeout_seconds,  # a float works
        "limit_concurrency": settings.limit_concurrency,
    }


def run_worker(host: str, port: int, supervisor: int, shared_dir: Path) -> None:
    """One of several worker processes: its own SO_REUSEPORT socket on the shared port, and the
    directory it shares with the other workers (company store, metrics)."""
    workers.die_with_parent(supervisor)
    from .app import create_app  # in the worker only: the supervisor never loads the app
    from .telemetry import metrics

    metrics.share(shared_dir / "metrics")  # a scrape of any worker answers the sum of all of them
    raise_open_file_limit()
    sock = workers.reuse_port_socket(host, port)
    settings = get_settings()
    app = partial(create_app, settings, shared_dir)
    uvicorn.Server(uvicorn.Config(app, **uvicorn_options(settings))).run(sockets=[sock])


def serve(settings: Settings) -> int:
    """Run the HTTP service until SIGTERM/SIGINT (which lets in-flight requests finish first);
    the exit status."""
    raise_open_file_limit()
    count = settings.workers or workers.usable_cpus()
    if count > 1 and workers.reuse_port_supported():
        logging.config.dictConfig(logging_config(settings.log_level))  # the supervisor's own lines
        return workers.supervise(count, settings.host, settings.port, run_worker)
    # One process, or uvicorn's workers sharing one socket where SO_REUSEPORT is missing.
    uvicorn.run(APP, workers=count, **uvicorn_options(settings))
    return 0
