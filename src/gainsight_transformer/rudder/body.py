"""Read a request body with a size limit, inflating gzip/deflate bodies
(docs/wire-protocol.md#request-bodies)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request

from .errors import RequestError
from .jsonio import parse_json_body

_TOO_LARGE = "request entity too large"


def content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The Content-Length declared in raw (lower-cased ASGI) headers; None when absent or not a number."""
    for name, value in headers:
        if name == b"content-length":
            value = value.strip()
            return int(value) if value.isdigit() else None
    return None


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body, inflated when it is gzip/deflate; at most `max_bytes` before and after."""
    return decode_content(await read_raw(request, max_bytes), request.headers, max_bytes)


async def read_raw(request: Request, max_bytes: int) -> bytes:
    """The body bytes as received (no inflation), at most `max_bytes` (else 413)."""
    declared = content_length(request.scope["headers"])
    if declared is not None and declared > max_bytes:
        raise RequestError(_TOO_LARGE, 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise RequestError(_TOO_LARGE, 413)
        chunks.append(chunk)
    return b"".join(chunks)


def decode_content(raw: bytes, headers: Mapping[str, str], max_bytes: int) -> bytes:
    """`raw` inflated according to its Content-Encoding (gzip, deflate or none)."""
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _inflate(raw, encoding, max_bytes)
    if encoding not in ("", "identity"):
        raise RequestError(f"unsupported Content-Encoding: {encoding}", 415)
    return raw


def _inflate(raw: bytes, encoding: str, max_bytes: int) -> bytes:
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
    try:
        inflater = zlib.decompressobj(wbits)
        data = inflater.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        raise RequestError(f"invalid {encoding} body: {exc}") from None
    if len(data) > max_bytes or inflater.unconsumed_tail:
        raise RequestError(_TOO_LARGE, 413)
    return data


async def read_json(request: Request, max_bytes: int) -> Any:
    return parse_json_body(await read_body(request, max_bytes))
