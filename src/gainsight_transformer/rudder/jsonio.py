"""Bytes in, bytes out: strict JSON parsing of request bodies and fast serialisation."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import orjson

from .errors import RequestError

_FIRST_CHAR = re.compile(rb"[ \t\r\n]*([^ \t\r\n])")
_UTF8_BOM = b"\xef\xbb\xbf"
PROTO_KEY = "__proto__"
# Only bodies that could spell the key, literally or with \u escapes of its letters, need the walk.
_ESCAPED_PROTO_LETTER = re.compile(rb"\\u00(?:5[fF]|70|72|6[fF]|74)")
MAX_DEPTH = 1024  # orjson's nesting limit; the stdlib fallback is held to the same one
TOO_DEEP = f"invalid JSON: nesting is deeper than {MAX_DEPTH} levels"


def _parse_int(text: str) -> int | float:
    # JS parses every number into a double; keep exact ints only where orjson can write them back.
    if len(text) <= 20:
        value = int(text)
        if -(2**63) <= value < 2**64:
            return value
    return float(text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _has_proto_key(root: Any) -> bool:
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if PROTO_KEY in node:
                return True
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return False


class RawJSON:
    """JSON text echoed as it came (metadata, destination): serialised without a parse/dump trip."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def value(self) -> Any:
        try:
            return orjson.loads(self.data)
        except orjson.JSONDecodeError:  # e.g. lone surrogate escapes, which JS accepts
            return json.loads(self.data, parse_int=_parse_int)


def _embed_raw(value: Any) -> Any:
    if isinstance(value, RawJSON):
        return orjson.Fragment(value.data)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def strip_bom(raw: bytes) -> bytes:
    # The original's body reader drops a UTF-8 byte order mark too.
    return raw[len(_UTF8_BOM) :] if raw.startswith(_UTF8_BOM) else raw


def may_contain_proto_key(raw: bytes) -> bool:
    """False when no object key of `raw` can be `__proto__`, literally or through escapes."""
    if b"\\" in raw:  # without a backslash (a one-byte scan) only the literal key can occur
        return b"proto" in raw or _ESCAPED_PROTO_LETTER.search(raw) is not None
    return b"__proto__" in raw


def parse_json_body(raw: bytes) -> Any:
    """Parse a request body the way the original's body parser accepts it
    (docs/wire-protocol.md#request-bodies)."""
    raw = strip_bom(raw)
    check_top_level(raw)
    value = load_json(raw)
    if has_proto_key(raw, value):
        raise RequestError(PROTO_FORBIDDEN)
    return value


PROTO_FORBIDDEN = "Object contains forbidden prototype property"


def check_top_level(raw: bytes) -> int:
    """The position of the body's first character, which must open an array or an object."""
    first = _FIRST_CHAR.match(raw)  # no copy of a large body just to look at one byte
    if first is None:
        raise RequestError("request body is empty; expected a JSON array or object")
    if first.group(1) not in (b"{", b"["):
        raise RequestError("invalid JSON, only supports object and array")
    return first.start(1)


def has_proto_key(raw: bytes, value: Any) -> bool:
    return may_contain_proto_key(raw) and _has_proto_key(value)


Locate = Callable[[orjson.JSONDecodeError], str]


def load_json(raw: bytes, locate: Locate = str) -> Any:
    """The value of one JSON text, or a RequestError saying what is wrong with it. `locate` words
    orjson's complaint (a piece of a larger body names the position in the whole body)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        reason = str(exc).lower()
        # orjson says "recursion limit reached" in older and "depth limit exceeded" in newer releases.
        if "recursion" in reason or "depth limit" in reason:
            raise RequestError(TOO_DEEP) from None
        complaint = locate(exc)
        if not any(hint in reason for hint in _STDLIB_READS):
            # A syntax error: the stdlib parser would only fail too, after reading it all again
            # (seconds on the event loop for a large body).
            raise RequestError(f"invalid JSON: {complaint}") from None
    value = _parse_with_stdlib(raw, complaint)
    if _deeper_than(value, MAX_DEPTH):
        # Our recursive walks (text conversion, serialisation) rely on this bound.
        raise RequestError(TOO_DEEP) from None
    return value


def _deeper_than(root: Any, limit: int) -> bool:
    """Whether arrays/objects nest more than `limit` levels (iterative: safe on any depth)."""
    stack = [(root, 1)] if isinstance(root, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


_STDLIB_READS = ("surrogate", "utf-8", "infinity")
"""What orjson refuses that JS (and the stdlib parser, with our hooks) reads: lone surrogate
escapes, bytes that are not UTF-8, numbers beyond the double range."""


def _parse_with_stdlib(raw: bytes, first_error: str) -> Any:
    # orjson refuses integers beyond 64 bits and lone surrogate escapes, both of which JS accepts,
    # and bytes that are not UTF-8, which the original's body parser reads as U+FFFD.
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text, parse_int=_parse_int, parse_constant=_reject_constant)
    except RecursionError:
        raise RequestError(TOO_DEEP) from None
    except ValueError:
        raise RequestError(f"invalid JSON: {first_error}") from None


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=_embed_raw)
    except (orjson.JSONEncodeError, TypeError):
        # Deeper than orjson's 254 levels, or strings with lone surrogates.
        return json.dumps(_finite(value), ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, RawJSON):
        return _finite(json.loads(value.data))
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def canonical(value: Any) -> bytes:
    """JSON with object keys sorted recursively: equal values give equal bytes."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(_finite(value), sort_keys=True, separators=(",", ":")).encode()
