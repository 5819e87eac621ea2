"""identify → Person upsert (docs/mapping.md#identify)."""

from __future__ import annotations

from typing import Any

from ..jsvalues import MISSING, is_truthy, js_trim, text
from ..paths import MessageReader
from ..rudder.destination import DeliveryRequest
from ..rudder.errors import ConfigurationError, InstrumentationError
from .config import GainsightConfig
from .fields import IDENTIFY_EXCLUSIONS, PERSON_FIELDS, PERSON_ROOTS
from .mapping import apply_fields, lookup, with_custom_fields_renamed, without_nulls
from .people import person_upsert

EMAIL_FIELD = PERSON_FIELDS[0]


def _name_part(value: Any) -> str:
    return text(value) if is_truthy(value) else ""


def synthesize_name(payload: dict[str, Any]) -> None:
    """Name from First/Middle/Last when missing; always written, possibly as ""."""
    if is_truthy(payload.get("Name", MISSING)):
        return
    first = _name_part(payload.get("FirstName", MISSING))
    middle_value = payload.get("MiddleName", MISSING)
    middle = _name_part(middle_value)
    last = _name_part(payload.get("LastName", MISSING))
    # The test is on the value, not its text: a truthy `[]` still adds its (empty) part.
    name = f"{first} {middle} {last}" if is_truthy(middle_value) else f"{first} {last}"
    payload["Name"] = js_trim(name)


def identify(message: dict[str, Any], config: GainsightConfig) -> DeliveryRequest:
    if not is_truthy(config.access_key):
        raise ConfigurationError("accessKey is required for identify")
    reader = MessageReader(message)
    if not is_truthy(lookup(reader, EMAIL_FIELD)):
        raise InstrumentationError("email is required for identify")
    payload = apply_fields(reader, PERSON_FIELDS)
    payload = with_custom_fields_renamed(
        payload, message, PERSON_ROOTS, IDENTIFY_EXCLUSIONS, config.person_map
    )
    synthesize_name(payload)
    return person_upsert(config, without_nulls(payload))
