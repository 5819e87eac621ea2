"""Bodies over LARGE_BYTES: counted and weighed before they are decoded, then decoded a slice at a time.

One orjson call on a 60 MiB body holds the GIL, and with it every other request, for seconds, and
builds everything before a single event can be counted. Here a scan in a worker thread (plain
Python, so the interpreter hands the GIL back to the event loop every few milliseconds) finds the
event array's elements and counts the strings and containers in the body. More events than
MAX_EVENTS_PER_REQUEST is a 413 before anything is decoded; the counts give an upper bound of what
the decoded body will cost (`decoded_cost`), which the caller holds against MAX_BYTES_IN_FLIGHT;
then the elements are decoded about SLICE_BYTES at a time with the event loop free in between.

The event array is the body itself when it is a JSON array, else the top-level "input" array of
the object (router and compacted bodies; the other members are decoded in one piece). The value
and every error text are the ones `parse_json_body` gives for the whole body: a slice is decoded
with a prefix that puts the parser in the state it has at that point of the body, so a complaint
names the same position, and a slice that fails is decoded again together with everything after
it, as the whole-body parse would have read it (tests/rudder/test_large_body.py).
"""

from __future__ import annotations

import asyncio
import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from .errors import RequestError
from .jsonio import MAX_DEPTH, PROTO_FORBIDDEN, TOO_DEEP, has_proto_key, load_json, parse_json_body

LARGE_BYTES = 1024 * 1024
"""Bodies up to this size are decoded in one call (at worst about 60 ms of the event loop)."""
SLICE_BYTES = 128 * 1024

_STRING_PATTERN = rb'"(?:[^"\\]++|\\.)*+"'
_STRING = re.compile(_STRING_PATTERN)
_GAP = re.compile(rb"(?:[^\"\[\]{}]++|" + _STRING_PATTERN + rb")*+")  # up to the next bracket outside strings
_KEY_BEFORE = re.compile(rb"(" + _STRING_PATTERN + rb")[ \t\r\n]*:[ \t\r\n]*\Z")
_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_LIMIT = "(MAX_EVENTS_PER_REQUEST is "
_CONTINUATION = bytes(range(0x80, 0xC0))
_QUOTE, _OPEN_ARRAY, _OPEN_OBJECT = 0x22, 0x5B, 0x7B
_ARRAY_START, _ARRAY_ON = b"[", b"[0,"
_INPUT_START, _INPUT_ON = b'{"input":[', b'{"input":[0,'


async def read(raw: bytes, limit: int | None, take: Callable[[int], None]) -> Any:
    """The value of a body (without BOM, starting with "[" or "{" after whitespace), as
    `parse_json_body` gives it. `take` is given the most decoding may cost before it starts."""
    text, valid = await asyncio.to_thread(_as_utf8, raw)
    # Bytes that are not UTF-8 leave a second copy of the body, with U+FFFD, beside the first.
    take(await asyncio.to_thread(decoded_cost, text) + (0 if valid else len(raw)))
    layout = await asyncio.to_thread(scan, text, limit)
    if layout is None:
        return parse_json_body(raw)
    try:
        return await decode(text, layout)
    except RequestError as exc:
        if valid or not exc.message.startswith("invalid JSON: ") or exc.message == TOO_DEEP:
            raise
        # The whole-body parse complains about the bytes that are not UTF-8 before anything else.
        raise RequestError(f"invalid JSON: {_NOT_UTF8}") from None


def _as_utf8(raw: bytes) -> tuple[bytes, bool]:
    """`raw`, with bytes that are not UTF-8 read as U+FFFD as the whole-body parse reads them,
    and whether there were none. A piece at a time: the event loop gets the GIL in between."""
    if raw.isascii():
        return raw, True
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        for start in range(0, len(raw), SLICE_BYTES):
            decoder.decode(raw[start : start + SLICE_BYTES])
        decoder.decode(b"", final=True)
        return raw, True
    except UnicodeDecodeError:
        pass
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    steps = range(0, len(raw), SLICE_BYTES)
    pieces = [decoder.decode(raw[start : start + SLICE_BYTES]).encode() for start in steps]
    pieces.append(decoder.decode(b"", final=True).encode())
    return b"".join(pieces), False


def _not_utf8_complaint() -> str:
    try:
        orjson.loads(b'"\xff"')
    except orjson.JSONDecodeError as exc:
        return str(exc)
    raise AssertionError("orjson read a byte that is not UTF-8")


_NOT_UTF8 = _not_utf8_complaint()


