"""Dotted source paths (`context.traits.email`) looked up the way the original's `get` does."""

from __future__ import annotations

from typing import Any

from .jsvalues import MISSING, is_array_index


def _own(node: Any, key: str) -> Any:
    if type(node) is dict:
        return node.get(key, MISSING)
    if is_array_index(key) and int(key) < len(node):
        return node[int(key)]
    return MISSING


class Path:
    """A precompiled path; a key that literally contains the dots also matches at the root."""

    __slots__ = ("text", "parts", "prefix", "leaf")

    def __init__(self, text: str) -> None:
        self.text = text
        self.parts = tuple(text.split("."))
        self.prefix = Path(text.rsplit(".", 1)[0]) if len(self.parts) > 1 else None
        self.leaf = self.parts[-1]

    def get(self, root: Any) -> Any:
        if type(root) is not dict:
            return MISSING
        value = root.get(self.text, MISSING)
        parts = self.parts
        if value is not MISSING or len(parts) == 1:
            return value
        # get-value's walk: a segment that is not a key is joined with the following ones until
        # a key literally containing the dots matches (`{"context": {"traits.email": ...}}`).
        node: Any = root
        index = 0
        count = len(parts)
        while index < count:
            kind = type(node)
            if kind is dict:
                child = node.get(parts[index], MISSING)
            elif kind is list:
                child = _own(node, parts[index])
            else:
                return MISSING
            index += 1
            if child is MISSING:
                prop = parts[index - 1]
                while child is MISSING and index < count:
                    prop = prop + "." + parts[index]
                    child = _own(node, prop)
                    index += 1
                if child is MISSING:
                    return MISSING
            node = child
        return node

    def delete(self, root: Any) -> None:
        if type(root) is not dict:
            return
        if self.text in root:
            del root[self.text]
            return
        node: Any = root
        for part in self.parts[:-1]:
            node = node.get(part) if type(node) is dict else None
        if type(node) is dict:
            node.pop(self.parts[-1], None)

    def __repr__(self) -> str:
        return f"Path({self.text!r})"


_UNSET = object()


class MessageReader:
    """Looks paths up in one message, resolving each shared prefix (`context.traits`) once.

    The shortcut is exact only when neither the message nor its `context` has keys with dots
    (which `get` could join across the prefix); otherwise every lookup takes the full walk.
    """

    __slots__ = ("message", "plain", "_prefixes")

    def __init__(self, message: dict[str, Any]) -> None:
        self.message = message
        context = message.get("context")
        # Keys of parsed JSON are strings: one join and one scan instead of a loop per key.
        self.plain = "." not in "".join(message) and not (type(context) is dict and "." in "".join(context))
        """Whether `holder(path.prefix)` then the leaf finds what `path.get` would."""
        self._prefixes: dict[str, Any] = {}

    def holder(self, prefix: Path | None) -> Any:
        """The node a prefix leads to (the message itself for None); only for a plain reader."""
        if prefix is None:
            return self.message
        holder = self._prefixes.get(prefix.text, _UNSET)
        if holder is _UNSET:
            holder = self._prefixes[prefix.text] = prefix.get(self.message)
        return holder

    def get(self, path: Path) -> Any:
        prefix = path.prefix
        if prefix is None or not self.plain:
            return path.get(self.message)
        holder = self.holder(prefix)
        if type(holder) is dict:
            return holder.get(path.leaf, MISSING)
        if type(holder) is list:
            return _own(holder, path.leaf)
        return MISSING
