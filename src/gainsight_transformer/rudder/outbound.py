"""One outbound HTTP call and its answer as the original reads it (docs/wire-protocol.md#delivery-proxy)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from ..telemetry import metrics
from .transport import describe_transport_error

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Answer:
    """The destination's answer, or a transport failure standing in for one."""

    status: int
    body: Any
    headers: dict[str, str] | None = None

    def destination_response(self) -> dict[str, Any]:
        response: dict[str, Any] = {"response": self.body, "status": self.status}
        if self.headers:
            response["headers"] = self.headers
        return response

    @property
    def ok(self) -> bool:
        return 200 <= self.status <= 299


@dataclass(frozen=True, slots=True)
class CallLabels:
    """Metric labels of an outbound call; `endpoint_path` from a fixed set (bounded cardinality)."""

    feature: str
    endpoint_path: str
    dest_type: str
    """The destination definition name (`Destination.definition_name`)."""


def decode_body(content: bytes) -> Any:
    """JSON when it parses, else text; an empty body is ""."""
    if not content:
        return ""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return content.decode("utf-8", "replace")


def _sendable(url: str) -> bool:
    """httpx lets a port above 65535 through to the socket layer, which then crashes."""
    try:
        port = httpx.URL(url).port
    except httpx.InvalidURL:
        return False
    return port is None or port <= 65535


REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5  # as the original (axios / follow-redirects)
CREDENTIALS = frozenset({"accesskey", "sharedsecret", "authorization", "proxy-authorization", "cookie"})
"""Headers that never follow a redirect to another origin (scheme, host or port)."""
_BODY_HEADERS = frozenset({"content-type", "content-encoding", "content-length"})


async def send(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    headers: dict[str, str],
    content: bytes | None = None,
    params: Any = None,
    *,
    labels: CallLabels,
    check_hop: Callable[[str], None],
    succeeded: Callable[[Answer], bool] = lambda answer: answer.ok,
) -> Answer:
    """Make the call; failures without an HTTP answer become the original's texts. `succeeded`
    decides the call metric's `success` label (a 2xx, unless the caller knows better).

    Redirects are followed here, not by httpx, so that every hop is held to the same egress
    rules (`check_hop`, which raises `EgressRefused`) and credentials stay with their origin.
    `EgressRefused` (the SSRF guard) is not caught here: callers report it as a configuration
    error.
    """
    started = time.perf_counter()
    answer = await _exchange(http, method, url, headers, content, params, check_hop)
    seconds = time.perf_counter() - started
    key = (labels.feature, labels.dest_type, labels.endpoint_path, method)
    metrics.OUTGOING_LATENCY.observe(key, seconds)
    if log.isEnabledFor(logging.DEBUG):
        fields = {"feature": labels.feature, "method": method, "url": _without_query(url),
                  "status": answer.status, "durationMs": round(seconds * 1000, 3)}  # fmt: skip
        log.debug("outbound call", extra={"fields": fields})
    metrics.OUTGOING_REQUESTS.inc((*key, str(answer.status), "true" if succeeded(answer) else "false"))
    return answer


def _without_query(url: str) -> str:
    """The URL as logged: no user info, query string or fragment, which may carry credentials."""
    try:
        parsed = httpx.URL(url)
        return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}{parsed.path}"
    except (httpx.InvalidURL, UnicodeDecodeError):
        return "(not a valid URL)"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


async def _exchange(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    headers: dict[str, str],
    content: bytes | None,
    params: Any,
    check_hop: Callable[[str], None],
) -> Answer:
    if not _sendable(url):
        return Answer(400, "[ERR_INVALID_URL]")
    try:
        hops = 0
        while True:
            response = await http.request(method, url, content=content, headers=headers, params=params)
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or location is None:
                break
            if hops == MAX_REDIRECTS:
                raise httpx.TooManyRedirects("more than 5 redirects", request=response.request)
            hops += 1
            target = response.url.join(location)
            check_hop(str(target))
            if _origin(target) != _origin(response.url):
                headers = {name: value for name, value in headers.items() if name.lower() not in CREDENTIALS}
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, content = "GET", None  # as browsers, curl and axios do
                headers = {
                    name: value for name, value in headers.items() if name.lower() not in _BODY_HEADERS
                }
            url, params = str(target), None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        return Answer(400, "[ERR_INVALID_URL]")
    except (UnicodeEncodeError, httpx.LocalProtocolError):
        return Answer(400, "[ERR_INVALID_CHAR]")  # a header value HTTP cannot carry
    except httpx.HTTPError as exc:
        status, text = describe_transport_error(exc)
        return Answer(status, text)
    return Answer(response.status_code, decode_body(response.content), dict(response.headers))
