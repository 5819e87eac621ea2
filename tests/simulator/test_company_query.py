"""POST /v1/data/objects/query/Company: conditions, expressions, projection, paging, no-data answers."""

from __future__ import annotations

import pytest

from gainsight_simulator import GainsightState, SimulatorApp, SimulatorOptions
from support.simulator_calls import assert_error, call, insert, name_query, ok_data

QUERY = "/v1/data/objects/query/Company"


def query(app, body):
    return call(app, "POST", QUERY, json=body)


def test_eq_returns_selected_fields_plus_gsid(app):
    (acme,) = insert(app, {"Name": "Acme", "Industry": "Tools", "Employees": 5})
    insert(app, {"Name": "Other"})
    records = ok_data(query(app, name_query("Acme", select=("Name", "Industry", "Arr"))))["records"]
    assert records == [{"Name": "Acme", "Industry": "Tools", "Arr": None, "Gsid": acme["Gsid"]}]


def test_no_match_is_gsobj_1011_by_default(app):
    insert(app, {"Name": "Acme"})
    body = assert_error(query(app, name_query("acme")), 400, "GSOBJ_1011", "No data found for given criteria")
    assert body["data"] is None


def test_no_match_as_empty_records_when_configured(clock):
    app = SimulatorApp(GainsightState(SimulatorOptions(no_data_as_empty=True), clock=clock))
    assert ok_data(query(app, name_query("Nobody"))) == {"records": []}


def test_duplicates_are_all_returned_in_storage_order(app):
    first, second = insert(app, {"Name": "Dup"}, {"Name": "Dup"})
    records = ok_data(query(app, name_query("Dup")))["records"]
    assert [r["Gsid"] for r in records] == [first["Gsid"], second["Gsid"]]


def test_in_operator(app):
    insert(app, {"Name": "A"}, {"Name": "B"}, {"Name": "C"})
    records = ok_data(query(app, name_query("A", "C", "Z", operator="IN")))["records"]
    assert [r["Name"] for r in records] == ["A", "C"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [("A AND B", ["A1"]), ("A OR B", ["A1", "A2", "B1"]), ("a_1 and b", None), ("(A OR B) AND C", ["A2"])],
)
def test_expressions(app, expression, expected):
    insert(
        app,
        {"Name": "A1", "Industry": "x", "Stage": "s"},
        {"Name": "A2", "Industry": "y", "Stage": "t"},
        {"Name": "B1", "Industry": "x", "Stage": "s"},
    )
    conditions = [
        {"name": "Name", "alias": "A", "value": ["A1", "A2"], "operator": "IN"},
        {"name": "Name", "alias": "B", "value": ["A1", "B1"], "operator": "IN"},
        {"name": "Stage", "alias": "C", "value": ["t"], "operator": "EQ"},
    ]
    body = {"select": ["Name"], "where": {"conditions": conditions, "expression": expression}}
    if expected is None:
        assert_error(query(app, body), 400, "GSOBJ_1002")
    else:
        assert [r["Name"] for r in ok_data(query(app, body))["records"]] == expected


def test_condition_on_another_field(app):
    insert(app, {"Name": "A", "Industry": "Tools"}, {"Name": "B", "Industry": "Food"})
    body = {
        "select": ["Name"],
        "where": {"conditions": [{"name": "Industry", "alias": "X", "value": ["Food"], "operator": "EQ"}]},
    }
    assert ok_data(query(app, body))["records"][0]["Name"] == "B"


def test_eq_is_case_sensitive_and_coerces_numbers(app):
    insert(app, {"Name": "Acme"}, {"Name": "123"})
    assert_error(query(app, name_query("ACME")), 400, "GSOBJ_1011")
    assert ok_data(query(app, name_query(123)))["records"][0]["Name"] == "123"


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("NE", ["Acme"], ["Beta"]),
        ("CONTAINS", ["cm"], ["Acme"]),
        ("STARTS_WITH", ["Be"], ["Beta"]),
        ("ENDS_WITH", ["me"], ["Acme"]),
        ("IS_NULL", [], ["Beta"]),
        ("IS_NOT_NULL", [], ["Acme"]),
    ],
)
def test_other_operators(app, operator, value, expected):
    insert(app, {"Name": "Acme", "Stage": "s"}, {"Name": "Beta"})
    field = "Stage" if operator.startswith("IS_") else "Name"
    body = {
        "select": ["Name"],
        "where": {"conditions": [{"name": field, "alias": "A", "value": value, "operator": operator}]},
    }
    assert [r["Name"] for r in ok_data(query(app, body))["records"]] == expected


def test_limit_offset_and_default_limit(app, state):
    for index in range(5001):
        state.add_company({"Name": "Same", "Index": index})
    records = ok_data(query(app, name_query("Same")))["records"]
    assert len(records) == 5000
    page = ok_data(query(app, name_query("Same", select=("Index",), limit=2, offset=4999)))["records"]
    assert [r["Index"] for r in page] == [4999, 5000]
    assert_error(query(app, name_query("Same", limit=5001)), 400, "GSOBJ_1002")


def test_no_where_matches_everything(app):
    insert(app, {"Name": "A"}, {"Name": "B"})
    assert len(ok_data(query(app, {"select": ["Name"]}))["records"]) == 2


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"where": name_query("A")["where"]},
        {"select": [], "where": name_query("A")["where"]},
        {"select": "Name"},
        {"select": ["Name"], "where": {"conditions": []}},
        {"select": ["Name"], "where": {"conditions": "A"}},
        name_query("A", operator="LIKE"),
        name_query("A", "B", operator="EQ"),
        name_query(operator="IN"),
        name_query({"nested": 1}),
        {
            "select": ["Name"],
            "where": {"conditions": [{"name": "Name", "alias": "A", "value": "A", "operator": "EQ"}]},
        },
        {**name_query("A"), "where": {**name_query("A")["where"], "expression": "A OR Z"}},
        {**name_query("A"), "where": {**name_query("A")["where"], "expression": "A AND"}},
        {**name_query("A"), "where": {**name_query("A")["where"], "expression": "(A"}},
        {**name_query("A"), "where": {**name_query("A")["where"], "expression": "A; DROP"}},
        name_query("A", limit=0),
        name_query("A", limit="10"),
        name_query("A", offset=-1),
    ],
)
def test_malformed_queries_are_gsobj_1002(app, body):
    insert(app, {"Name": "A"})
    assert_error(query(app, body), 400, "GSOBJ_1002")


def test_malformed_json_is_gsobj_1002(app):
    assert_error(call(app, "POST", QUERY, body=b"not json"), 400, "GSOBJ_1002")
