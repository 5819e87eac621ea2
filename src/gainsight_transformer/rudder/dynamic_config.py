"""Dynamic config templates `{{ event.x || "default" }}` (docs/wire-protocol.md#pre-processing)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..jsvalues import MISSING, js_trim
from ..paths import Path
from .jsonio import canonical

if TYPE_CHECKING:
    from .events import Event

_PATH_SYNTAX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", re.ASCII)
_EVENT_PREFIX = "event."


def parse_template(value: str) -> tuple[str, str] | None:
    """(path, default) when `value` is a template, else None."""
    if "{{" not in value:
        return None
    text = js_trim(value)
    if len(text) < 4 or not (text.startswith("{{") and text.endswith("}}")):
        return None
    inner = js_trim(text[2:-2])
    if "||" not in inner:
        return None
    path, default = inner.split("||", 1)
    path = js_trim(path)
    if not _PATH_SYNTAX.fullmatch(path):
        return None
    return path, js_trim(default)


def _has_template(node: Any) -> bool:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if parse_template(item) is not None:
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _resolve_template(path: str, default: str, event: Event) -> Any:
    if path.startswith(_EVENT_PREFIX):
        root, target = event.message, Path(path[len(_EVENT_PREFIX) :])
    else:
        root, target = event.element, Path(path)
    value = target.get(root)
    if value is MISSING or value is None:
        return js_trim(default.replace('"', ""))
    # The original consumes the value it used (so it is not also sent as a custom field). We only
    # consume from the message: metadata and destination are echoed to rudder-server unchanged.
    if root is event.message or target.parts[0] == "message":
        target.delete(root)
    return value


def _resolve(node: Any, event: Event) -> Any:
    if isinstance(node, str):
        template = parse_template(node)
        return node if template is None else _resolve_template(*template, event)
    if isinstance(node, dict):
        return {key: _resolve(value, event) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(value, event) for value in node]
    return node


class ConfigResolver:
    """Resolves templates per event; finds out once per distinct config whether it has any."""

    def __init__(self) -> None:
        self._has_templates: dict[bytes, bool] = {}

    def _config_has_templates(self, event: Event) -> bool:
        key = event.config_key
        if b"{{" not in key:  # every template contains "{{", and JSON text keeps it as is
            return False
        known = self._has_templates.get(key)
        if known is None:
            known = self._has_templates[key] = _has_template(event.config)
        return known

    def resolve(self, event: Event) -> None:
        if event.destination.get("hasDynamicConfig") is False:
            return
        if not self._config_has_templates(event):
            return
        resolved = _resolve(event.config, event)
        event.config = resolved
        event.config_key = canonical(resolved)
        event.destination = {**event.destination, "Config": resolved}
