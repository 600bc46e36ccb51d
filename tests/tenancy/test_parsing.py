"""The one strict parser for ids and whole numbers, the bad-text check and the bounded JSON decoder."""

import pytest

from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import INT64_MAX, bad_text, check_json, is_int, json_loads, parse_int


@pytest.mark.parametrize("raw, expected", [("0", 0), ("42", 42), (" 7 ", 7), ("+3", 3), (5, 5),
                                           (str(INT64_MAX), INT64_MAX)])
def test_parse_int_takes_ascii_digits_and_ints(raw, expected):
    assert parse_int(raw, "id") == expected


@pytest.mark.parametrize("raw", ["²", "١", "٣٤", "1²", "", " ", "1.0", "1e3", "0x10", "abc", "-1", str(2**63),
                                 "11107800874153666412544", "9" * 400, "1\x00", True, False, None, [], {}, 1.0,
                                 2**64, -1])
def test_parse_int_refuses_everything_else_with_a_400(raw):
    with pytest.raises(ApplicationError) as caught:
        parse_int(raw, "id")
    assert caught.value.status == 400
    assert caught.value.code == "invalid"
    assert "id" in caught.value.fields


def test_sign_and_range_only_where_asked():
    assert parse_int("-5", "offset", minimum=-10) == -5
    assert parse_int(-(2**63), "n", minimum=-(2**70)) == -(2**63)  # never below 64 bits, whatever asked
    with pytest.raises(ApplicationError):
        parse_int(-(2**63) - 1, "n", minimum=-(2**70))
    with pytest.raises(ApplicationError):
        parse_int("5", "conversation", strings=False)  # a socket frame's ids are JSON numbers
    assert is_int("12") and not is_int("²") and not is_int(2**64)


@pytest.mark.parametrize("text, bad", [("plain", False), ("中文 émoji 😀", False), ("a\x00b", True),
                                       ("\ud800", True), ("x\udfffy", True)])
def test_bad_text(text, bad):
    assert bad_text(text) is bad


def test_json_depth_is_bounded_without_recursion():
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ApplicationError) as caught:
        json_loads(deep)
    assert caught.value.status == 400
    with pytest.raises(ApplicationError) as caught:
        json_loads("[" * 33 + "]" * 33)
    assert caught.value.code == "too_deep"
    assert json_loads("[" * 32 + "]" * 32)


@pytest.mark.parametrize("doc", ['{"a": "x\\u0000"}', '{"a\\u0000": 1}', '["\\ud800"]', '{"a": {"b": ["\\udc00"]}}'])
def test_json_with_nul_or_lone_surrogate_is_refused(doc):
    with pytest.raises(ApplicationError) as caught:
        json_loads(doc)
    assert caught.value.code == "invalid_characters"


def test_check_json_passes_ordinary_documents_through():
    doc = {"all": [{"field": "tag", "op": "eq", "value": "vip"}], "n": 1, "ok": True, "none": None}
    assert check_json(doc) is doc
    with pytest.raises(ApplicationError):
        json_loads("NaN")
