"""The generic machinery that applies field tables and custom fields (docs/mapping.md#custom-fields)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..jsvalues import MISSING, is_array_index, is_truthy, js_keys, js_trim, json_text, text, to_number
from ..paths import MessageReader, Path
from ..rudder.errors import InstrumentationError

RESERVED_KEYS = frozenset({"__proto__", "constructor", "prototype"})
_DIGITS = frozenset("0123456789")
# A string root yields one key per UTF-16 unit, each holding the whole string (an observed quirk of
# the original); beyond this length that is a memory bomb, so such events are refused.
MAX_STRING_ROOT = 1000
# Dotted custom keys expand into nested objects and arrays (`a.b.0`). The original expands any
# depth and pads arrays up to any index with nulls, so a few bytes of key could become megabytes of
# answer or nest past what JSON encoders take. Bounded here (docs/divergences.md, 10):
MAX_KEY_SEGMENTS = 32
"""A custom key with more dotted segments is written as it is, not expanded."""
MAX_ARRAY_INDEX = 99
"""A larger integer segment makes an object key where a new container is made, not an array."""
MAX_PADDING = 1000
"""Most null elements one event's custom keys may pad arrays with; a write that would need more
is left out, as writes to an array at a negative or non-integer index are."""


def json_stringify_on_object(value: Any) -> Any:
    """Strings stay; anything else becomes its JS JSON text (docs/mapping.md#custom-fields)."""
    return value if isinstance(value, str) else json_text(value)


@dataclass(frozen=True, slots=True)
class Field:
    """A payload field read from `paths`; several paths use "present" semantics
    (docs/mapping.md#reading-values)."""

    dest: str
    paths: tuple[Path, ...]
    convert: Callable[[Any], Any] | None = None


class FieldTable(tuple[Field, ...]):
    """A field table, with each row's paths precompiled as (prefix slot, leaf) steps.

    `prefixes` lists the distinct path prefixes (None: the message root); `rows` holds
    (dest, steps, convert, first_present) so that one message's lookups resolve every
    prefix once and then do one dict probe per step.
    """

    prefixes: tuple[Path | None, ...]
    compiled: Callable[..., dict[str, Any]]  # set by mapping on first use
    rows: tuple[tuple[str, tuple[tuple[int, str], ...], Callable[[Any], Any] | None, bool], ...]

    def __new__(cls, *fields: Field) -> FieldTable:
        table = super().__new__(cls, fields)
        slots: dict[str | None, int] = {}
        prefixes: list[Path | None] = []
        rows = []
        for spec in fields:
            steps = []
            for path in spec.paths:
                key = None if path.prefix is None else path.prefix.text
                if key not in slots:
                    slots[key] = len(prefixes)
                    prefixes.append(path.prefix)
                steps.append((slots[key], path.text if path.prefix is None else path.leaf))
            rows.append((spec.dest, tuple(steps), spec.convert, len(steps) > 1))
        table.prefixes = tuple(prefixes)
        table.rows = tuple(rows)
        return table


def field(dest: str, *paths: str, convert: Callable[[Any], Any] | None = None) -> Field:
    return Field(dest, tuple(Path(p) for p in paths), convert)


def traits(*names: str) -> tuple[str, ...]:
    """`traits.x` paths first, then `context.traits.x` (identify's lookup order)."""
    return tuple(f"traits.{n}" for n in names) + tuple(f"context.traits.{n}" for n in names)


def is_present(value: Any) -> bool:
    """Truthy, or exactly `false`, or exactly the number 0."""
    if value is False:
        return True
    if type(value) is int or type(value) is float:
        return value == value  # every number but NaN
    return is_truthy(value)


def lookup(reader: MessageReader, spec: Field) -> Any:
    paths = spec.paths
    if len(paths) == 1:
        return reader.get(paths[0])
    for path in paths:
        value = reader.get(path)
        if is_present(value):
            return value
    return MISSING


def apply_fields(source: dict[str, Any] | MessageReader, table: FieldTable) -> dict[str, Any]:
    """Payload of the mapped fields that end up with a value worth writing."""
    reader = MessageReader(source) if isinstance(source, dict) else source
    if reader.plain:
        holders = [reader.holder(prefix) for prefix in table.prefixes]
        if list not in map(type, holders):
            # The hot path: every prefix led to an object (or to nothing), so one function
            # generated from the table does the probes in straight-line code.
            return _compiled(table)(*[h if type(h) is dict else _NOTHING for h in holders])
    # Dotted keys or array holders: each field's paths looked up one by one.
    payload: dict[str, Any] = {}
    for spec in table:
        value = lookup(reader, spec)
        if value is not MISSING and value is not None:
            if spec.convert is not None:
                value = spec.convert(value)
            if is_present(value):
                payload[spec.dest] = value
    return payload


_NOTHING: dict[str, Any] = {}
# `not is_present(v)` (docs/mapping.md#reading-values) spelled out for the generated code:
# missing, null, "" or NaN.
_ABSENT_TEST = 'v is M or v is None or v == "" or (type(v) is float and v != v)'


def _compiled(table: FieldTable) -> Callable[..., dict[str, Any]]:
    function = table.__dict__.get("compiled")
    if function is None:
        function = table.compiled = _compile(table)
    return function


def _compile(table: FieldTable) -> Callable[..., dict[str, Any]]:
    """`apply_fields` for object holders, as Python source generated from the table: each row's
    paths become nested "first present" probes (the rules of `lookup` and `is_present`)."""
    slots = range(len(table.prefixes))
    lines = [f"def apply({', '.join(f'h{i}' for i in slots)}):", "    payload = {}"]
    lines += [f"    g{i} = h{i}.get" for i in slots]
    namespace: dict[str, Any] = {"M": MISSING}
    for number, (dest, steps, convert, first_present) in enumerate(table.rows):
        indent = "    "
        for position, (slot, leaf) in enumerate(steps):
            lines.append(f"{indent}v = g{slot}({leaf!r}, M)")
            if not first_present:
                break
            lines.append(f"{indent}if {_ABSENT_TEST}:")
            indent += "    "
            if position == len(steps) - 1:
                lines.append(f"{indent}v = M")
        lines.append("    if v is not M and v is not None:")
        if convert is not None:
            namespace[f"convert{number}"] = convert
            lines.append(f"        v = convert{number}(v)")
        lines.append(f"        if not ({_ABSENT_TEST}):")
        lines.append(f"            payload[{dest!r}] = v")
    lines.append("    return payload")
    exec("\n".join(lines), namespace)  # noqa: S102 - source built from our own field tables only
    apply: Callable[..., dict[str, Any]] = namespace["apply"]
    return apply


def _utf16_length(value: str) -> int:
    return len(value) if value.isascii() else len(value.encode("utf-16-le")) // 2


def _root_object(root: Path, value: Any) -> dict[str, Any]:
    """A custom-field root as an object in JS key order (arrays and strings by index)."""
    if isinstance(value, dict):
        keys = js_keys(value)
        if len(keys) == len(value) and all(map(str.__eq__, keys, value)):
            return value  # already in JS order: no copy
        return {key: value[key] for key in keys}
    if isinstance(value, list):
        return {str(index): item for index, item in enumerate(value)}
    if isinstance(value, str):
        length = _utf16_length(value)
        if length > MAX_STRING_ROOT:
            raise InstrumentationError(f"{root.text} must be an object, got a string of {length} characters")
        return dict.fromkeys(map(str, range(length)), value)
    return {}


def custom_fields(
    message: dict[str, Any], roots: tuple[Path, ...], excluded: frozenset[str]
) -> list[tuple[str, Any]]:
    """Raw custom keys and values in write order: root by root, so a later root's writes come
    after (and win over) every write of the earlier roots. As in the original, a root's pass
    also re-writes the earlier roots' keys that it has too, in their first-seen order."""
    writes: list[tuple[str, Any]] = []
    seen: list[str] = []
    for root in roots:
        value = root.get(message)
        if not is_truthy(value):
            continue
        own = _root_object(root, value)
        seen.extend([key for key in own if key not in excluded and key not in RESERVED_KEYS])
        writes.extend([(key, own[key]) for key in seen if key in own])
    return writes


def _split_key(key: str) -> list[str]:
    """Split on dots; a backslash escapes the next character; a trailing empty part is dropped."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(key)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        parts.append("".join(current))
    return parts


def _array_index(segment: str) -> int | None:
    if is_array_index(segment):
        return int(segment)
    if not js_trim(segment):
        return None
    number = to_number(segment)
    if isinstance(number, int) or (isinstance(number, float) and number.is_integer()):
        return int(number)
    return None


def _child(node: Any, segment: str) -> Any:
    if isinstance(node, dict):
        return node.get(segment)
    index = _array_index(segment)
    if index is not None and 0 <= index < len(node):
        return node[index]
    return None


class _Padding:
    """Null elements padded so far for one event."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = 0

    def take(self, count: int) -> bool:
        if self.used + count > MAX_PADDING:
            return False
        self.used += count
        return True


def _put(node: Any, segment: str, value: Any, padding: _Padding) -> None:
    if isinstance(node, dict):
        node[segment] = value
        return
    index = _array_index(segment)
    # A negative or non-integer "index" on an array is a property JSON never shows.
    if index is None or index < 0 or index > MAX_ARRAY_INDEX:
        return
    if index >= len(node):
        if not padding.take(index - len(node)):
            return
        node.extend([None] * (index + 1 - len(node)))
    node[index] = value


def set_path(payload: dict[str, Any], key: str, value: Any, padding: _Padding | None = None) -> None:
    """Write a custom key, expanding `a.b` / `a.0` into nested objects / arrays
    (docs/mapping.md#custom-fields)."""
    if "." not in key or "/" in key:
        payload[key] = value
        return
    segments = _split_key(key)
    if not segments or len(segments) > MAX_KEY_SEGMENTS or any(s in RESERVED_KEYS for s in segments):
        payload[key] = value
        return
    padding = padding or _Padding()
    node: Any = payload
    for position, segment in enumerate(segments[:-1]):
        child = _child(node, segment)
        if not isinstance(child, (dict, list)):
            index = _array_index(segments[position + 1])
            child = [] if index is not None and index <= MAX_ARRAY_INDEX else {}
            _put(node, segment, child, padding)
        node = child
    _put(node, segments[-1], value, padding)


def write_custom_fields(payload: dict[str, Any], fields: list[tuple[str, Any]]) -> None:
    padding = _Padding()
    for key, value in fields:
        set_path(payload, key, value, padding)


def _plain_custom_fields(
    message: dict[str, Any], roots: tuple[Path, ...], excluded: frozenset[str]
) -> dict[str, Any] | None:
    """The custom writes as one dict, when every root is an object whose kept keys are plain
    (no dots to expand, no leading digit to reorder): then the passes of `custom_fields` amount
    to a merge, later roots winning, keys in first-seen order. None: take the general way."""
    merged: dict[str, Any] = {}
    for root in roots:
        value = root.get(message)
        if not is_truthy(value):
            continue
        if type(value) is not dict:
            return None
        for key, item in value.items():
            if key in excluded or key in RESERVED_KEYS:
                continue
            if "." in key or key[:1] in _DIGITS:
                return None
            merged[key] = item
    return merged


def add_custom_fields(
    payload: dict[str, Any], message: dict[str, Any], roots: tuple[Path, ...], excluded: frozenset[str]
) -> None:
    """Write the message's custom fields into `payload` (docs/mapping.md#custom-fields)."""
    merged = _plain_custom_fields(message, roots, excluded)
    if merged is None:
        write_custom_fields(payload, custom_fields(message, roots, excluded))
    else:
        payload.update(merged)


def with_custom_fields_renamed(
    payload: dict[str, Any],
    message: dict[str, Any],
    roots: tuple[Path, ...],
    excluded: frozenset[str],
    mapping: dict[str, Any],
) -> dict[str, Any]:
    """`rename(payload + the message's custom fields, the payload's keys, mapping)`
    (docs/mapping.md#custom-fields), without building the custom fields the map drops when
    they are plain (`_plain_custom_fields`): the mapped fields keep their places (a custom key
    of the same name overrides the value), then the custom keys the map names, in first-seen
    order, under their new names."""
    merged = _plain_custom_fields(message, roots, excluded)
    if merged is None:
        default_keys = set(payload)
        write_custom_fields(payload, custom_fields(message, roots, excluded))
        return rename(payload, default_keys, mapping)
    renamed = {key: merged.pop(key, value) for key, value in payload.items()}
    if mapping and merged:
        named = mapping.keys() & merged.keys()
        for key in [key for key in merged if key in named] if named else ():
            renamed[map_key(mapping[key])] = merged[key]
    return renamed


def map_key(target: Any) -> str:
    """A map's `to` used as a property name, as JS would (missing → "undefined")."""
    return text(target)


def rename(
    payload: dict[str, Any], default_keys: frozenset[str] | set[str], mapping: dict[str, Any]
) -> dict[str, Any]:
    """Keep mapped fields, rename custom ones listed in the map, drop the rest
    (docs/mapping.md#custom-fields)."""
    renamed: dict[str, Any] = {}
    for key in js_keys(payload):
        if key in default_keys:
            renamed[key] = payload[key]
        elif key in mapping:
            renamed[map_key(mapping[key])] = payload[key]
    return renamed


def without_nulls(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if value is not None}
