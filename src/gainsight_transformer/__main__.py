"""`python -m gainsight_transformer` / `gainsight-transformer`: run the service with uvicorn."""

from __future__ import annotations

import uvicorn

from .settings import Settings, get_settings
from .telemetry.logs import logging_config


def serve(settings: Settings) -> None:
    """Run the HTTP service until SIGTERM/SIGINT (which lets in-flight requests finish first)."""
    uvicorn.run(
        "gainsight_transformer.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=logging_config(settings.log_level),
        workers=settings.workers,
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
    )


def main() -> None:
    serve(get_settings())


if __name__ == "__main__":
    main()
