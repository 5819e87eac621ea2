"""Queue of injected faults (status answers, delays, connection resets) for the next N matching calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gainsight_simulator.envelope import status_envelope
from gainsight_simulator.http_types import Response

KINDS = ("status", "delay", "reset")
_ABSENT = object()


class FaultSpecError(ValueError):
    """A fault description sent to ``POST /__admin/faults`` is invalid."""


@dataclass
class Fault:
    """One queued fault; ``remaining`` calls left. ``path`` is a prefix filter, ``method`` an exact one."""

    kind: str
    remaining: int = 1
    path: str | None = None
    method: str | None = None
    status: int | None = None
    body: Any = _ABSENT
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.path is not None and not path.startswith(self.path):
            return False
        return self.method is None or self.method == method

    def response(self) -> Response:
        """The answer of a ``status`` fault: given body/text, else a Gainsight envelope for the status."""
        assert self.status is not None
        headers = list(self.headers.items())
        if self.status in (204, 304):
            return Response(self.status, b"", headers, None)
        if self.text is not None:
            return Response.text(self.status, self.text, headers)
        if self.body is not _ABSENT:
            return Response.json(self.status, self.body, headers)
        answer = status_envelope(self.status)
        answer.headers.extend(headers)
        return answer

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "count": self.remaining}
        if self.path is not None:
            out["path"] = self.path
        if self.method is not None:
            out["method"] = self.method
        if self.kind == "status":
            out["status"] = self.status
            if self.body is not _ABSENT:
                out["body"] = self.body
            if self.text is not None:
                out["text"] = self.text
            if self.headers:
                out["headers"] = dict(self.headers)
        if self.kind == "delay":
            out["ms"] = self.delay_ms
        return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_fault(spec: Any) -> Fault:
    """Validate one fault description (see ``__main__`` docstring for the format)."""
    if not isinstance(spec, dict):
        raise FaultSpecError("a fault must be a JSON object")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise FaultSpecError(f"kind must be one of {', '.join(KINDS)}")
    count = spec.get("count", 1)
    if not _is_int(count) or count < 1:
        raise FaultSpecError("count must be a positive integer")
    path = spec.get("path")
    if path is not None and not isinstance(path, str):
        raise FaultSpecError("path must be a string prefix")
    method = spec.get("method")
    if method is not None and not isinstance(method, str):
        raise FaultSpecError("method must be a string")
    fault = Fault(kind=kind, remaining=count, path=path, method=method.upper() if method else None)
    if kind == "status":
        status = spec.get("status")
        if not _is_int(status) or not 200 <= int(status) <= 599:  # type: ignore[arg-type]
            raise FaultSpecError("status must be an integer HTTP status 200..599")
        fault.status = status
        if "body" in spec:
            fault.body = spec["body"]
        text = spec.get("text")
        if text is not None and not isinstance(text, str):
            raise FaultSpecError("text must be a string")
        fault.text = text
        headers = spec.get("headers", {})
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise FaultSpecError("headers must be an object of strings")
        fault.headers = dict(headers)
    elif kind == "delay":
        ms = spec.get("ms")
        if isinstance(ms, bool) or not isinstance(ms, int | float) or ms < 0:
            raise FaultSpecError("ms must be a non-negative number")
        fault.delay_ms = float(ms)
    return fault


class FaultQueue:
    """Faults in the order they were added; each call consumes one use of the first matching fault."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[index]
                return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        return [fault.to_json() for fault in self._faults]

    def clear(self) -> None:
        self._faults.clear()

    def __len__(self) -> int:
        return len(self._faults)
