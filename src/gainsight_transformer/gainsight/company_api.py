"""Gainsight Company API calls made while transforming group (CONTRACT §3.4) — the only HTTP here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from ..jsvalues import json_text
from ..rudder.errors import NetworkError, RetryableError, TransformationFault
from ..rudder.jsonio import dumps
from ..rudder.transport import describe_transport_error
from .config import GainsightConfig
from .people import JSON_CONTENT_TYPE, header_text

QUERY_PATH = "/v1/data/objects/query/Company"
COMPANY_PATH = "/v1/data/objects/Company"
NO_DATA_ERROR_CODE = "GSOBJ_1011"


@dataclass(slots=True)
class Answer:
    """Gainsight's answer, or a transport failure standing in for one."""

    status: int
    body: Any
    headers: dict[str, str] | None = None

    def destination_response(self) -> dict[str, Any]:
        response: dict[str, Any] = {"response": self.body, "status": self.status}
        if self.headers:
            response["headers"] = self.headers
        return response

    @property
    def error_code(self) -> Any:
        return self.body.get("errorCode") if isinstance(self.body, dict) else None


def _failure_text(message: str, answer: Answer) -> str:
    return json_text({"message": message, "destinationResponse": answer.destination_response()})


def _decode(content: bytes) -> Any:
    if not content:
        return ""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return content.decode("utf-8", "replace")


def search_body(name: Any) -> dict[str, Any]:
    return {
        "select": ["Name"],
        "where": {
            "conditions": [{"name": "Name", "alias": "A", "value": [name], "operator": "EQ"}],
            "expression": "A",
        },
    }


def _gsid(body: Any) -> Any:
    data = body.get("data") if isinstance(body, dict) else None
    records = data.get("records") if isinstance(data, dict) else None
    first = records[0] if isinstance(records, list) and records else None
    gsid = first.get("Gsid") if isinstance(first, dict) else None
    if (isinstance(gsid, str) and gsid) or (isinstance(gsid, int) and not isinstance(gsid, bool)):
        return gsid
    return None


def _sendable_url(url: str) -> bool:
    """httpx lets a port above 65535 through to the socket layer, which then crashes."""
    try:
        port = httpx.URL(url).port
    except httpx.InvalidURL:
        return False
    return port is None or port <= 65535


class CompanyApi:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def _call(self, method: str, url: str, config: GainsightConfig, payload: Any) -> Answer:
        headers = {"Accesskey": header_text(config.access_key), "Content-Type": JSON_CONTENT_TYPE}
        if not _sendable_url(url):
            return Answer(400, "[ERR_INVALID_URL]")
        try:
            response = await self._http.request(method, url, content=dumps(payload), headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            return Answer(400, "[ERR_INVALID_URL]")
        except (UnicodeEncodeError, httpx.LocalProtocolError):
            return Answer(400, "[ERR_INVALID_CHAR]")  # a header value HTTP cannot carry
        except httpx.HTTPError as exc:
            status, text = describe_transport_error(exc)
            return Answer(status, text)
        return Answer(response.status_code, _decode(response.content), dict(response.headers))

    async def _checked_call(
        self, op: str, method: str, url: str, config: GainsightConfig, payload: Any
    ) -> Answer:
        answer = await self._call(method, url, config, payload)
        if not 200 <= answer.status <= 299:
            if op == "search" and answer.status == 400 and answer.error_code == NO_DATA_ERROR_CODE:
                # Decided divergence: "no data found" means no such company yet.
                return Answer(200, {"data": {"records": []}})
            message = f"failed to {op} group {json_text(answer.body)}"
            raise NetworkError(_failure_text(message, answer), answer.status)
        if answer.body == "" or answer.status != 200:
            raise RetryableError(_failure_text(f"failed to {op} group", answer))
        return answer

    async def company_exists(self, config: GainsightConfig, name: Any) -> bool:
        url = config.base_url() + QUERY_PATH
        answer = await self._checked_call("search", "POST", url, config, search_body(name))
        data = answer.body.get("data") if isinstance(answer.body, dict) else None
        records = data.get("records") if isinstance(data, dict) else None
        if not isinstance(records, list):
            raise TransformationFault(
                "failed to search group: Gainsight answered 200 without a data.records array"
            )
        return len(records) > 0

    async def save_company(self, config: GainsightConfig, company: dict[str, Any], *, exists: bool) -> Any:
        """Update (PUT ?keys=Name) an existing company or create it; returns its Gsid."""
        op, method = ("update", "PUT") if exists else ("create", "POST")
        url = config.base_url() + COMPANY_PATH + ("?keys=Name" if exists else "")
        answer = await self._checked_call(op, method, url, config, {"records": [company]})
        gsid = _gsid(answer.body)
        if gsid is None:
            # Decided divergence: the original would link the person to `{}`; retry instead.
            raise RetryableError(
                _failure_text(f"failed to {op} group: the answer has no data.records[0].Gsid", answer)
            )
        return gsid
