"""Dotted source paths (`context.traits.email`) looked up the way the original's `get` does."""

from __future__ import annotations

from typing import Any

from .jsvalues import MISSING


class Path:
    """A precompiled path; a key that literally contains the dots also matches at the root."""

    __slots__ = ("text", "parts")

    def __init__(self, text: str) -> None:
        self.text = text
        self.parts = tuple(text.split("."))

    def get(self, root: Any) -> Any:
        if type(root) is not dict:
            return MISSING
        value = root.get(self.text, MISSING)
        if value is not MISSING or len(self.parts) == 1:
            return value
        node = root
        for part in self.parts:
            if type(node) is dict:
                node = node.get(part, MISSING)
            elif type(node) is list and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return MISSING
            if node is MISSING:
                return MISSING
        return node

    def delete(self, root: Any) -> None:
        if type(root) is not dict:
            return
        if self.text in root:
            del root[self.text]
            return
        node = root
        for part in self.parts[:-1]:
            node = node.get(part) if type(node) is dict else None
        if type(node) is dict:
            node.pop(self.parts[-1], None)

    def __repr__(self) -> str:
        return f"Path({self.text!r})"
