"""group → Company search, create or update, then the Person PUT (CONTRACT §3.1, §3.4)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import respx

from gainsight_transformer.gainsight.company_api import CompanyApi
from gainsight_transformer.gainsight.config import GainsightConfig
from gainsight_transformer.rudder.destination import DeliveryRequest
from gainsight_transformer.rudder.egress import EgressPolicy
from gainsight_transformer.rudder.errors import (
    ConfigurationError,
    InstrumentationError,
    NetworkError,
)
from support.gainsight_events import (
    ACCESS_KEY,
    COMPANY_URL,
    DROP,
    PEOPLE_URL,
    PERSON_HEADERS,
    SEARCH_URL,
    config,
    element,
    group_alone,
    group_message,
    post_processor,
    rest_output,
    success,
)

USER_EMAIL = "user@acme.com"
GSID = "1P01Q1IO46XBY7CLHNGSBTNUPHVWHPGAMQRB"
UPDATE_URL = COMPANY_URL + "?keys=Name"


def search_body(name: Any) -> dict[str, Any]:
    return {
        "select": ["Name"],
        "where": {
            "conditions": [{"name": "Name", "alias": "A", "value": [name], "operator": "EQ"}],
            "expression": "A",
        },
    }


def gainsight_answer(records: list[Any]) -> dict[str, Any]:
    return {"result": True, "errorCode": None, "errorDesc": None, "requestId": "r1",
            "data": {"records": records}, "message": None}  # fmt: skip


@dataclass
class FakeGainsight:
    """respx routes standing in for the Company API; records every call made."""

    mock: respx.MockRouter
    existing: list[Any] = field(default_factory=list)
    gsid: Any = GSID

    def __post_init__(self) -> None:
        self.search = self.mock.post(SEARCH_URL).mock(
            side_effect=lambda request: httpx.Response(200, json=gainsight_answer(self.existing))
        )

        def saved(request: httpx.Request) -> httpx.Response:
            sent = json.loads(request.content)["records"]
            return httpx.Response(200, json=gainsight_answer([{"Gsid": self.gsid} for _ in sent]))

        self.create = self.mock.post(COMPANY_URL).mock(side_effect=saved)
        self.update = self.mock.put(UPDATE_URL).mock(side_effect=saved)

    def calls(self) -> list[tuple[str, str, Any]]:
        """(method, url, JSON body) of every Gainsight call, in order."""
        return [
            (call.request.method, str(call.request.url), json.loads(call.request.content))
            for call in self.mock.calls
        ]

    def saved_company(self) -> Any:
        (call,) = [c for c in self.mock.calls if c.request.url.path.endswith("/objects/Company")]
        return json.loads(call.request.content)


@pytest.fixture
def gainsight():
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        yield FakeGainsight(mock)


async def run_group(message: dict[str, Any], **cfg: Any) -> DeliveryRequest:
    async with httpx.AsyncClient() as http:
        return await group_alone(message, GainsightConfig(config(**cfg)), CompanyApi(http, EgressPolicy()))


def person_put(email: Any = USER_EMAIL, gsid: Any = GSID) -> DeliveryRequest:
    return DeliveryRequest(
        "PUT", PEOPLE_URL, PERSON_HEADERS, {"Email": email, "companies": [{"Company_ID": gsid}]}
    )


async def company_for(gainsight: FakeGainsight, traits: dict[str, Any], **cfg: Any) -> dict[str, Any]:
    """The single company record group sends for `traits` (a new company: create)."""
    assert await run_group(group_message(traits), **cfg) == person_put()
    body = gainsight.saved_company()
    assert list(body) == ["records"] and len(body["records"]) == 1
    return body["records"][0]


def rows(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"from": source, "to": target} for source, target in pairs]


# ---------------------------------------------------------------------------------------------
# Company field table (CONTRACT §3.4): single raw path, conversions
# ---------------------------------------------------------------------------------------------

COMPANY_TABLE = [
    # (trait, Company field, input value, written value)
    ("employees", "Employees", "100", 100),
    ("arr", "Arr", 12000.5, 12000.5),
    ("billingAddress", "BillingAddress", "1 Main St", "1 Main St"),
    ("summary", "Summary", "A summary", "A summary"),
    ("companyType", "CompanyType", "Partner", "Partner"),
    ("csm", "Csm", "csm@acme.com", "csm@acme.com"),
    ("customerLifetimeInMonths", "CustomerlifetimeInMonths", "24", 24),
    ("industry", "Industry", "CDP", "CDP"),
    ("lifecycleInWeeks", "LifecycleInWeeks", 52, 52),
    ("managedAs", "ManagedAs", "Enterprise", "Enterprise"),
    ("mrr", "Mrr", 1000, 1000),
    ("originalContractDate", "OriginalContractDate", "2020-01-01", "2020-01-01"),
    ("parentCompany", "ParentCompany", {"id": 1, "name": "Parent"}, {"id": 1, "name": "Parent"}),
    ("renewalDate", "RenewalDate", "2025-01-01", "2025-01-01"),
    ("stage", "Stage", "Adopting", "Adopting"),
    ("status", "Status", "Active", "Active"),
    ("tags", "Tags", ["a", "b"], ["a", "b"]),
    ("tickerSymbol", "TickerSymbol", "ACME", "ACME"),
    ("users", "Users", " 42 ", 42),
    ("sfdcAccountId", "SfdcAccountId", "0015g00000", "0015g00000"),
    ("industryNew", "IndustryNew", "Software", "Software"),
]


@pytest.mark.parametrize(
    ("trait", "target", "value", "written"),
    [pytest.param(*row, id=row[1]) for row in COMPANY_TABLE],
)
async def test_group_maps_each_company_field_from_its_trait(gainsight, trait, target, value, written):
    record = await company_for(gainsight, {"name": "Acme", trait: value})
    assert record == {"Name": "Acme", target: written}


async def test_group_maps_company_name_from_traits_name(gainsight):
    assert await company_for(gainsight, {"name": "Acme"}) == {"Name": "Acme"}


TO_NUMBER_FIELDS = [
    ("employees", "Employees"),
    ("customerLifetimeInMonths", "CustomerlifetimeInMonths"),
    ("lifecycleInWeeks", "LifecycleInWeeks"),
    ("users", "Users"),
]


@pytest.mark.parametrize(("trait", "target"), TO_NUMBER_FIELDS)
@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param("", 0, id="empty-string-is-zero"),
        pytest.param(" ", 0, id="blank-is-zero"),
        pytest.param("12", 12, id="numeric-string"),
        pytest.param("1.50", 1.5, id="decimal-string"),
        pytest.param(3.7, 3.7, id="no-rounding"),
        pytest.param(-2, -2, id="negative"),
        pytest.param(True, 1, id="true"),
        pytest.param(False, 0, id="false"),
        pytest.param(["7"], 7, id="array-of-one"),
        pytest.param("0x10", 16, id="hex"),
    ],
)
async def test_group_converts_number_fields_with_to_number(gainsight, trait, target, value, written):
    assert await company_for(gainsight, {"name": "Acme", trait: value}) == {"Name": "Acme", target: written}


@pytest.mark.parametrize(("trait", "target"), TO_NUMBER_FIELDS)
@pytest.mark.parametrize("value", ["abc", "1,000", {"a": 1}, [1, 2], None], ids=repr)
async def test_group_drops_number_fields_that_are_not_numbers(gainsight, trait, target, value):
    assert await company_for(gainsight, {"name": "Acme", trait: value}) == {"Name": "Acme"}


STRINGIFIED = [
    ("billingAddress", "BillingAddress"),
    ("summary", "Summary"),
    ("industry", "Industry"),
    ("tickerSymbol", "TickerSymbol"),
]


@pytest.mark.parametrize(("trait", "target"), STRINGIFIED)
@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param(False, "false", id="false"),
        pytest.param(0, "0", id="zero"),
        pytest.param(5, "5", id="number"),
        pytest.param({"city": "X", "2": 1}, '{"2":1,"city":"X"}', id="object"),
        pytest.param([1, "a", None], '[1,"a",null]', id="array"),
    ],
)
async def test_group_stringifies_non_string_values_with_json_stringify_on_object(
    gainsight, trait, target, value, written
):
    assert await company_for(gainsight, {"name": "Acme", trait: value}) == {"Name": "Acme", target: written}


@pytest.mark.parametrize(
    ("trait", "value", "record"),
    [
        pytest.param("status", False, {"Status": False}, id="false-kept"),
        pytest.param("arr", 0, {"Arr": 0}, id="zero-kept"),
        pytest.param("csm", "", {}, id="empty-string-dropped"),
        pytest.param("industry", "", {}, id="empty-stringified-dropped"),
        pytest.param("stage", None, {}, id="null-dropped"),
        pytest.param("tags", [], {"Tags": []}, id="empty-array-kept"),
        pytest.param("parentCompany", {"a": None}, {"ParentCompany": {"a": None}}, id="nested-null-kept"),
    ],
)
async def test_group_writes_mapped_values_only_when_truthy_zero_or_false(gainsight, trait, value, record):
    assert await company_for(gainsight, {"name": "Acme", trait: value}) == {"Name": "Acme", **record}


async def test_group_reads_company_fields_only_from_traits(gainsight):
    message = group_message({"name": "Acme"})
    message["context"]["traits"].update({"employees": 10, "plan": "gold", "name": "Other"})
    assert await run_group(message, companyMap=rows(("plan", "plan__gc"))) == person_put()
    assert gainsight.saved_company() == {"records": [{"Name": "Acme"}]}


# ---------------------------------------------------------------------------------------------
# Custom fields, exclusions and companyMap (CONTRACT §3.1, §3.4)
# ---------------------------------------------------------------------------------------------

GROUP_EXCLUDED = [
    "CreatedDate", "CreatedBy", "Csat", "CurrentScore", "Gsid", "ModifiedBy", "ModifiedDate",
    "Nps", "ScorecardId", "Trend", "name", "billingAddress", "employees", "arr", "companyType",
    "csm", "customerLifetimeInMonths", "industry", "lifecycleInWeeks", "managedAs", "mrr",
    "originalContractDate", "parentCompany", "renewalDate", "stage", "status", "tags",
    "tickerSymbol", "users", "sfdcAccountId",
]  # fmt: skip
NUMBER_TRAITS = {trait for trait, _ in TO_NUMBER_FIELDS}


@pytest.mark.parametrize("key", GROUP_EXCLUDED)
async def test_group_never_extracts_excluded_custom_keys(gainsight, key):
    # Values the field table drops, so only a (wrongly) extracted custom field could show up.
    traits = {"name": "Acme"}
    if key != "name":
        traits[key] = "abc" if key in NUMBER_TRAITS else ""
    assert await company_for(gainsight, traits, companyMap=rows((key, "out"))) == {"Name": "Acme"}


@pytest.mark.parametrize(
    ("key", "record"),
    [
        pytest.param("summary", {"Summary": "v", "out": "v"}, id="summary"),
        pytest.param("industryNew", {"IndustryNew": "v", "out": "v"}, id="industryNew"),
        pytest.param("csat", {"out": "v"}, id="csat"),
        pytest.param("nps", {"out": "v"}, id="nps"),
        pytest.param("email", {"out": "v"}, id="email"),
        pytest.param("Name", {"Name": "v"}, id="Name-custom-key-overwrites-field"),
        pytest.param("CSAT", {"out": "v"}, id="CSAT"),
    ],
)
async def test_group_extracts_keys_not_in_the_exclusion_list(gainsight, key, record):
    record_sent = await company_for(gainsight, {"name": "Acme", key: "v"}, companyMap=rows((key, "out")))
    assert record_sent == {"Name": "Acme", **record}


async def test_group_drops_custom_fields_not_in_company_map(gainsight):
    traits = {"name": "Acme", "plan": "gold", "seats": 5}
    record = await company_for(gainsight, traits, companyMap=rows(("plan", "Plan__gc")))
    assert record == {"Name": "Acme", "Plan__gc": "gold"}


@pytest.mark.parametrize("company_map", [[], None, "plan", {"from": "plan", "to": "x"}], ids=repr)
async def test_group_drops_every_custom_field_without_a_company_map_list(gainsight, company_map):
    record = await company_for(gainsight, {"name": "Acme", "plan": "gold"}, companyMap=company_map)
    assert record == {"Name": "Acme"}


async def test_group_company_map_row_without_to_writes_key_undefined(gainsight):
    record = await company_for(gainsight, {"name": "Acme", "plan": "gold"}, companyMap=[{"from": "plan"}])
    assert record == {"Name": "Acme", "undefined": "gold"}


async def test_group_custom_key_equal_to_a_written_field_overwrites_it(gainsight):
    record = await company_for(gainsight, {"name": "Acme", "employees": "5", "Employees": "raw"})
    assert record == {"Name": "Acme", "Employees": "raw"}


async def test_group_removes_top_level_nulls_but_keeps_nested_ones(gainsight):
    traits = {"name": "Acme", "gone": None, "obj": {"x": None}, "dotted.key": None}
    company_map = rows(("gone", "gone"), ("obj", "obj"), ("dotted", "dotted"))
    record = await company_for(gainsight, traits, companyMap=company_map)
    assert record == {"Name": "Acme", "obj": {"x": None}, "dotted": {"key": None}}


async def test_group_expands_dotted_custom_keys(gainsight):
    traits = {"name": "Acme", "addr.city": "X", "list.1": "b"}
    record = await company_for(gainsight, traits, companyMap=rows(("addr", "addr__gc"), ("list", "list")))
    assert record == {"Name": "Acme", "addr__gc": {"city": "X"}, "list": [None, "b"]}


async def test_group_company_map_to_name_replaces_the_written_name_but_not_the_searched_one(gainsight):
    traits = {"name": "Acme", "legalName": "Acme Holdings Ltd"}
    result = await run_group(group_message(traits), companyMap=rows(("legalName", "Name")))
    assert result == person_put()
    assert gainsight.calls() == [
        ("POST", SEARCH_URL, search_body("Acme")),
        ("POST", COMPANY_URL, {"records": [{"Name": "Acme Holdings Ltd"}]}),
    ]


async def test_group_null_company_map_row_is_a_configuration_error_naming_the_map(gainsight):
    with pytest.raises(ConfigurationError, match="companyMap"):
        await run_group(group_message({"name": "Acme"}), companyMap=[None])


async def test_group_searches_before_building_the_company_payload():
    # CONTRACT §3.4: step 4 (search) comes before step 5 (payload, companyMap), so a failed
    # search is reported even when the payload could not have been built.
    answer = {"result": False, "errorCode": "GU_2400", "errorDesc": "Too many request"}
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(SEARCH_URL).respond(429, json=answer)
        with pytest.raises(NetworkError) as raised:
            await run_group(group_message({"name": "Acme"}), companyMap=[None])
    assert (raised.value.status, raised.value.tags) == (
        429,
        {"errorCategory": "network", "errorType": "throttled"},
    )


# ---------------------------------------------------------------------------------------------
# Checks, search, create / update and the Person PUT (CONTRACT §3.4)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cfg", "message", "error", "text"),
    [
        pytest.param({"accessKey": ""}, {"type": "group"}, ConfigurationError,
                     "accessKey is required for group", id="access-key-first"),
        pytest.param({"accessKey": DROP}, group_message({"name": "Acme"}), ConfigurationError,
                     "accessKey is required for group", id="access-key-missing"),
        pytest.param({}, {"type": "group", "traits": {}}, InstrumentationError,
                     "company name is required for group", id="name-before-email"),
        pytest.param({}, {"type": "group", "context": {"traits": {"name": "Acme", "email": USER_EMAIL}}},
                     InstrumentationError, "company name is required for group",
                     id="name-only-from-traits"),
        pytest.param({}, group_message({"name": ""}), InstrumentationError,
                     "company name is required for group", id="name-empty"),
        pytest.param({}, group_message({"name": 0}), InstrumentationError,
                     "company name is required for group", id="name-zero"),
        pytest.param({}, group_message({"name": "Acme"}, email=None), InstrumentationError,
                     "user email is required for group", id="email-null"),
        pytest.param({}, {"type": "group", "traits": {"name": "Acme", "email": USER_EMAIL}},
                     InstrumentationError, "user email is required for group",
                     id="email-only-from-context-traits"),
    ],
)  # fmt: skip
async def test_group_checks_access_key_then_name_then_email_before_any_call(
    gainsight, cfg, message, error, text
):
    with pytest.raises(error) as raised:
        await run_group(message, **cfg)
    assert raised.value.message == text
    assert gainsight.calls() == []


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Acme", id="string"),
        pytest.param(123, id="number"),
        pytest.param(1.5, id="float"),
        pytest.param(True, id="boolean"),
        pytest.param({"a": 1}, id="object"),
        pytest.param(["x"], id="array"),
        pytest.param(" Acme ", id="untrimmed"),
    ],
)
async def test_group_searches_by_the_raw_company_name_keeping_its_json_type(gainsight, name):
    assert await run_group(group_message({"name": name})) == person_put()
    assert gainsight.calls() == [
        ("POST", SEARCH_URL, search_body(name)),
        ("POST", COMPANY_URL, {"records": [{"Name": name}]}),
    ]


async def test_group_creates_a_company_when_the_search_finds_no_records(gainsight):
    gainsight.gsid = "new-gsid"
    traits = {"name": "Acme", "employees": "10", "tags": ["x"]}
    assert await run_group(group_message(traits)) == person_put(gsid="new-gsid")
    assert gainsight.calls() == [
        ("POST", SEARCH_URL, search_body("Acme")),
        ("POST", COMPANY_URL, {"records": [{"Name": "Acme", "Employees": 10, "Tags": ["x"]}]}),
    ]


async def test_group_updates_by_name_when_the_search_finds_a_record(gainsight):
    gainsight.existing = [{"Name": "Acme"}]
    gainsight.gsid = "existing-gsid"
    assert await run_group(group_message({"name": "Acme", "stage": "Live"})) == person_put(
        gsid="existing-gsid"
    )
    assert gainsight.calls() == [
        ("POST", SEARCH_URL, search_body("Acme")),
        ("PUT", UPDATE_URL, {"records": [{"Name": "Acme", "Stage": "Live"}]}),
    ]
    assert gainsight.update.calls.last.request.url.params["keys"] == "Name"


@pytest.mark.parametrize(("access_key", "header"), [(ACCESS_KEY, ACCESS_KEY), (987, "987")])
async def test_group_sends_access_key_and_json_content_type_to_gainsight(gainsight, access_key, header):
    await run_group(group_message({"name": "Acme"}), accessKey=access_key)
    for call in gainsight.mock.calls:
        assert call.request.headers["accesskey"] == header
        assert call.request.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("email", "gsid"),
    [("user@acme.com", GSID), ("x@y.z", 42), ({"odd": "email"}, "g")],
    ids=["string", "numeric-gsid", "raw-email-object"],
)
async def test_group_ends_with_a_person_put_linking_the_email_to_the_gsid(gainsight, email, gsid):
    gainsight.gsid = gsid
    message = group_message({"name": "Acme"}, email=email)
    assert await run_group(message) == person_put(email=email, gsid=gsid)


async def test_group_refuses_a_domain_that_is_more_than_a_host_before_any_call(gainsight):
    odd = "d.example:8443/tenant"  # a 400 for every event type; group must not call it
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        route = mock.route().respond(200, json=gainsight_answer([]))
        with pytest.raises(ConfigurationError) as refused:
            await run_group(group_message({"name": "Acme"}), domain=odd)
    assert (
        str(refused.value)
        == f"domain must be a host name without a path: write 'd.example:8443', not '{odd}'"
    )
    assert not route.called


# ---------------------------------------------------------------------------------------------
# Through the HTTP app (processor and router routes)
# ---------------------------------------------------------------------------------------------


def test_group_processor_answer_is_the_whole_person_put(client, gainsight):
    traits = {"name": "Kramerica Industries", "industry": "Sports", "employees": "", "plan": "x"}
    (answer,) = post_processor(client, [element(group_message(traits))])
    body = {"Email": USER_EMAIL, "companies": [{"Company_ID": GSID}]}
    assert answer == success(rest_output("PUT", PEOPLE_URL, PERSON_HEADERS, body))
    assert gainsight.calls() == [
        ("POST", SEARCH_URL, search_body("Kramerica Industries")),
        (
            "POST",
            COMPANY_URL,
            {"records": [{"Name": "Kramerica Industries", "Employees": 0, "Industry": "Sports"}]},
        ),
    ]


def test_group_processor_updates_existing_company_with_mapped_custom_fields(client, gainsight):
    gainsight.existing = [{"Name": "Acme", "Gsid": "old"}]
    gainsight.gsid = "old"
    traits = {"name": "Acme", "plan": "gold", "summary": {"k": 1}}
    cfg = config(companyMap=rows(("plan", "Plan__gc")))
    (answer,) = post_processor(client, [element(group_message(traits), cfg)])
    body = {"Email": USER_EMAIL, "companies": [{"Company_ID": "old"}]}
    assert answer == success(rest_output("PUT", PEOPLE_URL, PERSON_HEADERS, body))
    assert gainsight.calls() == [
        ("POST", SEARCH_URL, search_body("Acme")),
        ("PUT", UPDATE_URL, {"records": [{"Name": "Acme", "Summary": '{"k":1}', "Plan__gc": "gold"}]}),
    ]


def test_group_processor_handles_several_group_events_in_input_order(client, gainsight):
    names = ["A", "B", "C"]
    elements = [element(group_message({"name": n}, email=f"{n}@x.com")) for n in names]
    answers = post_processor(client, elements)
    assert [a["output"]["body"]["JSON"]["Email"] for a in answers] == ["A@x.com", "B@x.com", "C@x.com"]
    # One tenant's names are searched together (operator IN) and created in one batch.
    assert sorted(name for _, url, body in gainsight.calls() if url == SEARCH_URL
                  for name in body["where"]["conditions"][0]["value"]) == names  # fmt: skip


def test_group_router_answer_has_batched_request_without_user_id(client, gainsight):
    item = element(group_message({"name": "Acme"}))
    response = client.post("/routerTransform", json={"input": [item], "destType": "gainsight"})
    assert response.status_code == 200
    body = {"Email": USER_EMAIL, "companies": [{"Company_ID": GSID}]}
    batched = rest_output("PUT", PEOPLE_URL, PERSON_HEADERS, body)
    del batched["userId"]
    assert response.json() == {
        "output": [
            {
                "batchedRequest": batched,
                "metadata": [item["metadata"]],
                "batched": False,
                "statusCode": 200,
                "destination": item["destination"],
            }
        ]
    }
    assert [method for method, _, _ in gainsight.calls()] == ["POST", "POST"]
