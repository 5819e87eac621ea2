"""``PUT /v1.0/api/people``: upsert one Person keyed by Email, merging fields and company links."""

from __future__ import annotations

import copy
from typing import Any

from gainsight_simulator.company_records import READ_ONLY_FIELDS
from gainsight_simulator.envelope import INVALID_GSID, RequestError, bad_request, ok
from gainsight_simulator.http_types import Request, Response
from gainsight_simulator.routes.common import json_body
from gainsight_simulator.state import GainsightState
from gainsight_simulator.values import is_blank

#: The path the original transformer uses, and the peoplemgmt path other integrators use.
PEOPLE_PATHS = ("/v1.0/api/people", "/v1/peoplemgmt/v1.0/people")


def _company_links(state: GainsightState, companies: Any) -> list[dict[str, Any]]:
    if companies is None:
        return []
    if not isinstance(companies, list):
        raise bad_request('companies must be an array of {"Company_ID": <Gsid>} objects')
    links = []
    for index, link in enumerate(companies):
        if not isinstance(link, dict):
            raise bad_request(f"companies[{index}] must be an object")
        gsid = link.get("Company_ID")
        if state.company_by_gsid(gsid) is None:
            raise RequestError(
                400, INVALID_GSID, f"Invalid or missing Company_ID in companies[{index}]: {gsid!r}"
            )
        links.append(dict(link))
    return links


def upsert_person(state: GainsightState, request: Request) -> Response:
    body = json_body(request)
    if not isinstance(body, dict):
        raise bad_request("Request body must be a Person JSON object")
    email = body.get("Email")
    if is_blank(email) or not isinstance(email, str):
        raise bad_request("Email is mandatory to resolve the Person")
    links = _company_links(state, body.get("companies"))  # validated before anything is stored

    person = state.person_by_email(email) or state.new_person(email)
    for name, value in body.items():
        if name != "companies" and name not in READ_ONLY_FIELDS:
            person[name] = value
    stored_links: list[dict[str, Any]] = person.setdefault("companies", [])
    for link in links:
        existing = next((s for s in stored_links if s.get("Company_ID") == link["Company_ID"]), None)
        if existing is None:
            stored_links.append(link)
        else:
            existing.update(link)
    return ok(copy.deepcopy(person))
