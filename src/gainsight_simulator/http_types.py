"""Plain request/response objects shared by the app layer and the h11 server (no sockets involved)."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

_NO_JSON = object()


class BodyError(ValueError):
    """The request body is not valid JSON."""


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


@dataclass
class Request:
    """One HTTP request: method, decoded path, query (last value wins), lower-cased headers, raw body."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    raw_query: str = ""

    @classmethod
    def from_http(
        cls,
        method: str | bytes,
        target: str | bytes,
        headers: Iterable[tuple[str | bytes, str | bytes]] = (),
        body: bytes = b"",
    ) -> Request:
        """Build from the request line, header pairs (repeated names are joined with ", ") and body."""
        parts = urlsplit(_text(target))
        merged: dict[str, str] = {}
        for name, value in headers:
            key = _text(name).lower()
            text = _text(value)
            merged[key] = f"{merged[key]}, {text}" if key in merged else text
        return cls(
            method=_text(method).upper(),
            path=unquote(parts.path) or "/",
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=merged,
            body=body,
            raw_query=parts.query,
        )

    @classmethod
    def make(
        cls,
        method: str,
        target: str,
        *,
        headers: Mapping[str, str] | None = None,
        json: Any = _NO_JSON,
        body: bytes = b"",
    ) -> Request:
        """Convenience constructor for tests: ``json=`` serialises a body."""
        if json is not _NO_JSON:
            body = jsonlib.dumps(json).encode()
        return cls.from_http(method, target, list((headers or {}).items()), body)

    def header(self, name: str) -> str | None:
        """A header value by case-insensitive name."""
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body parsed as JSON (``None`` when empty); raises BodyError when malformed."""
        if not self.body.strip():
            return None
        try:
            return jsonlib.loads(self.body.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BodyError(f"Malformed JSON body: {exc}") from None

    def body_for_log(self) -> Any:
        """The body as JSON if it parses, else as text; ``None`` when empty."""
        try:
            return self.json()
        except BodyError:
            return self.body.decode("utf-8", errors="replace")


@dataclass
class Response:
    """An answer: status, extra headers and the body bytes (the server adds Content-Length)."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = "application/json"

    @classmethod
    def json(cls, status: int, obj: Any, headers: list[tuple[str, str]] | None = None) -> Response:
        body = jsonlib.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        return cls(status, body, list(headers or []), "application/json")

    @classmethod
    def text(cls, status: int, text: str, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(status, text.encode(), list(headers or []), "text/plain; charset=utf-8" if text else None)

    def json_body(self) -> Any:
        """The body parsed as JSON (for tests)."""
        return jsonlib.loads(self.body) if self.body else None


@dataclass
class Outcome:
    """What the server must do: send ``response`` after ``delay_s`` seconds, or reset the connection."""

    response: Response | None
    delay_s: float = 0.0
    reset: bool = False
