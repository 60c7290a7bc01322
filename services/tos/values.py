"""Cell values as TOS leaves them in Excel -> JSON numbers, text or None."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import Any

from livedata.exceptions import InvalidQuote
from livedata.quotes import to_number

MISSING = frozenset({"", "-", "--", "N/A", "NA", "LOADING", "LOADING..."})
"""Text TOS shows when a topic has no value (yet)."""

EXCEL_ERRORS = frozenset(
    {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#GETTING_DATA",
     "#SPILL!", "#CALC!"}
)  # fmt: skip
"""Error cells (`#N/A` when the RTD server is not running); openpyxl returns their text."""

PRICE_FIELDS = frozenset(
    {"last", "bid", "ask", "open", "high", "low", "close", "mark", "high_52w", "low_52w"}
)
"""Fields where 0 means "not loaded yet" (a session reset), never a real price."""

# Treasury futures in 32nds: 117'14 = 117 + 14/32; a trailing + adds half a 32nd; a third
# digit is CME's eighth of a 32nd (110'125 = 110 + 12.5/32). `-` and `:` separators as thor.
THIRTY_SECONDS = re.compile(r"([+-]?)(\d+)['\-:](\d{2})([0-35-8]?)(\+?)")
EIGHTHS = {"": 0.0, "0": 0.0, "1": 0.125, "2": 0.25, "3": 0.375, "5": 0.5, "6": 0.625,
           "7": 0.75, "8": 0.875}  # fmt: skip


def parse_number(value: Any, field: str = "value") -> int | float | None:
    """A cell value as a JSON number, None when missing, loading, an error or not numeric."""
    if value is None or isinstance(value, bool | datetime | date | time):
        return None
    if isinstance(value, str):
        value = _clean_text(value)
        if value is None:
            return None
        bond = parse_32nds(value)
        if bond is not None:
            return bond
    try:
        number = to_number(value, field)  # also refuses NaN and infinities
    except InvalidQuote:
        return None
    if number == 0 and field in PRICE_FIELDS:
        return None
    return number


def parse_32nds(text: str) -> float | None:
    """`117'14` -> 117.4375, `-0'06` -> -0.1875, `117'14+` -> 117.453125; None if not 32nds."""
    match = THIRTY_SECONDS.fullmatch(text.strip())
    if not match:
        return None
    sign, whole, n32, eighth, plus = match.groups()
    if int(n32) >= 32 or (eighth and plus):
        return None
    fraction = (int(n32) + EIGHTHS[eighth] + (0.5 if plus else 0.0)) / 32
    magnitude = int(whole) + fraction
    return -magnitude if sign == "-" else magnitude


def parse_text(value: Any) -> str | None:
    """A text cell (description), None when missing or an Excel error."""
    if value is None or isinstance(value, bool):
        return None
    return _clean_text(str(value), strip_number=False)


def _clean_text(text: str, strip_number: bool = True) -> str | None:
    text = text.strip()
    upper = text.upper()
    if upper in MISSING or upper in EXCEL_ERRORS or upper.startswith("LOADING"):
        return None
    if strip_number and not THIRTY_SECONDS.fullmatch(text):
        text = text.replace(",", "").removesuffix("%").strip()
    return text or None


def json_safe(value: Any) -> Any:
    """A raw cell value fit for JSON: times as ISO text, non-finite floats as None."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
