"""Helpers shared by the Gainsight route handlers (JSON body reading)."""

from __future__ import annotations

from typing import Any

from gainsight_simulator.envelope import bad_request
from gainsight_simulator.http_types import BodyError, Request


def json_body(request: Request) -> Any:
    """The parsed body; a malformed body is a 400 ``GSOBJ_1002``."""
    try:
        return request.json()
    except BodyError as exc:
        raise bad_request(str(exc)) from None
