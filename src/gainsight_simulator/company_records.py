"""Validation of Company write batches: the records array, mandatory Name, date fields, per-record errors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gainsight_simulator.envelope import INVALID_DATETIME, INVALID_VALUE, RequestError, bad_request
from gainsight_simulator.values import is_blank

#: System fields a client must not write; silently dropped from written records (guess).
READ_ONLY_FIELDS = frozenset({"Gsid", "CreatedDate", "ModifiedDate", "CreatedBy", "ModifiedBy"})
#: Standard Company fields of type date/datetime (validated like Gainsight's GSOBJ_1006).
DATE_FIELDS = frozenset({"OriginalContractDate", "RenewalDate"})
#: Smallest number accepted as an epoch-milliseconds date (guess: smaller numbers are rejected).
_MIN_EPOCH_MS = 100_000_000_000
_DATE_PATTERNS = (
    re.compile(r"\d{2}-\d{2}-\d{4}"),  # MM-dd-yyyy
    re.compile(r"\d{2}/\d{2}/\d{4}"),  # MM/dd/yyyy
)


def parse_records(body: Any, max_records: int) -> list[Any]:
    """The ``records`` array of a write body, 1..max_records long; raises RequestError otherwise."""
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise bad_request("Request body must be an object with a 'records' array")
    records: list[Any] = body["records"]
    if not records:
        raise bad_request("'records' must not be empty")
    if len(records) > max_records:
        raise bad_request(f"Maximum {max_records} records are allowed per call, got {len(records)}")
    return records


def field_error(field: str, value: Any, code: str, message: str) -> dict[str, Any]:
    """One entry of a per-record error list, shaped like Gainsight's write errors."""
    return {
        "success": False,
        "parsedValue": value,
        "errors": [{"errorMessage": message, "errorCode": code, "fieldName": field, "invalidValue": value}],
    }


def _valid_date(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return abs(value) >= _MIN_EPOCH_MS
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text.isdigit():
        return int(text) >= _MIN_EPOCH_MS
    if any(pattern.fullmatch(text) for pattern in _DATE_PATTERNS):
        return True
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def record_errors(record: Any, *, require_name: bool, keys: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Errors of one record (empty when valid): object shape, Name, key fields present, date formats."""
    if not isinstance(record, dict):
        return [field_error("", record, INVALID_VALUE, "Record must be a JSON object")]
    errors = []
    name = record.get("Name")
    if (require_name or "Name" in record) and (is_blank(name) or isinstance(name, bool | dict | list)):
        errors.append(
            field_error("Name", name, INVALID_VALUE, "Name is mandatory and must be a non-empty value")
        )
    for key in keys:
        if key not in record or record[key] is None:
            errors.append(field_error(key, None, INVALID_VALUE, f"Key field {key} is missing"))
    for field in sorted(DATE_FIELDS & record.keys()):
        if not _valid_date(record[field]):
            errors.append(field_error(field, record[field], INVALID_DATETIME, "Invalid dateTime format"))
    return errors


def batch_failure(per_record: list[list[dict[str, Any]]]) -> RequestError:
    """The whole-call 400: errorCode/errorDesc of the first error, ``data.errors`` one list per record."""
    first = next(entry for errors in per_record for entry in errors)
    detail = first["errors"][0]
    code = detail["errorCode"]
    if code == INVALID_DATETIME:
        desc = f"Invalid dateTimes format ({detail['fieldName']} = {detail['invalidValue']})."
    else:
        desc = detail["errorMessage"]
    return RequestError(400, code, desc, {"count": 0, "errors": per_record, "records": None})


def writable_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The record without read-only system fields."""
    return {k: v for k, v in record.items() if k not in READ_ONLY_FIELDS}
