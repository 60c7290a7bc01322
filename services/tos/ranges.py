"""`A1:N13` -> explicit, validated bounds; openpyxl's own parser accepts too much."""

from __future__ import annotations

import re
from typing import NamedTuple

from openpyxl.utils.cell import column_index_from_string, get_column_letter

from services.tos.errors import BadRange

MAX_CELLS = 20_000
"""Cells one read may cover: a 500-symbol watchlist of 20 columns, not a whole sheet."""

MAX_COLUMN = 16_384  # XFD, Excel's last column
MAX_ROW = 1_048_576
RANGE = re.compile(r"\$?([A-Z]{1,3})\$?(\d{1,7}):\$?([A-Z]{1,3})\$?(\d{1,7})")
EXAMPLE = "a range such as A1:N13 (header row first, top-left to bottom-right)"


class Bounds(NamedTuple):
    """A rectangular range; the first row holds the headers."""

    min_col: int
    min_row: int
    max_col: int
    max_row: int

    @property
    def cells(self) -> int:
        return (self.max_col - self.min_col + 1) * (self.max_row - self.min_row + 1)

    def __str__(self) -> str:
        start = f"{get_column_letter(self.min_col)}{self.min_row}"
        return f"{start}:{get_column_letter(self.max_col)}{self.max_row}"


def parse_range(text: object, max_cells: int = MAX_CELLS) -> Bounds:
    """Parse `A1:N13`; refuse open (`A:M`), reversed, sheet-qualified, huge, off-sheet ranges."""
    if not isinstance(text, str) or not text.strip():
        raise BadRange(f"data_range is required: {EXAMPLE}")
    if "!" in text:
        raise BadRange("data_range must not name a sheet: pass it as sheet_name, e.g. A1:M12")
    match = RANGE.fullmatch(text.strip().upper()) if len(text) <= 40 else None
    if not match:
        raise BadRange(f"data_range {text[:40]!r} is not {EXAMPLE}")
    first_col, first_row, last_col, last_row = match.groups()
    bounds = Bounds(
        column_index_from_string(first_col), int(first_row),
        column_index_from_string(last_col), int(last_row),
    )  # fmt: skip
    _check(bounds, text.strip(), max_cells)
    return bounds


def _check(bounds: Bounds, text: str, max_cells: int) -> None:
    columns, rows = (bounds.min_col, bounds.max_col), (bounds.min_row, bounds.max_row)
    if max(columns) > MAX_COLUMN or max(rows) > MAX_ROW or min(rows) < 1:
        raise BadRange(f"data_range {text!r} lies outside the sheet (last cell is XFD1048576)")
    if bounds.min_col > bounds.max_col or bounds.min_row > bounds.max_row:
        raise BadRange(f"data_range {text!r} is reversed: give the top-left cell first")
    if bounds.min_row == bounds.max_row:
        raise BadRange(f"data_range {text!r} must span a header row and at least one data row")
    if bounds.cells > max_cells:
        raise BadRange(f"data_range {text!r} covers {bounds.cells} cells; at most {max_cells}")
