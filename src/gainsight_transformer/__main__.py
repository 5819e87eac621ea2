"""`python -m gainsight_transformer` / `gainsight-transformer`: run the service with uvicorn."""

from __future__ import annotations

import uvicorn

from .settings import get_settings


def main() -> None:
    settings = get_settings()
    uvicorn.run(
        "gainsight_transformer.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        workers=settings.workers,
        access_log=False,
    )


if __name__ == "__main__":
    main()
