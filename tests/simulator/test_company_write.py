"""POST/PUT /v1/data/objects/Company: batch insert, update by keys, all-or-nothing validation."""

from __future__ import annotations

import re

import pytest

from support.simulator_calls import GSID_COMPANY, assert_error, call, insert, ok_data

COMPANY = "/v1/data/objects/Company"


def post(app, body):
    return call(app, "POST", COMPANY, json=body)


def put(app, body, keys="Name"):
    target = COMPANY if keys is None else f"{COMPANY}?keys={keys}"
    return call(app, "PUT", target, json=body)


# -- insert ----------------------------------------------------------------------------------------


def test_insert_assigns_gsids_in_input_order(app, state):
    data = ok_data(post(app, {"records": [{"Name": "A", "Employees": 3}, {"Name": "B"}]}))
    assert data["count"] == 2 and data["errors"] is None
    assert [r["Name"] for r in data["records"]] == ["A", "B"]
    assert data["records"][0]["Employees"] == 3
    assert all(re.fullmatch(GSID_COMPANY, r["Gsid"]) for r in data["records"])
    assert len({r["Gsid"] for r in data["records"]}) == 2
    assert state.snapshot()["companies"] == data["records"]


def test_duplicate_names_are_allowed(app, state):
    insert(app, {"Name": "Dup"})
    insert(app, {"Name": "Dup"}, {"Name": "Dup"})
    assert [c["Name"] for c in state.companies] == ["Dup"] * 3


def test_fifty_records_ok_fifty_one_rejected(app, state):
    assert ok_data(post(app, {"records": [{"Name": f"C{i}"} for i in range(50)]}))["count"] == 50
    assert_error(post(app, {"records": [{"Name": f"D{i}"} for i in range(51)]}), 400, "GSOBJ_1002")
    assert len(state.companies) == 50


@pytest.mark.parametrize("body", [{"records": []}, {}, {"records": {"Name": "A"}}, [{"Name": "A"}], None])
def test_malformed_batches(app, state, body):
    assert_error(post(app, body), 400, "GSOBJ_1002")
    assert state.companies == []


@pytest.mark.parametrize("bad", [{}, {"Name": ""}, {"Name": "  "}, {"Name": None}, {"Name": {"a": 1}}, "A"])
def test_one_invalid_record_fails_the_whole_call(app, state, bad):
    body = assert_error(post(app, {"records": [{"Name": "Good"}, bad]}), 400, "GSOBJ_1002")
    assert body["data"]["records"] is None and body["data"]["count"] == 0
    errors = body["data"]["errors"]
    assert errors[0] == [] and errors[1][0]["success"] is False
    assert state.companies == []


def test_invalid_date_is_gsobj_1006_like_gainsight(app, state):
    body = post(app, {"records": [{"Name": "A", "OriginalContractDate": 210318}]})
    envelope = assert_error(
        body, 400, "GSOBJ_1006", "Invalid dateTimes format (OriginalContractDate = 210318)."
    )
    assert envelope["data"]["errors"] == [
        [
            {
                "success": False,
                "parsedValue": 210318,
                "errors": [
                    {
                        "errorMessage": "Invalid dateTime format",
                        "errorCode": "GSOBJ_1006",
                        "fieldName": "OriginalContractDate",
                        "invalidValue": 210318,
                    }
                ],
            }
        ]
    ]
    assert state.companies == []


@pytest.mark.parametrize(
    "value", [1672531200000, "2022-07-01T06:36:00.000-07:00", "2023-01-01", "03-18-2021", None]
)
def test_valid_dates_are_accepted(app, value):
    ok_data(post(app, {"records": [{"Name": "A", "RenewalDate": value}]}))


def test_read_only_fields_are_dropped_on_insert(app):
    (record,) = insert(app, {"Name": "A", "Gsid": "1P02FORGED", "CreatedDate": 1})
    assert record["Gsid"] != "1P02FORGED" and "CreatedDate" not in record


# -- update ----------------------------------------------------------------------------------------


def test_update_by_name_updates_all_matches_and_answers_first(app, state):
    first, second = insert(app, {"Name": "Dup", "Stage": "old"}, {"Name": "Dup", "Stage": "old"})
    insert(app, {"Name": "Other", "Stage": "old"})
    data = ok_data(put(app, {"records": [{"Name": "Dup", "Stage": "new", "Employees": 9}]}))
    assert data["count"] == 2 and data["errors"] is None
    assert data["records"] == [{"Gsid": first["Gsid"], "Name": "Dup", "Stage": "new", "Employees": 9}]
    assert [c["Stage"] for c in state.companies] == ["new", "new", "old"]
    assert state.companies[1]["Gsid"] == second["Gsid"]


def test_update_with_several_keys_ands_them(app, state):
    insert(app, {"Name": "A", "Industry": "x"}, {"Name": "A", "Industry": "y"})
    data = ok_data(
        put(app, {"records": [{"Name": "A", "Industry": "y", "Stage": "s"}]}, keys="Name, Industry")
    )
    assert data["count"] == 1
    assert [c.get("Stage") for c in state.companies] == [None, "s"]


@pytest.mark.parametrize("keys", [None, "", ",", "A,B,C,D"])
def test_update_keys_are_required_and_at_most_three(app, keys):
    insert(app, {"Name": "A"})
    assert_error(put(app, {"records": [{"Name": "A"}]}, keys=keys), 400, "GSOBJ_1002")


def test_update_without_match_fails_whole_call(app, state):
    insert(app, {"Name": "A", "Stage": "old"})
    body = assert_error(
        put(app, {"records": [{"Name": "A", "Stage": "new"}, {"Name": "Missing", "Stage": "new"}]}),
        400,
        "GSOBJ_1004",
    )
    assert body["data"]["records"] is None
    assert body["data"]["errors"][0] == []
    assert body["data"]["errors"][1][0]["errors"][0]["invalidValue"] == "Missing"
    assert state.companies[0]["Stage"] == "old"


def test_update_record_without_key_field_is_rejected(app, state):
    insert(app, {"Name": "A"})
    assert_error(put(app, {"records": [{"Stage": "s"}]}), 400, "GSOBJ_1002")
    assert_error(put(app, {"records": [{"Name": "A", "RenewalDate": "soon"}]}), 400, "GSOBJ_1006")
    assert state.companies[0] == {"Gsid": state.companies[0]["Gsid"], "Name": "A"}


def test_update_over_fifty_records_is_rejected(app):
    insert(app, {"Name": "A"})
    assert_error(put(app, {"records": [{"Name": "A"}] * 51}), 400, "GSOBJ_1002")


def test_update_by_gsid_key(app, state):
    (company,) = insert(app, {"Name": "A"})
    data = ok_data(put(app, {"records": [{"Gsid": company["Gsid"], "Name": "Renamed"}]}, keys="Gsid"))
    assert data["records"][0] == {"Gsid": company["Gsid"], "Name": "Renamed"}
