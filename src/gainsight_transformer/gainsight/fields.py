"""Gainsight field tables (docs/mapping.md): one line per field, built once at import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..jsvalues import json_text, to_number
from ..paths import Path


def json_stringify_on_object(value: Any) -> Any:
    """Strings stay; anything else becomes its JS JSON text (docs/mapping.md#custom-fields)."""
    return value if isinstance(value, str) else json_text(value)


@dataclass(frozen=True, slots=True)
class Field:
    """A payload field read from `paths`; several paths use "present" semantics
    (docs/mapping.md#reading-values)."""

    dest: str
    paths: tuple[Path, ...]
    convert: Callable[[Any], Any] | None = None


class FieldTable(tuple[Field, ...]):
    """A field table, with each row's paths precompiled as (prefix slot, leaf) steps.

    `prefixes` lists the distinct path prefixes (None: the message root); `rows` holds
    (dest, steps, convert, first_present) so that one message's lookups resolve every
    prefix once and then do one dict probe per step.
    """

    prefixes: tuple[Path | None, ...]
    compiled: Callable[..., dict[str, Any]]  # set by mapping on first use
    rows: tuple[tuple[str, tuple[tuple[int, str], ...], Callable[[Any], Any] | None, bool], ...]

    def __new__(cls, *fields: Field) -> FieldTable:
        table = super().__new__(cls, fields)
        slots: dict[str | None, int] = {}
        prefixes: list[Path | None] = []
        rows = []
        for spec in fields:
            steps = []
            for path in spec.paths:
                key = None if path.prefix is None else path.prefix.text
                if key not in slots:
                    slots[key] = len(prefixes)
                    prefixes.append(path.prefix)
                steps.append((slots[key], path.text if path.prefix is None else path.leaf))
            rows.append((spec.dest, tuple(steps), spec.convert, len(steps) > 1))
        table.prefixes = tuple(prefixes)
        table.rows = tuple(rows)
        return table


def field(dest: str, *paths: str, convert: Callable[[Any], Any] | None = None) -> Field:
    return Field(dest, tuple(Path(p) for p in paths), convert)


def traits(*names: str) -> tuple[str, ...]:
    """`traits.x` paths first, then `context.traits.x` (identify's lookup order)."""
    return tuple(f"traits.{n}" for n in names) + tuple(f"context.traits.{n}" for n in names)


PERSON_FIELDS = FieldTable(
    field("Email", *traits("email")),
    field("Name", *traits("name")),
    field("FirstName", *traits("firstName", "firstname", "first_name")),
    field("LastName", *traits("lastName", "lastname", "last_name")),
    # The original lists middleName twice and has no all-lower-case `middlename`.
    field("MiddleName", *traits("middleName", "middleName", "middle_name")),
    field("LinkedinUrl", *traits("linkedinUrl")),
    field("Location", *traits("location"), convert=json_stringify_on_object),
    field("ExternalRecordID__gc", *traits("externalRecordId"), convert=json_stringify_on_object),
    field("EmailOptOut", *traits("emailOptOut")),
    field("DynamicResolutionKey", *traits("dynamicResolutionKey"), convert=json_stringify_on_object),
    field("Timezone", *traits("timezone")),
    field("Comments", *traits("comments"), convert=json_stringify_on_object),
    field("MasterRecordID", *traits("masterRecordID")),
    field("MasterAvatarTypeCode", *traits("masterAvatarTypeCode"), convert=to_number),
)

IDENTIFY_EXCLUSIONS = frozenset(
    {
        "ModifiedDate", "CreatedDate", "CreatedBy", "ModifiedBy", "Gsid", "companies", "name",
        "firstName", "first_name", "firstname", "lastName", "last_name", "lastname",
        "middleName", "middle_name", "middlename", "email", "linkedinUrl", "location",
        "externalRecordId", "emailOptOut", "dynamicResolutionKey", "timezone", "comments",
        "masterRecordID", "masterAvatarTypeCode",
    }
)  # fmt: skip

COMPANY_FIELDS = FieldTable(
    field("Name", "traits.name"),
    field("Employees", "traits.employees", convert=to_number),
    field("Arr", "traits.arr"),
    field("BillingAddress", "traits.billingAddress", convert=json_stringify_on_object),
    field("Summary", "traits.summary", convert=json_stringify_on_object),
    field("CompanyType", "traits.companyType"),
    field("Csm", "traits.csm"),
    # "CustomerlifetimeInMonths" (lower-case l) is the original's spelling.
    field("CustomerlifetimeInMonths", "traits.customerLifetimeInMonths", convert=to_number),
    field("Industry", "traits.industry", convert=json_stringify_on_object),
    field("LifecycleInWeeks", "traits.lifecycleInWeeks", convert=to_number),
    field("ManagedAs", "traits.managedAs"),
    field("Mrr", "traits.mrr"),
    field("OriginalContractDate", "traits.originalContractDate"),
    field("ParentCompany", "traits.parentCompany"),
    field("RenewalDate", "traits.renewalDate"),
    field("Stage", "traits.stage"),
    field("Status", "traits.status"),
    field("Tags", "traits.tags"),
    field("TickerSymbol", "traits.tickerSymbol", convert=json_stringify_on_object),
    field("Users", "traits.users", convert=to_number),
    field("SfdcAccountId", "traits.sfdcAccountId"),
    field("IndustryNew", "traits.industryNew"),
)

GROUP_EXCLUSIONS = frozenset(
    {
        "CreatedDate", "CreatedBy", "Csat", "CurrentScore", "Gsid", "ModifiedBy", "ModifiedDate",
        "Nps", "ScorecardId", "Trend", "name", "billingAddress", "employees", "arr",
        "companyType", "csm", "customerLifetimeInMonths", "industry", "lifecycleInWeeks",
        "managedAs", "mrr", "originalContractDate", "parentCompany", "renewalDate", "stage",
        "status", "tags", "tickerSymbol", "users", "sfdcAccountId",
    }
)  # fmt: skip

NO_EXCLUSIONS: frozenset[str] = frozenset()

PERSON_ROOTS = (Path("traits"), Path("context.traits"))
COMPANY_ROOTS = (Path("traits"),)
TRACK_ROOTS = (Path("properties"),)