@dataclass(slots=True)
class Layout:
    """Where the event array's elements are, and what the body holds."""

    in_object: bool
    """The events are the "input" member of a top-level object (else the body is the array)."""
    bounds: list[int]
    """The event array's "[", the commas between its elements, and its "]" when `closed`."""
    closed: bool
    """False: the body breaks (unbalanced, or nested too deep) before the array closes."""
    after_end: int
    """Where text follows the end of an array body (-1: nothing does)."""

    def events(self) -> int:
        return len(self.bounds) - 1 if self.closed else len(self.bounds)


def scan(raw: bytes, limit: int | None) -> Layout | None:
    """The layout of a body (without BOM, starting with "[" or "{" after whitespace), or None when
    it has no event array to slice (an object without a top-level "input" array, or one that
    breaks before it). More than `limit` elements: 413, as soon as the scan has seen them.

    Python steps from bracket to bracket only; a regex skips strings and scalars between them.
    The scan need not validate: every slice is decoded by orjson, which does."""
    start = _WHITESPACE.match(raw).end()  # type: ignore[union-attr]
    in_object = raw[start] == _OPEN_OBJECT
    depth_inside = 2 if in_object else 1  # the event array's elements sit at this depth
    stack: list[int] = []  # the closing character each open container expects
    bounds: list[int] = []
    inside = closed = False
    after_end = -1
    position, size = start, len(raw)
    while True:
        bracket = _GAP.match(raw, position).end()  # type: ignore[union-attr]
        if inside and len(stack) == depth_inside and bracket > position:
            _commas(raw, position, bracket, bounds)
            if limit is not None and len(bounds) > limit:
                raise RequestError(f"too many events in one request: more than {limit} {_LIMIT}{limit})", 413)
        if bracket >= size or raw[bracket] == _QUOTE:
            break  # the body ends inside a container, or in a string that never ends
        char = raw[bracket]
        if char == _OPEN_ARRAY or char == _OPEN_OBJECT:
            if not stack if not in_object else _opens_input(raw, stack, char, position, bracket):
                bounds, inside, closed = [bracket], True, False
            stack.append(char + 2)  # "[" + 2 is "]", "{" + 2 is "}"
            if len(stack) > MAX_DEPTH:
                break
        elif not stack or stack.pop() != char:
            break
        else:
            if inside and len(stack) == depth_inside - 1:
                bounds.append(bracket)
                inside, closed = False, True
            if not stack:
                after = _WHITESPACE.match(raw, bracket + 1).end()  # type: ignore[union-attr]
                after_end = after if after < size else -1
                break
        position = bracket + 1
    if not bounds:
        return None
    return Layout(in_object, bounds, closed, after_end)


def _commas(raw: bytes, start: int, end: int, bounds: list[int]) -> None:
    """Add the commas between `start` and `end` that are not inside strings."""
    if raw.find(b'"', start, end) < 0:
        comma = raw.find(b",", start, end)
        while comma >= 0:
            bounds.append(comma)
            comma = raw.find(b",", comma + 1, end)
        return
    for string in _STRING.finditer(raw, start, end):  # elements that are strings: not events
        _commas(raw, start, string.start(), bounds)
        start = string.end()
    _commas(raw, start, end, bounds)


def _opens_input(raw: bytes, stack: list[int], char: int, gap: int, position: int) -> bool:
    """Whether the "[" at `position` is the value of the top-level object's member "input" (the
    text from `gap` to it holds no bracket outside strings)."""
    if char != _OPEN_ARRAY or len(stack) != 1:
        return False
    member = _KEY_BEFORE.search(raw, gap, position)
    if member is None:
        return False
    key = member.group(1)
    if key == b'"input"':
        return True
    try:
        return b"\\" in key and orjson.loads(key) == "input"
    except orjson.JSONDecodeError:
        return False


def decoded_cost(raw: bytes) -> int:
    """The most a body may take once decoded: measured per kind of value, for bodies of real
    events (about 1.9 times their measured cost) and for hostile ones (1.1-2.6 times: empty
    containers, short strings, numbers, wide objects). Counted at C speed, brackets and quotes
    inside strings included (which only makes it larger)."""
    separators = raw.count(b",") + raw.count(b":")
    containers = raw.count(b"{") + raw.count(b"[")
    strings = raw.count(b'"') // 2
    return len(raw) + 32 * separators + 128 * containers + 48 * strings


