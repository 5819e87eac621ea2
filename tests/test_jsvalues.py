"""CONTRACT §3.1 and §6: JS truthiness, Number(), String(), JSON.stringify, key order.

Expected values were checked against Node.js; the tests themselves do not need node.
"""

import copy
import math
import pickle
import random

import orjson
import pytest

from gainsight_transformer.jsvalues import (
    MISSING,
    is_array_index,
    is_nan,
    is_truthy,
    js_keys,
    js_trim,
    json_text,
    number_text,
    text,
    to_number,
)

NAN = math.nan
INF = math.inf


def assert_same_number(got, expected):
    """Same Python type and same JS value, telling NaN and the sign of zero apart."""
    assert type(got) is type(expected), (got, expected)
    if isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(got)
        return
    assert got == expected
    if expected == 0:
        assert math.copysign(1, got) == math.copysign(1, expected), (got, expected)


# --- MISSING -----------------------------------------------------------------------


def test_missing_is_a_falsy_singleton_named_missing():
    assert not MISSING
    assert repr(MISSING) == "MISSING"
    assert MISSING is not None
    assert copy.deepcopy(MISSING) is MISSING
    assert pickle.loads(pickle.dumps(MISSING)) is MISSING


# --- truthiness --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [MISSING, None, False, 0, 0.0, -0.0, NAN, ""],
    ids=[
        "missing",
        "null",
        "false",
        "zero",
        "zero-float",
        "negative-zero",
        "nan",
        "empty-string",
    ],
)
def test_falsy_values_are_exactly_the_js_falsy_set(value):
    assert is_truthy(value) is False


@pytest.mark.parametrize(
    "value",
    [True, 1, -1, 0.5, INF, -INF, "0", " ", "false", [], {}, [0], {"a": None}],
    ids=[
        "true",
        "one",
        "minus-one",
        "half",
        "infinity",
        "minus-infinity",
        "string-zero",
        "space",
        "string-false",
        "empty-array",
        "empty-object",
        "array-of-zero",
        "object",
    ],
)
def test_truthy_values_include_string_zero_and_empty_containers(value):
    assert is_truthy(value) is True


# --- trimming ----------------------------------------------------------------------

JS_WHITESPACE = [
    "\t",
    "\n",
    "\x0b",
    "\x0c",
    "\r",
    " ",
    "\xa0",
    "\u1680",
    *(chr(c) for c in range(0x2000, 0x200B)),
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
    "\ufeff",
]


@pytest.mark.parametrize("ws", JS_WHITESPACE, ids=[f"U+{ord(c):04X}" for c in JS_WHITESPACE])
def test_trim_removes_every_js_whitespace_char_from_both_ends(ws):
    assert js_trim(ws + ws + "a" + ws + "b" + ws) == "a" + ws + "b"


@pytest.mark.parametrize(
    "ws",
    ["\x1c", "\x1d", "\x1e", "\x1f", "\x85"],
    ids=["U+001C", "U+001D", "U+001E", "U+001F", "U+0085"],
)
def test_trim_keeps_chars_that_python_strip_would_remove(ws):
    assert (ws + "a" + ws).strip() == "a"  # the difference being guarded against
    assert js_trim(ws + "a" + ws) == ws + "a" + ws


def test_trim_removes_bom_which_python_strip_keeps():
    assert "\ufeffa\ufeff".strip() == "\ufeffa\ufeff"
    assert js_trim("\ufeffa\ufeff") == "a"


# --- Number-to-String --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (-7, "-7"),
        (10.0, "10"),
        (-0.0, "0"),
        (3.7, "3.7"),
        (-2.5, "-2.5"),
        (1e20, "100000000000000000000"),
        (1e16, "10000000000000000"),
        (123.456, "123.456"),
        (0.0001, "0.0001"),
        (0.00001, "0.00001"),
        (0.000001, "0.000001"),
        (1e21, "1e+21"),
        (-1e21, "-1e+21"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (-1.5e-7, "-1.5e-7"),
        (1.5e300, "1.5e+300"),
        (orjson.loads("123456789012345678901234567890"), "1.2345678901234568e+29"),
        (0.1 + 0.2, "0.30000000000000004"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (2.0**53, "9007199254740992"),
        (2.0**53 + 2, "9007199254740994"),
        (12345678901234567890.0, "12345678901234567000"),
        (NAN, "NaN"),
        (INF, "Infinity"),
        (-INF, "-Infinity"),
    ],
)
def test_number_text_follows_ecmascript_number_to_string(value, expected):
    assert number_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2**53 - 1, "9007199254740991"),
        (2**53 + 1, "9007199254740992"),
        (12345678901234567890, "12345678901234567000"),
        (-12345678901234567890, "-12345678901234567000"),
        (10**21, "1e+21"),
        (10**400, "Infinity"),
        (-(10**400), "-Infinity"),
    ],
)
def test_number_text_rounds_big_ints_to_doubles_like_js(value, expected):
    assert number_text(value) == expected


