"""The Gainsight simulator in-process behind an httpx MockTransport, and the destination in front of it.

The simulator brings Gainsight's own rules (IN queries, 50-record writes, one invalid record fails
the whole call, fixed-window rate limit) without sockets; clocks are injected on both sides.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

import httpx

from gainsight_simulator import GainsightState, Request, Response, SimulatorApp, SimulatorOptions
from gainsight_simulator.faults import parse_fault
from gainsight_transformer.gainsight import GainsightDestination
from gainsight_transformer.gainsight.company_api import CompanyApi
from gainsight_transformer.gainsight.company_resolver import CompanyResolver
from gainsight_transformer.gainsight.config import GainsightConfig
from gainsight_transformer.rudder.destination import DeliveryRequest, TransformContext
from gainsight_transformer.rudder.egress import EgressPolicy
from gainsight_transformer.rudder.errors import TransformError
from gainsight_transformer.rudder.events import read_events
from gainsight_transformer.settings import Settings
from support.fakes import FakeClock
from support.gainsight_events import config, element, group_alone, group_message

QUERY = "/v1/data/objects/query/Company"
COMPANY = "/v1/data/objects/Company"


def _fixed_request_id(body: bytes) -> bytes:
    """Gainsight's per-call requestId made constant, so error texts of equal answers are equal."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    if isinstance(parsed, dict) and "requestId" in parsed:
        parsed["requestId"] = "request-1"
        return json.dumps(parsed, separators=(",", ":")).encode()
    return body


class InProcessGainsight:
    """`handler` answers httpx requests with the simulator app; `calls()` is its call log."""

    def __init__(self, clock: FakeClock, **options: Any) -> None:
        options.setdefault("rate_limit", 0)
        self.state = GainsightState(SimulatorOptions(**options), clock=clock, rng=random.Random(7))
        self.app = SimulatorApp(self.state)
        self.latency = 0.0
        self.override: Callable[[Request], Response | None] | None = None

    async def handler(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.latency)
        sim = Request.from_http(request.method, request.url.raw_path, request.headers.raw, request.content)
        answer = self.override(sim) if self.override is not None else None
        if answer is None:
            outcome = self.app.handle(sim)
            assert outcome.response is not None and not outcome.reset
            answer = outcome.response
        else:
            self.state.record_call(
                {"method": sim.method, "path": sim.path, "body": sim.json(), "status": answer.status}
            )
        headers = list(answer.headers)
        if answer.content_type:
            headers.append(("content-type", answer.content_type))
        return httpx.Response(answer.status, content=_fixed_request_id(answer.body), headers=headers)

    def fault(self, **spec: Any) -> None:
        self.state.faults.add(parse_fault(spec))

    def seed(self, *names: Any) -> dict[Any, str]:
        return {name: self.state.add_company({"Name": name})["Gsid"] for name in names}

    def calls(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        return [
            c for c in self.state.calls
            if (method is None or c["method"] == method) and (path is None or c["path"] == path)
        ]  # fmt: skip

    def searched(self) -> list[list[Any]]:
        """The name lists of the Company queries, in order."""
        return [c["body"]["where"]["conditions"][0]["value"] for c in self.calls("POST", QUERY)]

    def written(self, method: str) -> list[list[dict[str, Any]]]:
        return [c["body"]["records"] for c in self.calls(method, COMPANY)]

    def companies(self) -> dict[Any, dict[str, Any]]:
        return {c["Name"]: c for c in self.state.companies}


class Service:
    """The destination with injected clocks, transforming against an InProcessGainsight."""

    def __init__(self, gainsight: InProcessGainsight, clock: FakeClock, **settings: Any) -> None:
        self.gainsight = gainsight
        self.settings = Settings(**settings)
        self.destination = GainsightDestination(self.settings)
        self.destination.companies = CompanyResolver.from_settings(
            self.settings, clock=clock, monotonic=clock
        )

    @property
    def resolver(self) -> CompanyResolver:
        return self.destination.companies

    async def transform(
        self, messages: list[dict[str, Any]], **cfg: Any
    ) -> list[DeliveryRequest | TransformError]:
        events = read_events([element(message, config(**cfg)) for message in messages])
        transport = httpx.MockTransport(self.gainsight.handler)
        async with httpx.AsyncClient(transport=transport) as http:
            context = TransformContext(http=http, egress=EgressPolicy(), settings=self.settings)
            return await self.destination.transform(events, context)


async def original(gainsight: InProcessGainsight, messages: list[dict[str, Any]], **cfg: Any) -> list[Any]:
    """What the original does: each event on its own, one after the other (search, create/update)."""
    results: list[Any] = []
    transport = httpx.MockTransport(gainsight.handler)
    async with httpx.AsyncClient(transport=transport) as http:
        api = CompanyApi(http, EgressPolicy())
        for message in messages:
            try:
                results.append(await group_alone(message, GainsightConfig(config(**cfg)), api))
            except TransformError as error:
                results.append(error)
    return results


def linked(result: Any) -> Any:
    """The Gsid a group output links its person to."""
    assert isinstance(result, DeliveryRequest), result
    [link] = result.json_body["companies"]
    return link["Company_ID"]


def group_of(name: Any, email: str = "user@acme.com", **traits: Any) -> dict[str, Any]:
    return group_message({"name": name, **traits}, email=email)
