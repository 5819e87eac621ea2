"""Admin API under ``/__admin`` (no auth, no faults, not logged): state dump, reset, faults, seed, health."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gainsight_simulator.faults import FaultSpecError, parse_fault
from gainsight_simulator.http_types import BodyError, Request, Response
from gainsight_simulator.state import GainsightState

ADMIN_PREFIX = "/__admin"
Handler = Callable[[GainsightState, Request], Response]


class AdminError(ValueError):
    """A malformed admin request (answered 400 ``{"error": ...}``)."""


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def _body(request: Request) -> Any:
    try:
        return request.json()
    except BodyError as exc:
        raise AdminError(str(exc)) from None


def get_state(state: GainsightState, request: Request) -> Response:
    return Response.json(200, state.snapshot())


def reset(state: GainsightState, request: Request) -> Response:
    state.reset()
    return Response.json(200, {"reset": True})


def health(state: GainsightState, request: Request) -> Response:
    return Response.json(200, {"status": "ok"})


def list_faults(state: GainsightState, request: Request) -> Response:
    return Response.json(200, {"faults": state.faults.pending()})


def add_faults(state: GainsightState, request: Request) -> Response:
    """Body: one fault object or a list of them; all are validated before any is queued."""
    body = _body(request)
    specs = body if isinstance(body, list) else [body]
    try:
        faults = [parse_fault(spec) for spec in specs]
    except FaultSpecError as exc:
        raise AdminError(str(exc)) from None
    for fault in faults:
        state.faults.add(fault)
    return Response.json(200, {"faults": state.faults.pending()})


def clear_faults(state: GainsightState, request: Request) -> Response:
    state.faults.clear()
    return Response.json(200, {"faults": []})


def seed(state: GainsightState, request: Request) -> Response:
    """Store ``{"companies": [...], "persons": [...]}`` directly (no validation beyond shape, Email)."""
    body = _body(request)
    if not isinstance(body, dict):
        raise AdminError("seed body must be an object with 'companies' and/or 'persons'")
    companies = body.get("companies") or []
    persons = body.get("persons") or []
    if not isinstance(companies, list) or not all(isinstance(c, dict) for c in companies):
        raise AdminError("companies must be a list of objects")
    if not isinstance(persons, list) or not all(
        isinstance(p, dict) and isinstance(p.get("Email"), str) and p["Email"] for p in persons
    ):
        raise AdminError("persons must be a list of objects with an Email")
    created_companies = [state.add_company(c, c.get("Gsid")) for c in companies]
    created_persons = []
    for fields in persons:
        person = state.person_by_email(fields["Email"]) or state.new_person(
            fields["Email"], fields.get("Gsid")
        )
        person.update({k: v for k, v in fields.items() if k != "Gsid"})
        person.setdefault("companies", [])
        created_persons.append(person)
    return Response.json(200, {"companies": created_companies, "persons": created_persons})


ROUTES: dict[str, dict[str, Handler]] = {
    "/state": {"GET": get_state},
    "/reset": {"POST": reset},
    "/health": {"GET": health},
    "/faults": {"GET": list_faults, "POST": add_faults, "DELETE": clear_faults},
    "/seed": {"POST": seed},
}


def handle_admin(state: GainsightState, request: Request) -> Response:
    sub_path = request.path[len(ADMIN_PREFIX) :].rstrip("/") or "/"
    methods = ROUTES.get(sub_path)
    if methods is None:
        return Response.json(404, {"error": f"unknown admin route {request.path}"})
    handler = methods.get(request.method)
    if handler is None:
        return Response.json(405, {"error": f"{request.method} not allowed"}, [("Allow", ", ".join(methods))])
    try:
        return handler(state, request)
    except AdminError as exc:
        return Response.json(400, {"error": str(exc)})