async def decode(raw: bytes, layout: Layout) -> Any:
    """The body's value, as `parse_json_body` gives it, a slice at a time."""
    body: Any = None
    bounds = layout.bounds
    later: Exception | None = None  # a complaint about the members after the event array
    proto = False
    if layout.in_object:
        body, proto, later = _members(raw, layout)
    elements: list[Any] = []
    first: int | None = 0
    while first is not None and first < len(bounds) - 1:
        last = first + 1
        while last < len(bounds) - 1 and bounds[last + 1] - bounds[first] <= SLICE_BYTES:
            last += 1
        text = _prefix(layout, first) + raw[bounds[first] + 1 : bounds[last]] + _suffix(layout)
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            elements += _the_rest(raw, layout, first)
            first = None
            break
        items = value["input"] if layout.in_object else value
        elements += items[1:] if first else items
        proto = proto or has_proto_key(text, items)
        first = last
        await asyncio.sleep(0)  # the event loop serves other requests between slices
    if first is not None and not layout.closed:
        elements += _the_rest(raw, layout, first)  # the body breaks in its last element
    if later is not None:
        raise later
    if layout.after_end >= 0:
        text = b"[]" + raw[layout.after_end :]
        _complain(raw, text, 2, layout.after_end)
    if proto:
        raise RequestError(PROTO_FORBIDDEN)
    if not layout.in_object:
        return elements
    body["input"] = elements
    return body


def _members(raw: bytes, layout: Layout) -> tuple[Any, bool, RequestError | None]:
    """The object with its event array read as empty, whether it holds a `__proto__` key, and the
    complaint about the members after the array, which counts only if the array reads well."""
    opening = layout.bounds[0] + 1
    closing = layout.bounds[-1]
    # A body that breaks inside the array: the members before it are checked here, the rest there.
    rest = raw[:opening] + (raw[closing:] if layout.closed else b"]}")
    try:
        body = orjson.loads(rest)
        return body, has_proto_key(rest, body), None
    except orjson.JSONDecodeError as exc:
        at = _byte_at(rest, exc)
    if at < opening or not layout.closed:
        body = load_json(rest)  # as the whole body's parse would: complain, or read it all
        return body, has_proto_key(rest, body), None
    shift = closing - opening

    def locate(exc: orjson.JSONDecodeError) -> str:
        return _where(raw, exc, lambda: _byte_at(rest, exc) + shift)

    try:
        body = load_json(rest, locate)
    except RequestError as exc:
        return None, False, exc
    return body, has_proto_key(rest, body), None


def _prefix(layout: Layout, first: int) -> bytes:
    # After "[e1, …, ek," the parser expects a value (a "]" would be an error): "[0," puts it there.
    if layout.in_object:
        return _INPUT_ON if first else _INPUT_START
    return _ARRAY_ON if first else _ARRAY_START


def _suffix(layout: Layout) -> bytes:
    return b"]}" if layout.in_object else b"]"


def _the_rest(raw: bytes, layout: Layout, first: int) -> list[Any]:
    """Elements `first`… read in one piece with everything after them, as the whole-body parse
    reads them: for a body that breaks, this raises its complaint."""
    prefix = _prefix(layout, first)
    offset = layout.bounds[first] + 1
    text = prefix + raw[offset:]

    def locate(exc: orjson.JSONDecodeError) -> str:
        return _where(raw, exc, lambda: offset + _byte_at(text, exc) - len(prefix))

    value = load_json(text, locate)
    items: list[Any] = value["input"] if layout.in_object else value
    if has_proto_key(text, items):
        raise RequestError(PROTO_FORBIDDEN)
    return items[1:] if first else items


def _complain(raw: bytes, text: bytes, prefix_size: int, offset: int) -> None:
    """Raise orjson's complaint about `text` (which must have one), placed in `raw`."""
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        at = offset + _byte_at(text, exc) - prefix_size
        raise RequestError(f"invalid JSON: {_where(raw, exc, lambda: at)}") from None


def _byte_at(text: bytes, exc: orjson.JSONDecodeError) -> int:
    """The byte of `text` that orjson's complaint names (it counts characters)."""
    return exc.pos if text.isascii() else len(text.decode()[: exc.pos].encode())


def _where(raw: bytes, exc: orjson.JSONDecodeError, byte: Callable[[], int]) -> str:
    """orjson's complaint with the line, column and character of `raw` at `byte()`."""
    if "utf-8" in exc.msg.lower():
        return str(exc)  # for bytes that are not UTF-8, orjson always names the first character
    at = byte()
    line_start = raw.rfind(b"\n", 0, at) + 1
    line = raw.count(b"\n", 0, at) + 1
    column = _characters(raw, line_start, at) + 1
    return f"{exc.msg}: line {line} column {column} (char {_characters(raw, 0, at)})"


def _characters(raw: bytes, start: int, end: int) -> int:
    return len(raw[start:end].translate(None, _CONTINUATION))
