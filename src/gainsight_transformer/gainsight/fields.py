"""Gainsight field tables (docs/mapping.md, generated from them): data only, one line per field.

The machinery that reads a table (`FieldTable`, `field`, conversions) lives in mapping.py.
"""

from __future__ import annotations

from ..jsvalues import to_number
from ..paths import Path
from .mapping import FieldTable, field, json_stringify_on_object, traits

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
