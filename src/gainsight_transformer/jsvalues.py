"""JavaScript value semantics for orjson-decoded values: truthiness, Number(),
String(), JSON.stringify() and own-property key order, reproduced exactly.

Values are dispatched on `type(v) is T` (faster than isinstance chains on the hot path); mypy does
not narrow through the `t = type(v)` alias, hence the `type: ignore`s on those lines."""

from __future__ import annotations

import math
import re
from json.encoder import encode_basestring
from typing import Any

import orjson

__all__ = [
    "MISSING",
    "is_array_index",
    "is_nan",
    "is_truthy",
    "js_keys",
    "js_trim",
    "json_text",
    "number_text",
    "text",
    "to_number",
]


class _Missing:
    """JS `undefined`: a falsy singleton distinct from None (JS `null`)."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MISSING"

    def __copy__(self) -> _Missing:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Missing:
        return self

    def __reduce__(self) -> str:
        return "MISSING"


MISSING = _Missing()

_INF = math.inf
_isnan = math.isnan
_NAN = math.nan
_MAX_SAFE = 2**53
_MAX_ARRAY_INDEX = 4294967294
_DIGIT_CHARS = frozenset("0123456789")

_JS_WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)

# Validates before float()/int(), which also accept "_", "nan", "inf" and
# non-ASCII digits; hence [0-9] rather than \d.
_NUMERIC_STRING = re.compile(
    r"(?P<dec>[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<inf>[+-]?Infinity)"
    r"|0(?:[xX](?P<hex>[0-9a-fA-F]+)|[oO](?P<oct>[0-7]+)|[bB](?P<bin>[01]+))"
)

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_PAIR_OR_LONE = re.compile("([\ud800-\udbff])([\udc00-\udfff])|[\ud800-\udfff]")


def is_truthy(v: object) -> bool:
    """JS ToBoolean."""
    t = type(v)
    if t is str or t is int or t is bool or v is None or v is MISSING:
        return bool(v)
    if t is float:
        return v != 0.0 and not _isnan(v)  # type: ignore[arg-type]
    return True


def is_nan(v: object) -> bool:
    """JS `Number.isNaN`: true only for a float NaN, no coercion."""
    return type(v) is float and _isnan(v)


def js_trim(s: str) -> str:
    """JS String.prototype.trim (JS whitespace set, not Python's)."""
    return s.strip(_JS_WHITESPACE)


def number_text(x: float) -> str:
    """JS Number::toString(x) with radix 10."""
    if type(x) is int:
        if -_MAX_SAFE < x < _MAX_SAFE:
            return str(x)
        try:
            x = float(x)
        except OverflowError:
            return "Infinity" if x > 0 else "-Infinity"
    if x.is_integer():
        if -_MAX_SAFE < x < _MAX_SAFE:
            return str(int(x))
    elif _isnan(x):
        return "NaN"
    elif x == _INF:
        return "Infinity"
    elif x == -_INF:
        return "-Infinity"
    if x < 0:
        return "-" + _format_positive(repr(-x))
    return _format_positive(repr(x))


def _format_positive(r: str) -> str:
    # repr() yields the shortest round-trip digits; re-layout them per ECMAScript
    # Number::toString, where value = s * 10**(n - k) and s has k digits.
    mantissa, _, exponent = r.partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    digits = int_part + frac_part
    stripped = digits.lstrip("0")
    n = len(int_part) + (int(exponent) if exponent else 0) - (len(digits) - len(stripped))
    s = stripped.rstrip("0")
    k = len(s)
    if k <= n <= 21:
        return s + "0" * (n - k)
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + s
    e = n - 1
    exp_text = ("e+" if e >= 0 else "e-") + str(abs(e))
    if k == 1:
        return s + exp_text
    return s[0] + "." + s[1:] + exp_text


def text(v: object) -> str:
    """JS String(v)."""
    t = type(v)
    if t is str:
        return v  # type: ignore[return-value]
    if t is bool:
        return "true" if v else "false"
    if t is int or t is float:
        return number_text(v)  # type: ignore[arg-type]
    if v is None:
        return "null"
    if v is MISSING:
        return "undefined"
    if t is list:
        return ",".join("" if e is None or e is MISSING else text(e) for e in v)  # type: ignore[attr-defined]
    if t is dict:
        return "[object Object]"
    raise TypeError(f"text(): unsupported type {t.__name__}")


def is_array_index(key: str) -> bool:
    """True for canonical array-index keys "0" … "4294967294"."""
    return (
        0 < len(key) <= 10
        and key.isascii()
        and key.isdigit()
        and (key[0] != "0" or len(key) == 1)
        and int(key) <= _MAX_ARRAY_INDEX
    )


def js_keys(d: dict[str, Any]) -> list[str]:
    """JS own-property key order: array-index keys ascending, then insertion order."""
    for k in d:
        if k[:1] in _DIGIT_CHARS:
            break
    else:
        return list(d)
    indexes: list[str] = []
    others: list[str] = []
    for k in d:
        (indexes if is_array_index(k) else others).append(k)
    if not indexes:
        return others
    indexes.sort(key=int)
    indexes.extend(others)
    return indexes


def to_number(v: object) -> int | float:
    """JS Number(v); numbers pass through, parsed whole values under 2**53 are int."""
    t = type(v)
    if t is str:
        return _string_to_number(v)  # type: ignore[arg-type]
    if t is int or t is float:
        return v  # type: ignore[return-value]
    if t is bool:
        return 1 if v else 0
    if t is list:
        return _string_to_number(text(v))
    if v is None:
        return 0
    return _NAN


def _string_to_number(s: str) -> int | float:
    s = s.strip(_JS_WHITESPACE)
    if not s:
        return 0
    m = _NUMERIC_STRING.fullmatch(s)
    if m is None:
        return _NAN
    dec = m.group("dec")
    if dec is not None:
        f = float(dec)
        if f.is_integer() and -_MAX_SAFE < f < _MAX_SAFE and (f or dec[0] != "-"):
            return int(f)
        return f
    inf = m.group("inf")
    if inf is not None:
        return -_INF if inf[0] == "-" else _INF
    hex_digits, oct_digits = m.group("hex", "oct")
    if hex_digits is not None:
        i = int(hex_digits, 16)
    elif oct_digits is not None:
        i = int(oct_digits, 8)
    else:
        i = int(m.group("bin"), 2)
    if i < _MAX_SAFE:
        return i
    try:
        return float(i)
    except OverflowError:
        return _INF


def json_text(v: object) -> str:
    """JS JSON.stringify(v) without indentation; ValueError for a top-level MISSING."""
    if v is MISSING:
        raise ValueError("JSON.stringify(undefined) produces no text")
    if type(v) is dict:
        flat = _flat_object_text(v)
        if flat is not None:
            return flat
    return _json(v)


def _flat_object_text(v: dict[Any, Any]) -> str | None:
    """`_json(v)` by orjson, for an object of strings, booleans, nulls and safe integers whose
    keys keep insertion order in JS (none starts with a digit); None for any other object.
    orjson escapes strings as JSON.stringify does and refuses lone surrogates (then None)."""
    for key, item in v.items():
        if type(key) is not str or key[:1] in _DIGIT_CHARS:
            return None
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int and -_MAX_SAFE < item < _MAX_SAFE:
            continue
        return None
    try:
        return orjson.dumps(v).decode()
    except orjson.JSONEncodeError:
        return None


def _json(v: object) -> str:
    t = type(v)
    if t is str:
        return _quote(v)  # type: ignore[arg-type]
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return number_text(v)  # type: ignore[arg-type]
    if t is float:
        if v - v != 0.0:  # type: ignore[operator]  # NaN or ±Infinity
            return "null"
        return number_text(v)  # type: ignore[arg-type]
    if v is None:
        return "null"
    if t is dict:
        parts = []
        for k in js_keys(v):  # type: ignore[arg-type]
            item = v[k]  # type: ignore[index]
            if item is not MISSING:
                parts.append(_quote(k) + ":" + _json(item))
        return "{" + ",".join(parts) + "}"
    if t is list:
        return "[" + ",".join("null" if e is MISSING else _json(e) for e in v) + "]"  # type: ignore[attr-defined]
    raise TypeError(f"json_text(): unsupported type {t.__name__}")


def _quote(s: str) -> str:
    if s.isascii() or _SURROGATE.search(s) is None:
        return encode_basestring(s)
    return _SURROGATE_PAIR_OR_LONE.sub(_surrogate_repl, encode_basestring(s))


def _surrogate_repl(m: re.Match[str]) -> str:
    high, low = m.group(1, 2)
    if high is None:
        return f"\\u{ord(m.group()):04x}"
    # Two separate surrogate code points are one valid UTF-16 pair to JS.
    return chr(0x10000 + ((ord(high) - 0xD800) << 10) + (ord(low) - 0xDC00))
