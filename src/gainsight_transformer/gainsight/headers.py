"""Header values of the requests this destination describes or makes."""

from __future__ import annotations

from typing import Any

from ..jsvalues import text

JSON_CONTENT_TYPE = "application/json"


def header_text(value: Any) -> str:
    """Header values go out as strings: rudder-server decodes headers as map[string]string."""
    return text(value)
