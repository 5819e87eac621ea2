"""App layer: routing and the per-call pipeline (faults, rate limit, auth, handler, call log); no sockets."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gainsight_simulator.envelope import (
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    TOO_MANY_REQUESTS,
    UNAUTHORIZED,
    RequestError,
    error,
)
from gainsight_simulator.http_types import Outcome, Request, Response
from gainsight_simulator.routes.admin import handle_admin, is_admin_path
from gainsight_simulator.routes.companies import (
    COMPANY_PATH,
    QUERY_PATH,
    insert_companies,
    query_companies,
    update_companies,
)
from gainsight_simulator.routes.events import EVENTS_PATH, publish_event
from gainsight_simulator.routes.people import PEOPLE_PATHS, upsert_person
from gainsight_simulator.state import GainsightState
from gainsight_simulator.values import is_blank

log = logging.getLogger("gainsight_simulator")
Handler = Callable[[GainsightState, Request], Response]


@dataclass(frozen=True)
class Route:
    handler: Handler
    needs_access_key: bool = True


ROUTES: dict[str, dict[str, Route]] = {
    **{path: {"PUT": Route(upsert_person)} for path in PEOPLE_PATHS},
    QUERY_PATH: {"POST": Route(query_companies)},
    COMPANY_PATH: {"POST": Route(insert_companies), "PUT": Route(update_companies)},
    EVENTS_PATH: {"POST": Route(publish_event, needs_access_key=False)},
}


def rate_limit_key(request: Request) -> str:
    """Events calls count per sharedSecret (else tenantId); all other calls per Accesskey."""
    if request.path.rstrip("/") == EVENTS_PATH:
        for header in ("sharedSecret", "tenantId"):
            value = request.header(header)
            if value:
                return f"{header}:{value}"
    key = request.header("Accesskey")
    return f"accesskey:{key}" if key else "anonymous"


class SimulatorApp:
    """``handle(request) -> Outcome``; admin calls bypass faults, rate limits, auth and the call log."""

    def __init__(self, state: GainsightState | None = None) -> None:
        self.state = state or GainsightState()

    def handle(self, request: Request) -> Outcome:
        if is_admin_path(request.path):
            return Outcome(handle_admin(self.state, request))
        call = self._call_entry(request)
        fault = self.state.faults.take(request.method, request.path)
        outcome: Outcome
        if fault is not None and fault.kind == "reset":
            call["fault"] = "reset"
            outcome = Outcome(None, reset=True)
        elif fault is not None and fault.kind == "status":
            call["fault"] = "status"
            outcome = Outcome(fault.response())
        else:
            delay_s = 0.0
            if fault is not None:  # delay: handled normally, answered later
                call["fault"] = "delay"
                call["delayMs"] = fault.delay_ms
                delay_s = fault.delay_ms / 1000.0
            outcome = Outcome(self._dispatch(request), delay_s=delay_s)
        call["status"] = outcome.response.status if outcome.response is not None else None
        self.state.record_call(call)
        log.info(
            "%s %s -> %s%s",
            request.method,
            request.path,
            call["status"] if call["status"] is not None else "RESET",
            f" ({call['fault']} fault)" if "fault" in call else "",
        )
        return outcome

    def _call_entry(self, request: Request) -> dict[str, Any]:
        return {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "status": None,
            "accessKey": request.header("Accesskey"),
            "headers": dict(request.headers),
            "body": request.body_for_log(),
            "time": self.state.clock(),
        }

    def _dispatch(self, request: Request) -> Response:
        if not self.state.limiter.hit(rate_limit_key(request)):
            return error(429, *TOO_MANY_REQUESTS)
        methods = ROUTES.get(request.path.rstrip("/") or "/")
        if methods is None:
            return error(404, *NOT_FOUND)
        route = methods.get(request.method)
        if route is None:
            response = error(405, *METHOD_NOT_ALLOWED)
            response.headers.append(("Allow", ", ".join(methods)))
            return response
        if route.needs_access_key and not self._authorized(request):
            return error(401, *UNAUTHORIZED)
        try:
            return route.handler(self.state, request)
        except RequestError as exc:
            return exc.to_response()
        except Exception:  # a simulator bug: answer like Gainsight's generic 500
            log.exception("handler failed for %s %s", request.method, request.path)
            return error(500, *INTERNAL_ERROR)

    def _authorized(self, request: Request) -> bool:
        key = request.header("Accesskey")
        if key is None or is_blank(key):
            return False
        allowed = self.state.options.access_keys
        return not allowed or key in allowed
