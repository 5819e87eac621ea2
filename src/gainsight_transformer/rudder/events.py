"""One input element of a transform request, checked only where we read it."""

from __future__ import annotations

from typing import Any

from ..jsvalues import MISSING
from .dynamic_config import ConfigResolver
from .errors import InstrumentationError, TransformError
from .jsonio import RawJSON, canonical

_JSON_TYPE_NAMES = {
    type(None): "null",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
}


def json_type_name(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


class Event:
    """An element of the request after pre-processing (docs/wire-protocol.md#pre-processing).

    `error` is set instead of raising so that one malformed element never fails the others
    (a decided divergence from the original, which fails the whole request).
    """

    __slots__ = ("element", "message", "metadata", "destination", "raw_destination", "config",
                 "config_key", "error")  # fmt: skip

    def __init__(self, element: Any, error: TransformError | None = None) -> None:
        self.element = element
        self.message: dict[str, Any] = {}
        self.metadata: Any = MISSING
        self.destination: dict[str, Any] = {}
        self.raw_destination: RawJSON | None = None
        """The destination's JSON text as received, when it is what the router echoes."""
        self.config: dict[str, Any] = {}
        self.config_key = b""
        """`config` as canonical JSON: equal configs share parsing, grouping and caches."""
        self.error = error
        try:
            self._read(element)
        except TransformError as exc:
            self.error = self.error or exc

    def _read(self, element: Any) -> None:
        if not isinstance(element, dict):
            raise InstrumentationError(f"event must be an object, got {json_type_name(element)}")
        self.metadata = element.get("metadata", MISSING)
        destination = element.get("destination")
        if isinstance(destination, dict):
            self.destination = destination  # echoed by the router even if the message is bad
        message = element.get("message")
        if message is None:
            message = {}
        elif not isinstance(message, dict):
            raise InstrumentationError(f"message must be an object, got {json_type_name(message)}")
        self.message = message
        if destination is None:
            raise InstrumentationError("destination is missing")
        if not isinstance(destination, dict):
            raise InstrumentationError(f"destination must be an object, got {json_type_name(destination)}")
        self.destination = destination
        config = destination.get("Config")
        if config is None:
            raise InstrumentationError("destination Config is missing")
        if not isinstance(config, dict):
            raise InstrumentationError(f"destination Config must be an object, got {json_type_name(config)}")
        self.config = config

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def destination_echo(self) -> Any:
        return self.destination if self.raw_destination is None else self.raw_destination


def read_events(elements: list[Any], errors: dict[int, TransformError] | None = None) -> list[Event]:
    """Build events and resolve their dynamic config templates (docs/wire-protocol.md#pre-processing)."""
    resolver = ConfigResolver()
    errors = errors or {}
    events = [Event(element, errors.get(index)) for index, element in enumerate(elements)]
    for event in events:
        if event.error is None:
            event.config_key = canonical(event.config)
            resolver.resolve(event)
    return events
