"""Read a request body with a size limit, inflating gzip/deflate bodies (CONTRACT §1.1)."""

from __future__ import annotations

import zlib
from typing import Any

from starlette.requests import Request

from .errors import RequestError
from .jsonio import parse_json_body

_TOO_LARGE = "request entity too large"


async def read_body(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise RequestError(_TOO_LARGE, 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise RequestError(_TOO_LARGE, 413)
        chunks.append(chunk)
    raw = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        raw = _inflate(raw, encoding, max_bytes)
    elif encoding not in ("", "identity"):
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