# --- String(v) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("as is ", "as is "),
        ("", ""),
        (5, "5"),
        (10.0, "10"),
        (1e21, "1e+21"),
        (NAN, "NaN"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (MISSING, "undefined"),
        ([], ""),
        ([1, "a", True], "1,a,true"),
        ([None, MISSING, 1], ",,1"),
        ([1, [2, [3, None]], "x"], "1,2,3,,x"),
        ([[None], 1], ",1"),
        ({}, "[object Object]"),
        ({"a": 1}, "[object Object]"),
        ([{"a": 1}, {}], "[object Object],[object Object]"),
    ],
)
def test_text_matches_js_string_conversion(value, expected):
    assert text(value) == expected


# --- Number(v) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (" 42 ", 42),
        ("\ufeff\u3000\n7\xa0", 7),
        (".5", 0.5),
        ("5.", 5),
        ("+5", 5),
        ("-5", -5),
        ("1e3", 1000),
        ("1E-2", 0.01),
        ("+.5e-3", 0.0005),
        ("1.50", 1.5),
        ("00012", 12),
        ("100", 100),
        ("", 0),
        ("  ", 0),
        ("-0", -0.0),
        ("-.0", -0.0),
        ("0.0", 0),
        ("9007199254740993", 9007199254740992.0),
        ("12345678901234567890", 12345678901234567000.0),
        ("0x10", 16),
        ("0X1f", 31),
        ("0o17", 15),
        ("0O7", 7),
        ("0b101", 5),
        ("0B1", 1),
        ("0x" + "f" * 20, float(16**20 - 1)),
        ("0x" + "f" * 300, INF),
        ("Infinity", INF),
        ("+Infinity", INF),
        ("-Infinity", -INF),
        ("1e1000", INF),
        ("-1e1000", -INF),
        ("1e-1000", 0),
    ],
)
def test_to_number_accepts_js_numeric_strings(value, expected):
    assert_same_number(to_number(value), expected)


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "12abc",
        "1,000",
        "1_000",
        "-0x10",
        "+0x10",
        "infinity",
        "INFINITY",
        "inf",
        "nan",
        "NaN",
        "0x",
        "0b2",
        "0o8",
        ".",
        "e5",
        "1e",
        "1e+",
        "+-1",
        "1 2",
        "\x1c7",
        "7\x85",
        "\u0663",
        "١٢",
    ],
)
def test_to_number_rejects_non_js_numeric_strings_as_nan(value):
    assert is_nan(to_number(value))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([], 0),
        ([5], 5),
        (["7"], 7),
        ([[3]], 3),
        ([None], 0),
        ([" 8 "], 8),
        ([1.5], 1.5),
        ([1, 2], NAN),
        ([True], NAN),
        ([{}], NAN),
    ],
)
def test_to_number_converts_arrays_through_their_text(value, expected):
    assert_same_number(to_number(value), expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, 1),
        (False, 0),
        (3.7, 3.7),
        (-2, -2),
        (10.0, 10.0),
        (-0.0, -0.0),
        (INF, INF),
        ({}, NAN),
        ({"a": 1}, NAN),
    ],
)
def test_to_number_keeps_numbers_and_maps_booleans_and_objects(value, expected):
    assert_same_number(to_number(value), expected)


def test_to_number_of_null_and_missing_follows_js():
    assert_same_number(to_number(None), 0)
    assert is_nan(to_number(MISSING))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (NAN, True),
        (0.0, False),
        (INF, False),
        ("NaN", False),
        (None, False),
        (MISSING, False),
    ],
)
def test_is_nan_is_true_only_for_a_float_nan(value, expected):
    assert is_nan(value) is expected


# --- key order ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("0", True),
        ("1", True),
        ("10", True),
        ("4294967294", True),
        ("4294967295", False),
        ("99999999999", False),
        ("01", False),
        ("00", False),
        ("-1", False),
        ("+1", False),
        ("1.0", False),
        ("1e2", False),
        (" 1", False),
        ("", False),
        ("\u0663", False),
        ("\xb2", False),
    ],
)
def test_array_index_keys_are_canonical_decimals_up_to_4294967294(key, expected):
    assert is_array_index(key) is expected


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"b": 1, "a": 2}, ["b", "a"]),
        ({"city": "X", "2": 1}, ["2", "city"]),
        (
            {
                "a": 0,
                "10": 1,
                "9": 2,
                "01": 3,
                "-1": 4,
                "4294967295": 5,
                "0": 6,
                "4294967294": 7,
                "": 8,
            },
            ["0", "9", "10", "4294967294", "a", "01", "-1", "4294967295", ""],
        ),
        ({"1x": 1, "z": 2}, ["1x", "z"]),
        ({}, []),
    ],
)
def test_js_keys_puts_array_indexes_first_ascending_then_insertion_order(obj, expected):
    assert js_keys(obj) == expected


