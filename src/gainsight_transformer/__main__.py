"""`python -m gainsight_transformer` / `gainsight-transformer`: run the service with uvicorn (the
default, or `serve`), or transform a file of events offline (`transform`)."""

from __future__ import annotations

import argparse
import resource
import sys

import uvicorn
from pydantic import ValidationError

from . import __version__, cli
from .server_protocol import ReadDeadlineProtocol
from .settings import Settings, describe_invalid, get_settings
from .telemetry.logs import logging_config


def raise_open_file_limit() -> None:
    """Use the hard limit of open files, not the (often 1,024) soft one: every connection is one."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):  # not allowed here: keep what we have
        pass


def serve(settings: Settings) -> None:
    """Run the HTTP service until SIGTERM/SIGINT (which lets in-flight requests finish first)."""
    raise_open_file_limit()
    uvicorn.run(
        "gainsight_transformer.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=logging_config(settings.log_level),
        workers=settings.workers,
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,  # type: ignore[arg-type]  # a float works
        http=ReadDeadlineProtocol,
        timeout_keep_alive=settings.keep_alive_timeout_seconds,  # type: ignore[arg-type]  # a float works
        limit_concurrency=settings.limit_concurrency,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gainsight-transformer",
        description="Drop-in RudderStack transformer for the Gainsight CS destination. "
        "Without a command it runs the HTTP service (same as `serve`).",
        epilog="`gainsight-transformer transform --help` describes the offline transform.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "serve",
        help="run the HTTP service (the default)",
        description="Run the HTTP service with uvicorn. Settings come from the environment "
        "(HOST, PORT, WORKERS, LOG_LEVEL, ...; see the README).",
    )
    cli.add_transform_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "transform":
        return cli.run(args)
    try:
        settings = get_settings()
    except ValidationError as exc:
        print(
            f"gainsight-transformer: invalid settings in the environment:\n{describe_invalid(exc)}",
            file=sys.stderr,
        )
        return cli.EXIT_USAGE
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
