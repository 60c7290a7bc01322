import pytest

from services.tos.errors import BadRange
from services.tos.ranges import MAX_CELLS, Bounds, parse_range


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("A1:N13", Bounds(1, 1, 14, 13)),
        ("A1:M12", Bounds(1, 1, 13, 12)),
        ("a20:p24", Bounds(1, 20, 16, 24)),
        ("$A$1:$M$12", Bounds(1, 1, 13, 12)),
        (" A1:B2 ", Bounds(1, 1, 2, 2)),
    ],
)
def test_good_ranges(text, bounds):
    assert parse_range(text) == bounds


def test_bounds_print_as_a_range():
    assert str(parse_range("$a$1:m12")) == "A1:M12"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("M12:A1", "reversed"),
        ("N1:A13", "reversed"),
        ("A:M", "not a range"),
        ("1:12", "not a range"),
        ("XFE1", "not a range"),
        ("XFE1:XFE2", "outside the sheet"),
        ("A1:B1048577", "outside the sheet"),
        ("A0:B2", "outside the sheet"),
        ("A1:ZZ100000", "cells"),
        ("Futures!A1:M12", "sheet"),
        ("", "required"),
        ("A1", "not a range"),
        ("A1:N1", "header row and at least one data row"),
        ("A1:N13;DROP", "not a range"),
        ("A1:N13" * 20, "not a range"),
    ],
)
def test_bad_ranges(text, says):
    with pytest.raises(BadRange, match=says):
        parse_range(text)


def test_cell_cap():
    assert parse_range("A1:T1000").cells == MAX_CELLS
    with pytest.raises(BadRange, match=f"at most {MAX_CELLS}"):
        parse_range("A1:T1001")
