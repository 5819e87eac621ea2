"""group → Company search, create or update, then the Person PUT with `companies` (docs/mapping.md#group)."""

from __future__ import annotations

from typing import Any

from ..jsvalues import is_truthy
from ..paths import Path
from ..rudder.destination import DeliveryRequest
from ..rudder.errors import ConfigurationError, InstrumentationError
from .company_api import CompanyApi
from .config import GainsightConfig
from .fields import COMPANY_FIELDS, COMPANY_ROOTS, GROUP_EXCLUSIONS
from .mapping import apply_fields, with_custom_fields_renamed, without_nulls
from .people import person_upsert

GROUP_NAME = Path("traits.name")
USER_EMAIL = Path("context.traits.email")


def company_payload(message: dict[str, Any], config: GainsightConfig) -> dict[str, Any]:
    payload = apply_fields(message, COMPANY_FIELDS)
    return without_nulls(
        with_custom_fields_renamed(payload, message, COMPANY_ROOTS, GROUP_EXCLUSIONS, config.company_map)
    )


def check_group(message: dict[str, Any], config: GainsightConfig) -> tuple[Any, Any]:
    """(company name, user email) after the checks that need no network."""
    if not is_truthy(config.access_key):
        raise ConfigurationError("accessKey is required for group")
    config.host  # noqa: B018 - a domain that is not a host name is this event's 400
    name = GROUP_NAME.get(message)
    if not is_truthy(name):
        raise InstrumentationError("company name is required for group")
    email = USER_EMAIL.get(message)
    if not is_truthy(email):
        raise InstrumentationError("user email is required for group")
    return name, email


def group_output(config: GainsightConfig, email: Any, gsid: Any) -> DeliveryRequest:
    return person_upsert(config, {"Email": email, "companies": [{"Company_ID": gsid}]})


async def resolve_company(
    message: dict[str, Any], config: GainsightConfig, api: CompanyApi, name: Any
) -> Any:
    """The original's calls for one event: search, then create or update; returns the Gsid."""
    exists = await api.company_exists(config, name)  # the search before the payload, as in the original
    company = company_payload(message, config)
    return await api.save_company(config, company, exists=exists)
