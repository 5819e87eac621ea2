"""The original transformer's own test cases (tests/conformance/fixtures, a copy of
../shared/conformance) and a fake Gainsight that answers as their network file says."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

FIXTURES = Path(
    os.environ.get("CONFORMANCE_DIR", Path(__file__).resolve().parents[1] / "conformance" / "fixtures")
)


def _load(name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / name).read_text())


NETWORK = _load("network.json")
CASES = [
    pytest.param(case, id=f"{case['feature']}: {case['description']}")
    for name in ("processor.json", "router.json")
    for case in _load(name)
]


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _matches(entry: dict[str, Any], request: httpx.Request) -> bool:
    """The README's rules: method, URL without query, body deep-equal, header subset."""
    wanted = entry["httpReq"]
    if wanted["method"].upper() != request.method:
        return False
    if _without_query(wanted["url"]) != _without_query(str(request.url)):
        return False
    if "data" in wanted and json.loads(request.content or b"null") != wanted["data"]:
        return False
    for name, value in wanted.get("headers", {}).items():
        if request.headers.get(name) != value:
            return False
    return True


def serve_network(request: httpx.Request) -> httpx.Response:
    for entry in NETWORK:
        if _matches(entry, request):
            answer = entry["httpRes"]
            return httpx.Response(answer["status"], json=answer["data"], headers=answer.get("headers"))
    raise AssertionError(f"unmatched Gainsight request: {request.method} {request.url} {request.content!r}")
