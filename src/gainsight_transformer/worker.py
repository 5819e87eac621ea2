"""One worker process of the service, started by the supervisor (supervisor.py):
`python -m gainsight_transformer.worker SOCKET_FD READY_FD SUPERVISOR_PID SHARED_DIR`.

It serves on the listening socket it inherited (its slot's, bound by the supervisor), writes one
line on READY_FD once its app has started and it accepts, and shares SHARED_DIR with the other
workers (company store, metrics). Settings are read from the environment here, so the workers a
reload starts read them again.
"""

from __future__ import annotations

import os
import socket
import sys
from functools import partial
from pathlib import Path

import uvicorn

from . import workers
from .serving import raise_open_file_limit, uvicorn_options
from .settings import get_settings

READY = b"ready\n"


class _Worker(uvicorn.Server):
    """uvicorn's server that says when it serves: a reload stops the old workers only then."""

    def __init__(self, config: uvicorn.Config, ready_fd: int) -> None:
        super().__init__(config)
        self.ready_fd = ready_fd

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        try:
            if not self.should_exit:
                os.write(self.ready_fd, READY)
        finally:
            os.close(self.ready_fd)


def main(argv: list[str]) -> None:
    socket_fd, ready_fd, supervisor = (int(value) for value in argv[:3])
    shared_dir = Path(argv[3])
    workers.die_with_parent(supervisor)
    from .app import create_app
    from .telemetry import metrics

    settings = get_settings()
    slots = settings.workers or workers.usable_cpus()
    # A scrape of any worker answers the sum of all of them, the ones a reload replaced included.
    metrics.share(shared_dir / "metrics", per_process=slots == 1)
    raise_open_file_limit()
    sock = socket.socket(fileno=socket_fd)
    app = partial(create_app, settings, shared_dir)
    _Worker(uvicorn.Config(app, **uvicorn_options(settings)), ready_fd).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1:])
