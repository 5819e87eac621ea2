"""Gainsight's JSON answer envelope, the error codes the simulator uses, and a request-error exception."""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Any

from gainsight_simulator.http_types import Response

# (errorCode, errorDesc) pairs. Codes marked "guess" are not documented by Gainsight.
UNAUTHORIZED = ("GS_APIG_2401", "Unauthorized")
TOO_MANY_REQUESTS = ("GU_2400", "Too many request")
INTERNAL_ERROR = ("GU_1101", "Oops, something went wrong.")
INVALID_VALUE = "GSOBJ_1002"
INVALID_GSID = "GSOBJ_1004"
INVALID_DATETIME = "GSOBJ_1006"
NO_DATA = ("GSOBJ_1011", "No data found for given criteria")
NOT_FOUND = ("GS_APIG_2404", "Not Found")  # guess
METHOD_NOT_ALLOWED = ("GS_APIG_2405", "Method Not Allowed")  # guess
MISSING_EVENT_HEADER = "GS_EVT_1001"  # guess: the Events API's error codes are not documented
FORBIDDEN = ("GS_APIG_2403", "Forbidden")  # guess

_DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    400: (INVALID_VALUE, "Invalid field value"),
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    429: TOO_MANY_REQUESTS,
    500: INTERNAL_ERROR,
}


def envelope(
    data: Any = None,
    *,
    result: bool = True,
    error_code: str | None = None,
    error_desc: str | None = None,
) -> dict[str, Any]:
    """Build ``{result, errorCode, errorDesc, requestId, data, message}`` with a fresh requestId."""
    return {
        "result": result,
        "errorCode": error_code,
        "errorDesc": error_desc,
        "requestId": str(uuid.uuid4()),
        "data": data,
        "message": None,
    }


def ok(data: Any = None, status: int = 200) -> Response:
    """A successful Gainsight answer."""
    return Response.json(status, envelope(data))


def error(status: int, code: str | None, desc: str | None, data: Any = None) -> Response:
    """A failed Gainsight answer (``result: false``)."""
    return Response.json(status, envelope(data, result=False, error_code=code, error_desc=desc))


def default_error_for(status: int) -> tuple[str | None, str | None]:
    """The (errorCode, errorDesc) a bare fault of this HTTP status carries."""
    if status in _DEFAULT_ERRORS:
        return _DEFAULT_ERRORS[status]
    if 500 <= status <= 599:
        return INTERNAL_ERROR
    if status < 400:
        return (None, None)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return (f"GS_HTTP_{status}", phrase)


def status_envelope(status: int) -> Response:
    """The default envelope for an injected status fault: success shape for 2xx/3xx, error otherwise."""
    code, desc = default_error_for(status)
    if status < 400:
        return Response.json(status, envelope(None))
    return error(status, code, desc)


class RequestError(Exception):
    """Raised by handlers to answer with a Gainsight error envelope."""

    def __init__(self, status: int, code: str, desc: str, data: Any = None) -> None:
        super().__init__(f"{status} {code}: {desc}")
        self.status = status
        self.code = code
        self.desc = desc
        self.data = data

    def to_response(self) -> Response:
        return error(self.status, self.code, self.desc, self.data)


def bad_request(desc: str, data: Any = None, code: str = INVALID_VALUE) -> RequestError:
    """A 400 ``GSOBJ_1002``-style error (or another code)."""
    return RequestError(400, code, desc, data)
