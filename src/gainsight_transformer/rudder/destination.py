"""What the protocol layer needs from a destination, and what a destination hands back."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

    from ..settings import Settings
    from .egress import ApiPaths, EgressPolicy
    from .errors import TransformError
    from .events import Event


@dataclass(slots=True)
class DeliveryRequest:
    """One HTTP call rudder-server should make; becomes `output` / `batchedRequest`."""

    method: str
    endpoint: str
    headers: dict[str, Any]
    json_body: Any = field(default_factory=dict)


@dataclass(slots=True)
class TransformContext:
    """Per-request handles a destination may use (the shared HTTP client, settings)."""

    http: httpx.AsyncClient
    egress: EgressPolicy
    settings: Settings


class Destination(Protocol):
    name: str
    """Lower-case name used in paths and `destType` (`gainsight`)."""
    definition_name: str
    """Destination definition name (`GAINSIGHT`), used by /features."""
    delivery_paths: ApiPaths
    """URL paths of the requests this destination builds: the only ones the proxy delivers to."""

    async def transform(
        self, events: list[Event], ctx: TransformContext
    ) -> list[DeliveryRequest | TransformError]:
        """One result per event, same order; events given here have no `error`."""
        ...

    def running(self) -> AbstractAsyncContextManager[None]:
        """Held while the app runs (its lifespan): connections the destination keeps open."""
        ...

    async def health(self) -> dict[str, Any]:
        """Merged into /health's answer: the state of what the destination depends on."""
        ...
