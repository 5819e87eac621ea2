"""Processor and router transforms, from a parsed body to the answer body
(docs/wire-protocol.md#processor-transform, #router-transform)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from ..jsvalues import is_truthy, text
from ..telemetry import metrics
from . import envelope
from .compacted import expand
from .destination import DeliveryRequest, Destination, TransformContext
from .errors import RequestError, TransformationFault, TransformError, check_event_count
from .events import Event, read_events
from .jsonio import dumps

log = logging.getLogger(__name__)

SLICE_EVENTS = 500
"""A batch this large (rudder-server sends 100 at most by default) is read and transformed in
slices of this many events, so that one huge batch cannot hold the event loop for long; each
slice's group events are resolved together (a Company search or create per slice)."""


async def _transform(
    handler: Destination,
    events: list[Event],
    ctx: TransformContext,
    skip: frozenset[int] | set[int] = frozenset(),
) -> dict[int, DeliveryRequest | TransformError]:
    """Results keyed by position in `events`; malformed events keep their own error."""
    results: dict[int, DeliveryRequest | TransformError] = {}
    todo: list[int] = []
    for index, event in enumerate(events):
        if event.error is not None:
            results[index] = event.error
        elif index not in skip:
            todo.append(index)
    for start in range(0, len(todo), SLICE_EVENTS):
        if start:
            await asyncio.sleep(0)  # a huge batch: other requests are served between slices
        part = todo[start : start + SLICE_EVENTS]
        try:
            outcomes = await handler.transform([events[i] for i in part], ctx)
        except Exception as exc:  # a bug of ours must not take the other events down with it
            fault = TransformationFault.from_bug(exc, "transforming a batch")
            outcomes = [fault] * len(part)
        results.update(zip(part, outcomes, strict=True))
    return results


async def read_events_in_slices(elements: list[Any], errors: dict[int, TransformError]) -> list[Event]:
    """`read_events`, SLICE_EVENTS at a time with the event loop free in between."""
    events: list[Event] = []
    for start in range(0, len(elements), SLICE_EVENTS):
        if start:
            await asyncio.sleep(0)
        end = start + SLICE_EVENTS
        part_errors = {index - start: error for index, error in errors.items() if start <= index < end}
        events += read_events(elements[start:end], part_errors)
    return events


async def processor_events(body: Any, *, compacted: bool, limit: int | None = None) -> list[Event]:
    if compacted:
        if isinstance(body, dict) and isinstance(body.get("input"), list):
            check_event_count(len(body["input"]), limit)
        elements, errors = expand(body)
    else:
        if not isinstance(body, list):
            raise RequestError("request body must be a JSON array of events")
        check_event_count(len(body), limit)
        elements, errors = body, {}
    if not elements:
        raise RequestError("request body must contain at least one event")
    return await read_events_in_slices(elements, errors)


_MESSAGE_TYPES = frozenset({"identify", "track", "group", "page", "screen", "alias", "audiencelist"})


def _message_type_label(message: dict[str, Any]) -> str:
    """A bounded label: a known type, "other", or "none"."""
    value = message.get("type")
    if not isinstance(value, str) or not value:
        return "none"
    value = value.lower()
    return value if value in _MESSAGE_TYPES else "other"


def _tally(feature: str, event: Event, result: Any) -> None:
    """Count one event by type and outcome (a pass-through router event counts as 200)."""
    kind = _message_type_label(event.message)
    if isinstance(result, TransformError):
        metrics.EVENTS.inc((feature, kind, str(result.status), result.error_type or result.category))
    else:
        metrics.EVENTS.inc((feature, kind, "200", "none"))


async def processor_transform(
    events: list[Event], dest_type: str, handler: Destination, ctx: TransformContext
) -> list[bytes]:
    """The answer's JSON text, in pieces (`b"".join` them)."""
    results = await _transform(handler, events, ctx)
    out = [b"["]
    for index, event in enumerate(events):
        if index:
            out.append(b",")
            if not index % SLICE_EVENTS:
                await asyncio.sleep(0)
        result = results[index]
        _tally("processor", event, result)
        if isinstance(result, TransformError):
            out.append(dumps(envelope.processor_failure(result, event.metadata, dest_type)))
        else:
            envelope.processor_success_into(out, result, event.metadata)
    out.append(b"]")
    return out


def router_input(
    body: Any, compacted: bool, limit: int | None = None
) -> tuple[list[Any], dict[int, TransformError]]:
    if isinstance(body, dict) and isinstance(body.get("input"), list):
        check_event_count(len(body["input"]), limit)
    if compacted:
        return expand(body)
    if not isinstance(body, dict) or not isinstance(body.get("input"), list):
        raise RequestError("request body must be an object with an 'input' array of events")
    return body["input"], {}


def invalid_event_array(dest_type: Any) -> dict[str, Any]:
    return {
        "output": [
            {
                "metadata": [{"destType": dest_type}],
                "batched": False,
                "statusCode": 400,
                "error": "Invalid event array",
            }
        ]
    }


def apply_oauth_secret(elements: list[Any], secret: Any) -> None:
    for element in elements:
        if isinstance(element, dict):
            metadata = element.get("metadata")
            element["metadata"] = (
                {**metadata, "secret": secret} if isinstance(metadata, dict) else {"secret": secret}
            )


def _group_key(index: int, event: Event) -> Any:
    """docs/wire-protocol.md#router-transform: (destination ID, element's job_id, canonical Config)."""
    if event.error is not None:
        return ("invalid", index)
    destination_id = event.destination.get("ID")
    context = event.element.get("context")
    sources = context.get("sources") if isinstance(context, dict) else None
    job_id = sources.get("job_id") if isinstance(sources, dict) else None
    config_key = b"default" if event.destination.get("hasDynamicConfig") is False else event.config_key
    return (
        text(destination_id) if is_truthy(destination_id) else "default",
        text(job_id) if is_truthy(job_id) else "default",
        config_key,
    )


def _pass_through(message: dict[str, Any]) -> dict[str, Any]:
    """A message that already carries a statusCode is returned as is
    (docs/wire-protocol.md#router-transform)."""
    user_id = message.get("userId")
    if is_truthy(user_id) and not isinstance(user_id, str):
        message["userId"] = text(user_id)
    return message


async def router_transform(
    events: list[Event], dest_type: str, handler: Destination, ctx: TransformContext
) -> list[bytes]:
    """The answer's JSON text (`{"output": [...]}`), in pieces (`b"".join` them)."""
    passing = {
        index
        for index, event in enumerate(events)
        if event.error is None and is_truthy(event.message.get("statusCode"))
    }
    results = await _transform(handler, events, ctx, skip=passing)

    groups: dict[Any, list[int]] = {}
    for index, event in enumerate(events):
        groups.setdefault(_group_key(index, event), []).append(index)
    out = [b'{"output":[']
    written = 0
    for members in groups.values():
        tags = envelope.context_tags(dest_type, "router", events[members[0]].metadata)
        for index in members:
            if written:
                out.append(b",")
                if not written % SLICE_EVENTS:
                    await asyncio.sleep(0)
            written += 1
            event = events[index]
            result = results.get(index)
            _tally("router", event, result)
            if index in passing:
                message = _pass_through(event.message)
                envelope.router_success_into(out, message, event.metadata, event.destination_echo)
            elif isinstance(result, TransformError):
                failure = envelope.router_failure(result, event.metadata, event.destination_echo, tags)
                out.append(dumps(failure))
            else:  # every event that is not passed through has its result
                request = cast(DeliveryRequest, result)
                envelope.router_success_into(out, request, event.metadata, event.destination_echo)
    out.append(b"]}")
    return out