# --- JSON.stringify ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, "5"),
        (1.5, "1.5"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        ("a", '"a"'),
        ([1, "a"], '[1,"a"]'),
        ({"b": 1, "a": [1, {"c": None}]}, '{"b":1,"a":[1,{"c":null}]}'),
        ({"city": "X", "2": 1}, '{"2":1,"city":"X"}'),
        ({"x": {"10": 0, "1": 1}}, '{"x":{"1":1,"10":0}}'),
        ([], "[]"),
        ({}, "{}"),
    ],
)
def test_json_text_is_compact_with_js_key_order(value, expected):
    assert json_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10.0, "10"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (12345678901234567890, "12345678901234567000"),
        ([NAN, INF, -INF], "[null,null,null]"),
        ({"age": 10.0, "n": NAN}, '{"age":10,"n":null}'),
    ],
)
def test_json_text_formats_numbers_like_js_and_non_finite_as_null(value, expected):
    assert json_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("\b\f\n\r\t", r'"\b\f\n\r\t"'),
        ("\x00\x01\x0b\x1f", r'"\u0000\u0001\u000b\u001f"'),
        ("\x7f", '"\x7f"'),
        ('"\\', r'"\"\\"'),
        ("a/b", '"a/b"'),
    ],
)
def test_json_text_escapes_control_chars_with_short_forms_or_lowercase_hex(value, expected):
    assert json_text(value) == expected


@pytest.mark.parametrize(
    "value",
    ["é", "日本", "😀", "\u2028\u2029", "\ufeff"],
    ids=["latin", "cjk", "emoji", "line-separators", "bom"],
)
def test_json_text_emits_non_ascii_as_is(value):
    assert json_text(value) == '"' + value + '"'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("\ud800", r'"\ud800"'),
        ("a\udc00b", r'"a\udc00b"'),
        ("\ude00\ud83d", r'"\ude00\ud83d"'),
        ("é\udfff", '"é\\udfff"'),
        ("\ud83d\ude00", '"😀"'),
        ({"\ud800k": "\n"}, '{"\\ud800k":"\\n"}'),
    ],
    ids=[
        "lone-high",
        "lone-low",
        "reversed-pair",
        "after-non-ascii",
        "split-pair-is-one-char",
        "in-key",
    ],
)
def test_json_text_escapes_lone_surrogates_in_lowercase_hex(value, expected):
    assert json_text(value) == expected


def test_json_text_skips_missing_object_values_and_nulls_missing_array_items():
    assert json_text({"a": MISSING, "b": 1, "c": None}) == '{"b":1,"c":null}'
    assert json_text([MISSING, 1]) == "[null,1]"


def test_json_text_of_top_level_missing_raises():
    with pytest.raises(ValueError):
        json_text(MISSING)


def test_flat_objects_take_orjson_and_give_the_same_text_as_the_walk() -> None:
    from gainsight_transformer.jsvalues import _flat_object_text, _json

    code_points = [*range(0x800), 0x2028, 0x2029, 0xFEFF, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF]
    for cp in code_points:
        value = {"k": "a" + chr(cp) + "b", chr(cp) if cp > 0x39 or cp < 0x30 else "x": cp % 2 == 0}
        assert _flat_object_text(value) == _json(value), hex(cp)
    rng = random.Random(5)
    atoms = ["", "q\"uote", "\\", "\n\t\x00\x1f\x7f", "Zoë", "😀", None, True, False, 0, -1,
             2**53 - 1, -(2**53) + 1, "\ud800", 2**53, 1.5, [], {}]  # fmt: skip
    keys = ["a", "", "b.c", "0", "01", "x1", "Ω", "😀", "-1", " 1"]
    taken = 0
    for _ in range(3000):
        value = {rng.choice(keys): rng.choice(atoms) for _ in range(rng.randrange(5))}
        flat = _flat_object_text(value)
        taken += flat is not None
        assert flat is None or flat == _json(value), value
        assert json_text(value) == _json(value)
    assert taken > 500  # the fast way is taken, not only declined
