from datetime import datetime

import pytest

from services.tos.values import json_safe, parse_32nds, parse_number, parse_text


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "  ",
        "N/A",
        "n/a",
        "#N/A",
        "-",
        "--",
        "Loading",
        "LOADING...",
        "loading",
        "#VALUE!",
        "#REF!",
        "#DIV/0!",
    ],
)
def test_missing_markers_are_null(raw):
    assert parse_number(raw, "last") is None


@pytest.mark.parametrize("field", ["last", "bid", "ask", "open", "high", "low", "close", "mark"])
def test_zero_price_is_not_a_quote(field):
    assert parse_number(0, field) is None
    assert parse_number(0.0, field) is None
    assert parse_number("0", field) is None


@pytest.mark.parametrize("field", ["net_change", "percent_change", "volume", "bid_size"])
def test_zero_is_kept_where_zero_is_real(field):
    assert parse_number(0, field) == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("117'14", 117 + 14 / 32),
        ("-0'06", -6 / 32),
        ("-0'01", -1 / 32),
        ("117'14+", 117 + 14.5 / 32),
        ("110'125", 110 + 12.5 / 32),
        ("110'122", 110 + 12.25 / 32),
        ("110'127", 110 + 12.75 / 32),
        ("117-14", 117 + 14 / 32),
        ("117:14", 117 + 14 / 32),
        ("115'00", 115.0),
    ],
)
def test_treasury_32nds(raw, expected):
    assert parse_32nds(raw) == expected
    assert parse_number(raw, "last") == expected


@pytest.mark.parametrize("raw", ["117'32", "117'1", "117'144", "117'124+", "abc'12", "117"])
def test_not_32nds(raw):
    assert parse_32nds(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234,567", 1234567),
        ("1.25%", 1.25),
        ("+0.59%", 0.59),
        (" 6857.25 ", 6857.25),
        ("-3.4", -3.4),
        (47743, 47743),
        (6857.25, 6857.25),
        (99.531999999999996, 99.532),
    ],
)
def test_numbers_text_and_separators(raw, expected):
    assert parse_number(raw, "volume") == expected


def test_int_and_float_types_survive():
    assert isinstance(parse_number(47743, "last"), int)
    assert isinstance(parse_number("1,234", "volume"), int)
    assert isinstance(parse_number(6857.25, "last"), float)


@pytest.mark.parametrize(
    "raw", ["instrument=CGC", "NaN", "inf", float("nan"), float("inf"), True, datetime(2025, 1, 1)]
)
def test_non_numbers_are_null(raw):
    assert parse_number(raw, "last") is None


def test_text_cells():
    assert parse_text("  E-mini S&P 500 ") == "E-mini S&P 500"
    assert parse_text("N/A") is None
    assert parse_text("#N/A") is None
    assert parse_text(None) is None
    assert parse_text(12) == "12"


def test_json_safe_raw_values():
    assert json_safe(datetime(2025, 10, 24, 14, 33)) == "2025-10-24T14:33:00"
    assert json_safe(float("nan")) is None
    assert json_safe("117'14") == "117'14"
