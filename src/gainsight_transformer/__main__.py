"""`python -m gainsight_transformer` / `gainsight-transformer`: run the service with uvicorn (the
default, or `serve`), or transform a file of events offline (`transform`)."""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError

from . import __version__, cli
from .serving import serve
from .settings import describe_invalid, get_settings


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
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())
