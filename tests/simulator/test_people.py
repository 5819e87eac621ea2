"""PUT /v1.0/api/people: upsert by Email, merge, company links, validation."""

from __future__ import annotations

import re

import pytest

from support.simulator_calls import assert_error, call, insert, ok_data

PEOPLE = "/v1.0/api/people"


def test_creates_person_with_gsid(app, state):
    person = ok_data(call(app, "PUT", PEOPLE, json={"Email": "ada@example.com", "FirstName": "Ada"}))
    assert re.fullmatch(r"1C01[A-Z0-9]{18}", person["Gsid"])
    assert person == {"Gsid": person["Gsid"], "Email": "ada@example.com", "FirstName": "Ada", "companies": []}
    assert state.snapshot()["persons"] == [person]


def test_upsert_is_keyed_by_email_case_insensitively_and_merges(app, state):
    first = ok_data(call(app, "PUT", PEOPLE, json={"Email": "ada@example.com", "FirstName": "Ada", "Age": 1}))
    second = ok_data(call(app, "PUT", PEOPLE, json={"Email": "ADA@Example.com", "LastName": "L", "Age": 2}))
    assert second["Gsid"] == first["Gsid"]
    assert second["FirstName"] == "Ada" and second["LastName"] == "L" and second["Age"] == 2
    assert len(state.snapshot()["persons"]) == 1


@pytest.mark.parametrize(
    "body",
    [{"FirstName": "x"}, {"Email": ""}, {"Email": "  "}, {"Email": None}, {"Email": 5}, [], "text", None],
)
def test_email_is_required(app, state, body):
    assert_error(call(app, "PUT", PEOPLE, json=body), 400, "GSOBJ_1002")
    assert state.persons == {}


def test_malformed_json_is_400(app, state):
    assert_error(call(app, "PUT", PEOPLE, body=b"{nope"), 400, "GSOBJ_1002")


def test_companies_add_links_without_duplicates(app):
    a, b = insert(app, {"Name": "A"}, {"Name": "B"})
    call(app, "PUT", PEOPLE, json={"Email": "ada@x.io", "companies": [{"Company_ID": a["Gsid"]}]})
    person = ok_data(
        call(
            app,
            "PUT",
            PEOPLE,
            json={"Email": "ada@x.io", "companies": [{"Company_ID": b["Gsid"]}, {"Company_ID": a["Gsid"]}]},
        )
    )
    assert person["companies"] == [{"Company_ID": a["Gsid"]}, {"Company_ID": b["Gsid"]}]
    assert "companies" in person and person["Email"] == "ada@x.io"


@pytest.mark.parametrize("link", [{"Company_ID": "1P02UNKNOWN"}, {}, {"Company_ID": None}, {"Company_ID": 7}])
def test_unknown_company_is_400_and_nothing_is_stored(app, state, link):
    call(app, "PUT", PEOPLE, json={"Email": "ada@x.io", "FirstName": "Ada"})
    response = call(
        app, "PUT", PEOPLE, json={"Email": "ada@x.io", "FirstName": "Changed", "companies": [link]}
    )
    assert_error(response, 400, "GSOBJ_1004")
    assert state.snapshot()["persons"][0]["FirstName"] == "Ada"
    assert_error(call(app, "PUT", PEOPLE, json={"Email": "new@x.io", "companies": [link]}), 400, "GSOBJ_1004")
    assert len(state.persons) == 1


@pytest.mark.parametrize("companies", ["1P02X", {"Company_ID": "x"}, ["1P02X"]])
def test_malformed_companies_is_400(app, companies):
    assert_error(
        call(app, "PUT", PEOPLE, json={"Email": "a@x.io", "companies": companies}), 400, "GSOBJ_1002"
    )


def test_read_only_fields_are_ignored(app):
    first = ok_data(call(app, "PUT", PEOPLE, json={"Email": "a@x.io"}))
    second = ok_data(call(app, "PUT", PEOPLE, json={"Email": "a@x.io", "Gsid": "forged", "CreatedDate": 1}))
    assert second["Gsid"] == first["Gsid"] and "CreatedDate" not in second


def test_peoplemgmt_path_is_the_same_resource(app, state):
    ok_data(call(app, "PUT", "/v1/peoplemgmt/v1.0/people", json={"Email": "a@x.io"}))
    ok_data(call(app, "PUT", PEOPLE, json={"Email": "a@x.io", "Name": "A"}))
    assert len(state.persons) == 1
