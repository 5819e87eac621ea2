"""The Gainsight destination: dispatch by message type; a request's group events resolved together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ..jsvalues import is_truthy
from ..rudder.destination import DeliveryRequest, TransformContext
from ..rudder.egress import ApiPaths
from ..rudder.errors import InstrumentationError, RetryableError, TransformationFault, TransformError
from ..rudder.events import Event, json_type_name
from ..settings import Settings
from .company_api import COMPANY_PATH, QUERY_PATH
from .company_jobs import GroupJob
from .company_resolver import CompanyResolver
from .config import GainsightConfig, config_for
from .group import check_group, group_output
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
    """The lower-cased type (docs/mapping.md#message-types); not trimmed, so " identify" is unsupported."""
    value = message.get("type")
    if not is_truthy(value):
        raise InstrumentationError("Message Type is not present. Aborting message.")
    if not isinstance(value, str):
        # The original crashes here (`message.type.toLowerCase is not a function`).
        raise TransformationFault(f"message.type must be a string, got {json_type_name(value)}")
    return value.lower()


def _unexpected(exc: BaseException) -> TransformationFault:
    return TransformationFault.from_bug(exc, "transforming an event")


class GainsightDestination:
    name = "gainsight"
    definition_name = "GAINSIGHT"
    delivery_paths = ApiPaths("Gainsight", frozenset({PEOPLE_PATH, EVENTS_PATH, QUERY_PATH, COMPANY_PATH}))

    def __init__(self, settings: Settings | None = None, shared_dir: Path | None = None) -> None:
        settings = settings or Settings()
        # Across requests: the company cache, single-flight locks and 429 fast-fail, kept in this
        # process, in the workers' `shared_dir` or in Redis (company_store).
        self.companies = CompanyResolver.from_settings(settings, shared_dir=shared_dir)
        self.group_deadline = settings.group_deadline_seconds

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Held by the app's lifespan: the company store's connections."""
        store = self.companies.store
        await store.open()
        try:
            yield
        finally:
            await store.aclose()

    async def health(self) -> dict[str, Any]:
        return {"companyStore": await self.companies.store.health()}

    async def transform(self, events: list[Event], ctx: TransformContext) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(events)
        pending: list[GroupJob] = []
        for index, event in enumerate(events):
            try:
                config = config_for(event.config_key, event.config)
                kind = message_type(event.message)
                if kind == "group":
                    name, email = check_group(event.message, config)
                    pending.append(GroupJob(index, event.message, config, name, email))
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
            try:
                async with asyncio.timeout(self.group_deadline):
                    await self.companies.resolve(self.companies.api(ctx.http, ctx.egress), pending)
            except TimeoutError:
                late = RetryableError(
                    f"the Company calls of this request took longer than {self.group_deadline:g} s; retry"
                )
                for job in pending:
                    if job.gsid is None and job.error is None:
                        job.error = late
            for job in pending:
                if job.error is not None:
                    outcomes[job.index] = job.error
                elif job.gsid is None:
                    outcomes[job.index] = _unexpected(RuntimeError("group event left unresolved"))
                else:
                    try:
                        outcomes[job.index] = group_output(job.config, job.email, job.gsid)
                    except Exception as exc:  # one event's fault stays that event's
                        outcomes[job.index] = _unexpected(exc)
        return outcomes  # type: ignore[return-value]
