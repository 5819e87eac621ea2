"""How the service runs: the supervisor and its workers (workers.py, supervisor.py, worker.py),
uvicorn's options for them, and the start-up line. The main process loads neither uvicorn nor
the app: only the workers do."""

from __future__ import annotations

import logging
import logging.config
import resource
from typing import Any
from urllib.parse import urlsplit

from . import __version__, workers
from .settings import Settings, without_credentials
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
log = logging.getLogger("gainsight_transformer.serving")


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    from .server_protocol import ReadDeadlineProtocol  # uvicorn is loaded by workers only

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


def startup_fields(settings: Settings, count: int, store: str) -> dict[str, Any]:
    """What the start-up line says: where it listens, how, and every setting given a value other
    than its default; addresses without credentials, no secret."""
    fields: dict[str, Any] = {
        "version": settings.transformer_build_version or __version__,
        "address": f"{settings.host}:{settings.port}",
        "workers": count,
        "companyStore": store,
    }
    if settings.upstream_transformer_url:
        fields["upstream"] = urlsplit(settings.upstream_transformer_url).hostname
    changed: dict[str, Any] = {}
    for name in sorted(settings.model_fields_set - {"host", "port", "workers"}):
        value = getattr(settings, name)
        if value == Settings.model_fields[name].default:
            continue
        if name in ("redis_url", "upstream_transformer_url") and value:
            value = without_credentials(value)
        changed[name.upper()] = value
    if changed:
        fields["settings"] = changed
    return fields


def serve(settings: Settings) -> int:
    """Run the HTTP service until SIGTERM/SIGINT (which lets in-flight requests finish first);
    the exit status."""
    raise_open_file_limit()
    logging.config.dictConfig(logging_config(settings.log_level))  # the main process's own lines
    count = settings.workers or workers.usable_cpus()
    if workers.reuse_port_supported():
        store = "redis" if settings.redis_url else "host"

        def ready(pids: list[int]) -> None:
            fields = startup_fields(settings, count, store)
            log.info("serving on %s with %d worker(s)", fields["address"], count, extra={"fields": fields})

        return workers.supervise(count, settings.host, settings.port, ready)
    # Without SO_REUSEPORT: uvicorn's own workers sharing one socket; no reload on SIGHUP.
    store = "redis" if settings.redis_url else ("process" if count == 1 else "process per worker")
    fields = startup_fields(settings, count, store)
    log.info("serving on %s with %d worker(s)", fields["address"], count, extra={"fields": fields})
    import uvicorn

    uvicorn.run(APP, workers=count, **uvicorn_options(settings))
    return 0
