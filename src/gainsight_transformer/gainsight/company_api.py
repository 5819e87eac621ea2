"""Gainsight Company API calls made while transforming group (docs/mapping.md#group) — the only HTTP here."""

from __future__ import annotations

from typing import Any

import httpx

from ..jsvalues import json_text
from ..rudder.egress import ApiPaths, EgressPolicy, EgressRefused
from ..rudder.errors import (
    ConfigurationError,
    NetworkError,
    RetryableError,
    TransformationFault,
    TransformError,
)
from ..rudder.jsonio import dumps
from ..rudder.outbound import Answer, CallLabels, send
from .config import GainsightConfig
from .headers import JSON_CONTENT_TYPE, header_text
from .throttle import Tenant, TenantThrottle

QUERY_PATH = "/v1/data/objects/query/Company"
COMPANY_PATH = "/v1/data/objects/Company"
COMPANY_PATHS = ApiPaths("Gainsight", frozenset({QUERY_PATH, COMPANY_PATH}))
SEARCH_LABELS = CallLabels(feature="transformation", endpoint_path=QUERY_PATH, dest_type="GAINSIGHT")
WRITE_LABELS = CallLabels(feature="transformation", endpoint_path=COMPANY_PATH, dest_type="GAINSIGHT")
NO_DATA_ERROR_CODE = "GSOBJ_1011"


def _failure_text(message: str, answer: Answer) -> str:
    return json_text({"message": message, "destinationResponse": answer.destination_response()})


def _error_code(answer: Answer) -> Any:
    return answer.body.get("errorCode") if isinstance(answer.body, dict) else None


def _no_data(answer: Answer) -> bool:
    """Gainsight's answer to a Company search that matched nothing: 400 GSOBJ_1011."""
    return answer.status == 400 and _error_code(answer) == NO_DATA_ERROR_CODE


def _answered(answer: Answer) -> bool:
    """What the call metric counts as a success: a 2xx, or a search that found no company."""
    return answer.ok or _no_data(answer)


def search_body(name: Any) -> dict[str, Any]:
    return {
        "select": ["Name"],
        "where": {
            "conditions": [{"name": "Name", "alias": "A", "value": [name], "operator": "EQ"}],
            "expression": "A",
        },
    }


def in_search_body(names: list[Any], limit: int) -> dict[str, Any]:
    """One query for many names (batched resolution); Gsid selected so a hit can be cached."""
    return {
        "select": ["Name", "Gsid"],
        "where": {
            "conditions": [{"name": "Name", "alias": "A", "value": names, "operator": "IN"}],
            "expression": "A",
        },
        "limit": limit,
    }


def _records(body: Any) -> Any:
    data = body.get("data") if isinstance(body, dict) else None
    return data.get("records") if isinstance(data, dict) else None


def usable_gsid(record: Any) -> Any:
    gsid = record.get("Gsid") if isinstance(record, dict) else None
    if (isinstance(gsid, str) and gsid) or (isinstance(gsid, int) and not isinstance(gsid, bool)):
        return gsid
    return None


def tenant_of(config: GainsightConfig) -> Tenant:
    """Who Gainsight counts calls for, and whose companies are whose: the host as DNS and TLS see
    it (case-folded, without a trailing dot or the default port) and the access key as sent, so
    `Acme.gainsightcloud.com:443` and `acme.gainsightcloud.com` share one cache, one lock per
    company name and one rate-limit window."""
    return _host_key(config.base_url()), header_text(config.access_key)


def _host_key(base_url: str) -> str:
    host = base_url.lower().rstrip("/")
    if host.endswith(":443"):
        host = host[:-4]
    return host.rstrip(".")


def answer_of(error: BaseException) -> Answer | None:
    """The Gainsight answer behind a failed call; None for errors raised before or without one."""
    return error.answer if isinstance(error, NetworkError) else None


