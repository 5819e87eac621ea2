"""Structured logs: one JSON object per line, secrets redacted before anything is written."""

from __future__ import annotations

import asyncio
import atexit
import logging
import re
import sys
import time
from contextvars import ContextVar
from typing import Any, BinaryIO

import orjson

REQUEST_ID: ContextVar[bytes | None] = ContextVar("request_id", default=None)
"""The X-Request-ID of the request being served (set per request task by telemetry.exchange):
every log line written while serving it carries it as `requestId`."""
REDACTED = "[REDACTED]"
SECRET_KEYS = frozenset({"accesskey", "sharedsecret", "secret", "authorization", "oauth-secret"})
# `accessKey: v`, `"sharedSecret":"v"`, `Accesskey=v` in free text (exception messages, reprs).
_SECRET_IN_TEXT = re.compile(
    r"""(?ix) (["']? (?:access[_-]?key|shared[_-]?secret|oauth-secret|authorization) ["']? \s* [:=] \s*)
    (?: "(?:[^"\\]|\\.)*" | '(?:[^'\\]|\\.)*' | [^\s,;}\]]+ )"""
)


def redact_text(text: str) -> str:
    return _SECRET_IN_TEXT.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)


def redact(value: Any) -> Any:
    """Values under secret-named keys replaced, recursively; strings scrubbed of `key: value` pairs."""
    if isinstance(value, dict):
        return {
            key: REDACTED if str(key).lower() in SECRET_KEYS else redact(item) for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _timestamp(created: float, _cache: dict[int, str] = {}) -> str:  # noqa: B006 - a deliberate cache
    """ISO 8601 UTC with milliseconds; the strftime part is reused within a second."""
    second = int(created)
    prefix = _cache.get(second)
    if prefix is None:
        _cache.clear()
        prefix = _cache[second] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    return f"{prefix}.{int((created - second) * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", ...fields, "exception"}`; `extra={"fields": {...}}`
    adds structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact_text(record.getMessage()),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            entry["requestId"] = redact_text(request_id.decode())
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(redact(fields))
        if record.exc_info:
            entry["exception"] = redact_text(self.formatException(record.exc_info))
        try:
            return orjson.dumps(entry, default=str).decode()
        except orjson.JSONEncodeError:  # a lone surrogate quoted from a request: still one JSON line
            return orjson.dumps(_without_lone_surrogates(entry), default=str).decode()


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: Any) -> Any:
    """Lone surrogates (which UTF-8 cannot carry) as U+FFFD, recursively."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_lone_surrogates(item) for item in value]
    return value


def logging_config(level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the service (also given to uvicorn as `log_config`)."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stderr": {"class": f"{__name__}.OrderedStderrHandler", "formatter": "json"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["stderr"], "level": level, "propagate": False},
            # httpx writes a line per outbound call without a request ID; rudder/outbound.py writes
            # its own (at DEBUG, with the requestId), so httpx's only say what goes wrong.
            "httpx": {"level": "WARNING"},
        },
    }


_ACCESS_LINE = (
    b'{"time":"%b","level":"info","logger":"gainsight_transformer.access","message":"request",'
    b'"requestId":%b,"method":%b,"route":"%b","status":%d,"durationMs":%.3f}\n'
)


class AccessLog:
    """The per-request line, in the same JSON shape as the other logs, written without the
    logging machinery: at 10,000 requests/s a LogRecord, a Formatter and one write per line cost
    more than a single-event transform. A request only appends its fields to a list; the lines are
    formatted and written together within `FLUSH_SECONDS` (or every `MAX_PENDING` requests, and at
    shutdown and exit). `LOG_LEVEL` still decides whether they are written, through the level of
    the `gainsight_transformer.access` logger. The fields are ours (no bodies, no headers but the
    request ID, which is scrubbed like any text), so there is nothing else to redact.
    """

    NAME = "gainsight_transformer.access"
    FLUSH_SECONDS = 0.05
    MAX_PENDING = 256

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self.logger = logging.getLogger(self.NAME)
        self.stream = stream
        self._pending: list[tuple[float, bytes, str, str, int, float, int | None, bool, bool]] = []
        self._flush_pending = False

    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def write(
        self,
        request_id: bytes,
        method: str,
        route: str,
        status: int,
        seconds: float,
        events: int | None,
        forwarded: bool = False,
        compacted: bool = False,
    ) -> None:
        """Queue one request's line; `route` is a route template of ours (no escaping needed)."""
        self._pending.append(
            (time.time(), request_id, method, route, status, seconds, events, forwarded, compacted)
        )
        if len(self._pending) >= self.MAX_PENDING:
            self.flush()
        elif not self._flush_pending:
            try:
                asyncio.get_running_loop().call_later(self.FLUSH_SECONDS, self.flush)
                self._flush_pending = True
            except RuntimeError:  # no event loop: write now
                self.flush()

    def flush(self, after: bytes = b"") -> None:
        """Write the pending lines, then `after` (a line of another logger, which must not come
        before lines of requests that finished earlier)."""
        self._flush_pending = False
        if not self._pending and not after:
            return
        pending, self._pending = self._pending, []
        data = b"".join(_access_line(*fields) for fields in pending) + after
        stream = self.stream or sys.stderr.buffer
        try:
            stream.write(data)
            stream.flush()
        except (OSError, ValueError):  # stderr closed: nothing useful to do with the lines
            pass


def _access_line(
    created: float,
    request_id: bytes,
    method: str,
    route: str,
    status: int,
    seconds: float,
    events: int | None,
    forwarded: bool,
    compacted: bool,
) -> bytes:
    text = request_id.decode()
    if "=" in text or ":" in text:  # a client could send `X-Request-ID: accessKey=...`
        text = redact_text(text)
    line = _ACCESS_LINE % (
        _timestamp(created).encode(),
        orjson.dumps(text),
        orjson.dumps(method),
        route.encode(),
        status,
        seconds * 1000,
    )
    if events is not None:
        line = line[:-2] + b',"events":%d}\n' % events
    if compacted:
        line = line[:-2] + b',"compacted":true}\n'
    return line[:-2] + b',"forwarded":true}\n' if forwarded else line


access_log = AccessLog()
atexit.register(access_log.flush)


class OrderedStderrHandler(logging.Handler):
    """Every other log line goes out through the access log's stream, after the access lines
    still pending, so the log stays in time order while access lines keep being batched."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record).encode() + b"\n"
        except Exception:
            self.handleError(record)
            return
        access_log.flush(after=line)
