"""The Gainsight destination: dispatch by message type, group events run concurrently."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..jsvalues import is_truthy
from ..rudder.destination import DeliveryRequest, TransformContext
from ..rudder.errors import InstrumentationError, TransformationFault, TransformError
from ..rudder.events import Event, json_type_name
from .company_api import COMPANY_PATH, QUERY_PATH, CompanyApi
from .config import GainsightConfig, config_for
from .group import group
from .identify import identify
from .people import PEOPLE_PATH
from .track import EVENTS_PATH, track

log = logging.getLogger(__name__)

Outcome = DeliveryRequest | TransformError
SYNC_HANDLERS: dict[str, Callable[[dict[str, Any], GainsightConfig], DeliveryRequest]] = {
    "identify": identify,
    "track": track,
}


def message_type(message: dict[str, Any]) -> str:
    """The lower-cased type (CONTRACT §3.2); not trimmed, so " identify" is unsupported."""
    value = message.get("type")
    if not is_truthy(value):
        raise InstrumentationError("Message Type is not present. Aborting message.")
    if not isinstance(value, str):
        # The original crashes here (`message.type.toLowerCase is not a function`).
        raise TransformationFault(f"message.type must be a string, got {json_type_name(value)}")
    return value.lower()


def _unexpected(exc: BaseException) -> TransformationFault:
    log.error("unexpected error while transforming an event", exc_info=exc)
    return TransformationFault(f"internal error while transforming the event ({type(exc).__name__})")


class GainsightDestination:
    name = "gainsight"
    definition_name = "GAINSIGHT"
    delivery_paths = frozenset({PEOPLE_PATH, EVENTS_PATH, QUERY_PATH, COMPANY_PATH})

    async def transform(self, events: list[Event], ctx: TransformContext) -> list[Outcome]:
        api = CompanyApi(ctx.http, ctx.egress)
        outcomes: list[Outcome | None] = [None] * len(events)
        pending: list[tuple[int, Awaitable[DeliveryRequest]]] = []
        for index, event in enumerate(events):
            try:
                config = config_for(event.config_key, event.config)
                kind = message_type(event.message)
                if kind == "group":
                    pending.append((index, group(event.message, config, api)))
                    continue
                handler = SYNC_HANDLERS.get(kind)
                if handler is None:
                    raise InstrumentationError(f"message type {kind} not supported")
                outcomes[index] = handler(event.message, config)
            except TransformError as exc:
                outcomes[index] = exc
            except Exception as exc:
                outcomes[index] = _unexpected(exc)
        if pending:
            results = await asyncio.gather(*(call for _, call in pending), return_exceptions=True)
            for (index, _), result in zip(pending, results, strict=True):
                if isinstance(result, TransformError) or not isinstance(result, BaseException):
                    outcomes[index] = result
                else:
                    outcomes[index] = _unexpected(result)
        return outcomes  # type: ignore[return-value]