class CompanyApi:
    def __init__(
        self, http: httpx.AsyncClient, egress: EgressPolicy, throttle: TenantThrottle | None = None
    ) -> None:
        self._http = http
        self._egress = egress
        self._throttle = throttle

    def _check_hop(self, url: str) -> None:
        """A redirect of a Company call may only lead to another Company API path."""
        self._egress.check_url(url, COMPANY_PATHS)

    async def _call(
        self, method: str, url: str, config: GainsightConfig, payload: Any, labels: CallLabels
    ) -> Answer:
        headers = {"Accesskey": header_text(config.access_key), "Content-Type": JSON_CONTENT_TYPE}
        try:
            self._egress.check_domain(config.host)
            return await send(
                self._http,
                method,
                url,
                headers,
                dumps(payload),
                labels=labels,
                check_hop=self._check_hop,
                succeeded=_answered,
            )
        except EgressRefused as exc:
            raise ConfigurationError(exc.message) from None

    async def _checked_call(
        self, op: str, method: str, url: str, config: GainsightConfig, payload: Any
    ) -> Answer:
        tenant = tenant_of(config)
        if self._throttle is not None:
            await self._throttle.check(tenant)  # a tenant answered 429 this window: fail fast
        labels = SEARCH_LABELS if op == "search" else WRITE_LABELS
        answer = await self._call(method, url, config, payload, labels)
        if not 200 <= answer.status <= 299:
            if op == "search" and _no_data(answer):
                # Decided divergence: "no data found" means no such company yet.
                return Answer(200, {"data": {"records": []}})
            message = f"failed to {op} group {json_text(answer.body)}"
            error = NetworkError(_failure_text(message, answer), answer.status, answer)
            if answer.status == 429 and self._throttle is not None:
                await self._throttle.trip(tenant, error, answer.headers)
            raise error
        if answer.body == "" or answer.status != 200:
            raise RetryableError(_failure_text(f"failed to {op} group", answer))
        return answer

    async def search(self, config: GainsightConfig, body: dict[str, Any]) -> list[Any]:
        """The `data.records` of a Company query (none for GSOBJ_1011)."""
        url = config.base_url() + QUERY_PATH
        answer = await self._checked_call("search", "POST", url, config, body)
        records = _records(answer.body)
        if not isinstance(records, list):
            raise TransformationFault(
                "failed to search group: Gainsight answered 200 without a data.records array"
            )
        return records

    async def company_exists(self, config: GainsightConfig, name: Any) -> bool:
        """The original's search: one name, operator EQ."""
        return len(await self.search(config, search_body(name))) > 0

    async def save_records(
        self, config: GainsightConfig, records: list[dict[str, Any]], *, exists: bool
    ) -> list[Any]:
        """Update (PUT ?keys=Name) existing companies or create new ones in one call.

        One entry per record sent: its Gsid (`data.records[i]`), or the RetryableError to give it.
        """
        op, method = ("update", "PUT") if exists else ("create", "POST")
        url = config.base_url() + COMPANY_PATH + ("?keys=Name" if exists else "")
        answer = await self._checked_call(op, method, url, config, {"records": records})
        answered = _records(answer.body)
        if len(records) > 1 and (not isinstance(answered, list) or len(answered) != len(records)):
            count = len(answered) if isinstance(answered, list) else 0
            text = f"failed to {op} group: the answer has {count} data.records for {len(records)} sent"
            return [RetryableError(_failure_text(text, answer))] * len(records)
        results: list[Any] = []
        for index in range(len(records)):
            record = answered[index] if isinstance(answered, list) and index < len(answered) else None
            gsid = usable_gsid(record)
            if gsid is None:
                # Decided divergence: the original would link the person to `{}`; retry instead.
                text = f"failed to {op} group: the answer has no data.records[{index}].Gsid"
                results.append(RetryableError(_failure_text(text, answer)))
            else:
                results.append(gsid)
        return results

    async def save_company(self, config: GainsightConfig, company: dict[str, Any], *, exists: bool) -> Any:
        """Update (PUT ?keys=Name) an existing company or create it; returns its Gsid."""
        [result] = await self.save_records(config, [company], exists=exists)
        if isinstance(result, TransformError):
            raise result
        return result
