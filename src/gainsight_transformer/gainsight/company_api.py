"""Gainsight Company API calls made while transforming group (CONTRACT §3.4) — the only HTTP here."""

from __future__ import annotations

from typing import Any

import httpx

from ..jsvalues import json_text
from ..rudder.egress import EgressPolicy, EgressRefused
from ..rudder.errors import ConfigurationError, NetworkError, RetryableError, TransformationFault
from ..rudder.jsonio import dumps
from ..rudder.outbound import Answer, send
from .config import GainsightConfig
from .people import JSON_CONTENT_TYPE, header_text

QUERY_PATH = "/v1/data/objects/query/Company"
COMPANY_PATH = "/v1/data/objects/Company"
NO_DATA_ERROR_CODE = "GSOBJ_1011"


def _failure_text(message: str, answer: Answer) -> str:
    return json_text({"message": message, "destinationResponse": answer.destination_response()})


def _error_code(answer: Answer) -> Any:
    return answer.body.get("errorCode") if isinstance(answer.body, dict) else None


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


class CompanyApi:
    def __init__(self, http: httpx.AsyncClient, egress: EgressPolicy) -> None:
        self._http = http
        self._egress = egress

    async def _call(self, method: str, url: str, config: GainsightConfig, payload: Any) -> Answer:
        headers = {"Accesskey": header_text(config.access_key), "Content-Type": JSON_CONTENT_TYPE}
        try:
            self._egress.check_domain(config.domain)
            return await send(self._http, method, url, headers, dumps(payload))
        except EgressRefused as exc:
            raise ConfigurationError(exc.message) from None

    async def _checked_call(
        self, op: str, method: str, url: str, config: GainsightConfig, payload: Any
    ) -> Answer:
        answer = await self._call(method, url, config, payload)
        if not 200 <= answer.status <= 299:
            if op == "search" and answer.status == 400 and _error_code(answer) == NO_DATA_ERROR_CODE:
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
