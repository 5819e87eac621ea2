"""A group event on its way through Company resolution, and the folding of their company records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..jsvalues import MISSING, json_text, text
from ..rudder.errors import TransformError
from .config import GainsightConfig


def name_key(name: Any) -> str:
    """Identity of a company name as Gainsight stores it: a number or boolean is the text it
    becomes (`4242` and `"4242"` are one company, one create), objects and arrays their JSON."""
    if name is MISSING:
        return "\0missing"
    if isinstance(name, bool | int | float):
        return json_text(text(name))
    return json_text(name)


def loose_key(name: Any) -> str | None:
    """What a looser match on Gainsight's side could equate; None for objects and arrays."""
    if isinstance(name, str):
        return name.strip().casefold()
    if isinstance(name, bool | int | float):
        return text(name).casefold()
    return None


@dataclass(slots=True, eq=False)
class GroupJob:
    """One group event that passed `check_group`; ends with `gsid` or `error`."""

    index: int
    message: dict[str, Any]
    config: GainsightConfig
    name: Any
    email: Any
    key: str = ""
    exists: bool | None = None
    cached: bool = False  # `exists` came from the cache, not from this request's search
    record: dict[str, Any] | None = None
    gsid: Any = None
    error: TransformError | None = None
    replay: bool = False  # to be resolved again on its own, as the original would

    def __post_init__(self) -> None:
        self.key = name_key(self.name)


@dataclass(slots=True, eq=False)
class WriteUnit:
    """One company record of a create/update batch and the events it stands for, in event order."""

    record: dict[str, Any]
    jobs: list[GroupJob] = field(default_factory=list)

    def succeed(self, gsid: Any) -> None:
        for job in self.jobs:
            job.gsid = gsid

    def fail(self, error: TransformError) -> None:
        for job in self.jobs:
            job.error = error

    def replay(self) -> None:
        for job in self.jobs:
            job.replay = True


def fold(jobs: list[GroupJob]) -> list[WriteUnit]:
    """One record per company `Name`: later events' fields win, as successive updates would."""
    units: dict[str, WriteUnit] = {}
    for job in jobs:
        assert job.record is not None
        key = name_key(job.record.get("Name", MISSING))
        unit = units.get(key)
        if unit is None:
            units[key] = WriteUnit(dict(job.record), [job])
        else:
            unit.record.update(job.record)
            unit.jobs.append(job)
    return list(units.values())
