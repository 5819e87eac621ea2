"""Loose value comparison for stored fields (Gainsight coerces numbers and strings when filtering)."""

from __future__ import annotations

import json
from typing import Any


def canonical(value: Any) -> Any:
    """A comparable form: strings as-is, numbers/bools as their JSON text, containers as sorted JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def same_value(stored: Any, wanted: Any) -> bool:
    """Equality used by EQ/IN and update keys: exact for strings (case-sensitive), coerced otherwise."""
    if stored is None or wanted is None:
        return stored is None and wanted is None
    return bool(canonical(stored) == canonical(wanted))


def is_blank(value: Any) -> bool:
    """Missing, null or a whitespace-only string."""
    return value is None or (isinstance(value, str) and not value.strip())
