"""A Gainsight stand-in for in-process tests: answers as the OpenAPI examples say it does."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx

from gainsight_transformer.openapi import examples

OK = (200, examples.gainsight_answer(None))


def answer(status: int, body: object) -> httpx.Response:
    # A byte stream, so httpx adds no content-length: the proxy reports exactly JSON_HEADERS.
    content = json.dumps(body).encode()
    return httpx.Response(status, headers=examples.JSON_HEADERS, stream=httpx.ByteStream(content))


def serve(request: httpx.Request) -> httpx.Response:
    """The documented answer of each Gainsight call; any other call gets an empty success."""
    key = (request.method, urlsplit(str(request.url)).path)
    return answer(*examples.GAINSIGHT_ANSWERS.get(key, OK))


def failing_with(status: int, body: object):
    def serve_failure(request: httpx.Request) -> httpx.Response:
        return answer(status, body)

    return serve_failure
