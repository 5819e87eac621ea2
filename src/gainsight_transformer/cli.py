"""`gainsight-transformer transform`: one transform request through the app in-process, no server.

The body goes through the real ASGI app (lifespan included), so the answer is byte for byte what
the service would answer for it, and group events reach the configured Gainsight as they would there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging.config
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from .settings import Settings, describe_invalid
from .telemetry.logs import logging_config

EXIT_OK = 0
EXIT_REQUEST_ERROR = 1
EXIT_USAGE = 2
EXIT_EVENT_ERRORS = 3
STDIN = "-"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
COMPACTED_HEADERS = {"X-Content-Format": "json+compactedv1"}
# Only names the app resolves itself; nothing leaves the process over this base URL.
IN_PROCESS_URL = "http://gainsight-transformer.invalid"

DESCRIPTION = """\
Transform a file of RudderStack events without running the server: the body (the same JSON the
routes take) goes through the service's app in-process and its answer is printed on stdout, byte
for byte what the HTTP route would answer. Settings come from the environment as for the service,
so group events call the configured Gainsight (or the simulator, with SSL_CERT_FILE and
GAINSIGHT_HOST_ALLOWLIST)."""

EPILOG = """\
exit codes:
  0  the route answered 200 (per-event errors are inside the answer)
  1  request-level error (4xx/5xx); the {"error": ...} answer is printed on stderr (then a hint
     when FILE looks like a router or compacted body sent without --router or --compacted)
  2  usage error: bad arguments, missing or unreadable input, invalid settings
  3  with --fail-on-event-errors: the answer has an event whose statusCode is not 200

examples:
  gainsight-transformer transform events.json
  gainsight-transformer transform --router --pretty batch.json
  cat compacted.json | gainsight-transformer transform --compacted -"""


class UsageError(Exception):
    """Bad input or settings: reported on stderr with exit code 2."""


@dataclass(frozen=True)
class TransformRequest:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def add_transform_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "transform",
        help="transform a file of events offline and print the answer",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="JSON body to transform; '-' reads standard input")
    route = parser.add_mutually_exclusive_group()
    route.add_argument(
        "--router",
        action="store_true",
        help='router transform (POST /routerTransform): FILE is {"input": [...], "destType": ...}',
    )
    route.add_argument(
        "--destination",
        default="gainsight",
        metavar="NAME",
        help="processor transform (the default): POST /v0/destinations/NAME; default %(default)s",
    )
    parser.add_argument(
        "--compacted",
        action="store_true",
        help="FILE is a compacted payload (sends X-Content-Format: json+compactedv1)",
    )
    parser.add_argument("--pretty", action="store_true", help="indent the answer (default: one line)")
    parser.add_argument(
        "--fail-on-event-errors",
        action="store_true",
        help="exit 3 when any event of a 200 answer has a statusCode other than 200",
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        type=str.lower,
        choices=LOG_LEVELS,
        help="level of the service's JSON logs on stderr (LOG_LEVEL is not read); default %(default)s",
    )
    return parser


def read_input(source: str) -> bytes:
    if source == STDIN:
        try:
            return sys.stdin.buffer.read()
        except OSError as exc:
            raise UsageError(f"cannot read standard input: {exc.strerror or exc}") from None
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror or exc}") from None


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise UsageError(f"invalid settings in the environment:\n{describe_invalid(exc)}") from None


def build_request(args: argparse.Namespace, body: bytes) -> TransformRequest:
    path = "/routerTransform" if args.router else f"/v0/destinations/{quote(args.destination, safe='')}"
    headers = {"Content-Type": "application/json"}
    if args.compacted:
        headers.update(COMPACTED_HEADERS)
    return TransformRequest(path, body, headers)


async def send(settings: Settings, request: TransformRequest) -> Answer:
    """POST the request to a fresh app, with its lifespan (and so its outbound client) running."""
    # Imported here, not at the top: `serve` imports this module too, and the supervisor it runs
    # never holds an app (a smaller main process).
    import httpx

    from .app import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_URL, timeout=None) as client:
            response = await client.post(request.path, content=request.body, headers=request.headers)
    return Answer(response.status_code, response.content)


def failed_events(answer_body: bytes, router: bool) -> int:
    """How many answer elements carry a statusCode other than 200."""
    answer = json.loads(answer_body)
    elements = answer.get("output", []) if router and isinstance(answer, dict) else answer
    if not isinstance(elements, list):
        return 0
    return sum(1 for element in elements if isinstance(element, dict) and element.get("statusCode") != 200)


NOT_AN_ARRAY = "request body must be a JSON array of events"


def wrong_route_hint(args: argparse.Namespace, body: bytes, answer: Answer) -> str | None:
    """What to add when a router or compacted body (an object with "input") was sent as a plain
    processor body, which the route refuses as not an array; None otherwise."""
    if args.router or args.compacted or answer.status != 400:
        return None
    try:
        error, sent = json.loads(answer.body).get("error"), json.loads(body)
    except (ValueError, AttributeError, RecursionError):
        return None
    if error != NOT_AN_ARRAY or not isinstance(sent, dict) or "input" not in sent:
        return None
    if "destinations" in sent:  # the compacted payload's shape
        kind, flags = ("a compacted router body", "--router --compacted")
        if "destType" not in sent:
            kind, flags = ("a compacted processor body", "--compacted")
    else:
        kind, flags = ("a router body", "--router")
    return f'hint: FILE is an object with "input" ({kind}), not a JSON array of events: add {flags}'


def pretty(answer_body: bytes) -> bytes:
    return json.dumps(json.loads(answer_body), indent=2, ensure_ascii=False).encode()


def write(stream: Any, data: bytes) -> None:
    stream.buffer.write(data if data.endswith(b"\n") else data + b"\n")
    stream.flush()


def run(args: argparse.Namespace) -> int:
    """The `transform` command; returns the exit code."""
    try:
        body = read_input(args.file)
        settings = load_settings()
        logging.config.dictConfig(logging_config(args.log_level))
    except UsageError as exc:
        print(f"gainsight-transformer transform: {exc}", file=sys.stderr)
        return EXIT_USAGE
    answer = asyncio.run(send(settings, build_request(args, body)))
    if answer.status != 200:
        write(sys.stderr, answer.body)
        hint = wrong_route_hint(args, body, answer)
        if hint:
            print(f"gainsight-transformer transform: {hint}", file=sys.stderr)
        return EXIT_REQUEST_ERROR
    write(sys.stdout, pretty(answer.body) if args.pretty else answer.body)
    if args.fail_on_event_errors and failed_events(answer.body, args.router):
        return EXIT_EVENT_ERRORS
    return EXIT_OK
