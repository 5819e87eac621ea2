"""The fast way in for well-formed transform bodies: decode only what the transform reads.

rudder-server's bodies repeat one destination (Config and all) in every element and carry metadata
that is only echoed back. Here msgspec splits the body into raw element parts without building
them; each message is parsed with orjson, each distinct destination once (a bounded cache keyed
by its text, across requests), and metadata (plus the router's destination echo) goes back out
as the bytes that came in.

Anything unusual returns None and the caller takes the general path (`parse_json_body` and
`read_events`), which owns every error text and edge case: bodies that may hold a `__proto__`
key, a wrong top-level shape, numbers or strings orjson refuses, very deep nesting, configs with
dynamic templates. Both paths give the same answer (tests/rudder/test_fastread.py).
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from .bounded_cache import BoundedCache
from .errors import check_event_count
from .events import Event
from .jsonio import RawJSON, canonical, may_contain_proto_key, strip_bom

_ABSENT = msgspec.Raw()


class _Element(msgspec.Struct):
    message: msgspec.Raw = _ABSENT
    metadata: msgspec.Raw = _ABSENT
    destination: msgspec.Raw = _ABSENT
    context: msgspec.Raw = _ABSENT  # read by the router's grouping (docs/wire-protocol.md#router-transform)


class _RouterBody(msgspec.Struct):
    input: list[_Element]
    destType: msgspec.Raw  # noqa: N815 - the wire name


_PROCESSOR = msgspec.json.Decoder(list[_Element])
_ROUTER = msgspec.json.Decoder(_RouterBody)
_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)


class _Unusual(Exception):
    """Leave this body to the general path."""


def _loads(part: msgspec.Raw) -> Any:
    try:
        return orjson.loads(memoryview(part))
    except orjson.JSONDecodeError:
        raise _Unusual from None


_destinations: BoundedCache[tuple[Any, RawJSON, bytes | None] | None] = BoundedCache(256, 32 * 1024 * 1024)
"""Destination text → (decoded value, the text to echo, its Config's key), across requests:
rudder-server sends the same few destinations in every element of every batch. Values are
shared, so nothing may modify them (nothing does: dynamic config builds new objects).
None marks a destination with dynamic config templates."""
_MISS = object()


def _destination(part: msgspec.Raw) -> tuple[Any, RawJSON, bytes | None]:
    data = bytes(part)
    known = _destinations.get(data, _MISS)
    if known is _MISS:
        value = _loads(part)
        config = value.get("Config") if isinstance(value, dict) else None
        key = canonical(config) if isinstance(config, dict) else None
        # Templates are resolved per event, against the message, by the general path.
        known = None if key is not None and b"{{" in key else (value, RawJSON(data), key)
        _destinations.put(data, known)
    if known is None:
        raise _Unusual
    return known  # type: ignore[return-value]


def _events(elements: list[_Element]) -> list[Event]:
    events = []
    for part in elements:
        element: dict[str, Any] = {}
        if part.message:
            element["message"] = _loads(part.message)
        if part.metadata:
            metadata = bytes(part.metadata)
            if not metadata.isascii():
                try:
                    metadata.decode()  # echoed as received: it must be UTF-8 to go out so
                except UnicodeDecodeError:
                    raise _Unusual from None
            element["metadata"] = RawJSON(metadata)
        if part.context:
            element["context"] = _loads(part.context)
        if not part.destination:
            events.append(Event(element))
            continue
        destination, echo, config_key = _destination(part.destination)
        element["destination"] = destination
        event = Event(element)
        if event.destination is destination:
            event.raw_destination = echo
            if event.error is None and config_key is not None:
                event.config_key = config_key
        events.append(event)
    return events


def _decode(raw: bytes, decoder: msgspec.json.Decoder[Any]) -> Any:
    raw = strip_bom(raw)
    if may_contain_proto_key(raw):
        return None
    try:
        return decoder.decode(raw)
    except _DECODE_ERRORS:
        return None


def processor_events(raw: bytes, limit: int | None = None) -> list[Event] | None:
    """Events of a processor body (a JSON array of elements), or None for the general path."""
    elements = _decode(raw, _PROCESSOR)
    if not elements:
        return None
    check_event_count(len(elements), limit)
    try:
        return _events(elements)
    except _Unusual:
        return None


def router_events(raw: bytes, limit: int | None = None) -> tuple[Any, list[Event]] | None:
    """(destType, events) of a router body, or None for the general path."""
    body = _decode(raw, _ROUTER)
    if body is None or not body.input:
        return None
    check_event_count(len(body.input), limit)
    try:
        return _loads(body.destType), _events(body.input)
    except _Unusual:
        return None
