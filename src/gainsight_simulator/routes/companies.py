"""Company routes: query (``POST .../query/Company``), insert (``POST``) and update by keys (``PUT``)."""

from __future__ import annotations

import copy
from typing import Any

from gainsight_simulator.company_query import QueryError, parse_query
from gainsight_simulator.company_records import (
    batch_failure,
    field_error,
    parse_records,
    record_errors,
    writable_fields,
)
from gainsight_simulator.envelope import INVALID_GSID, NO_DATA, RequestError, bad_request, ok
from gainsight_simulator.http_types import Request, Response
from gainsight_simulator.routes.common import json_body
from gainsight_simulator.state import GainsightState
from gainsight_simulator.values import same_value

QUERY_PATH = "/v1/data/objects/query/Company"
COMPANY_PATH = "/v1/data/objects/Company"


def query_companies(state: GainsightState, request: Request) -> Response:
    try:
        query = parse_query(json_body(request), state.options.query_max_limit)
    except QueryError as exc:
        raise bad_request(str(exc)) from None
    records = query.run(state.companies)
    if not records and not state.options.no_data_as_empty:
        raise RequestError(400, *NO_DATA)
    return ok({"records": records})


def insert_companies(state: GainsightState, request: Request) -> Response:
    records = parse_records(json_body(request), state.options.max_records_per_write)
    per_record = [record_errors(record, require_name=True) for record in records]
    if any(per_record):
        raise batch_failure(per_record)
    created = [state.add_company(writable_fields(record)) for record in records]
    return ok({"count": len(created), "errors": None, "records": copy.deepcopy(created)})


def _update_keys(state: GainsightState, request: Request) -> list[str]:
    raw = request.query.get("keys", "")
    keys = list(dict.fromkeys(k.strip() for k in raw.split(",") if k.strip()))
    if not keys:
        raise bad_request("Query parameter 'keys' is required (comma-separated field names)")
    if len(keys) > state.options.max_update_keys:
        raise bad_request(f"At most {state.options.max_update_keys} keys are allowed, got {len(keys)}")
    return keys


def _no_match_error(record: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    value = record[keys[0]] if len(keys) == 1 else {k: record[k] for k in keys}
    return field_error(",".join(keys), value, INVALID_GSID, "No record found for the given keys")


def update_companies(state: GainsightState, request: Request) -> Response:
    keys = _update_keys(state, request)
    records = parse_records(json_body(request), state.options.max_records_per_write)
    per_record = [record_errors(record, require_name=False, keys=keys) for record in records]
    matches: list[list[dict[str, Any]]] = []
    for record, errors in zip(records, per_record, strict=True):
        found = []
        if not errors:
            found = [c for c in state.companies if all(same_value(c.get(k), record[k]) for k in keys)]
            if not found:
                errors.append(_no_match_error(record, keys))
        matches.append(found)
    if any(per_record):
        raise batch_failure(per_record)

    touched: dict[int, dict[str, Any]] = {}
    answers = []
    for record, found in zip(records, matches, strict=True):
        fields = writable_fields(record)
        for company in found:
            company.update(fields)
            touched[id(company)] = company
        answers.append(copy.deepcopy(found[0]))
    return ok({"count": len(touched), "errors": None, "records": answers})
