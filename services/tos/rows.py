"""A range's cells -> rows (header -> raw value) and the quote payload each row carries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import zip_longest
from typing import Any

from livedata.exceptions import InvalidQuote
from livedata.quotes import NUMBER_FIELDS, build_quote
from services.tos.errors import BadRange
from services.tos.fields import field_for_header, field_for_topic, parse_rtd
from services.tos.reader import Grid
from services.tos.values import json_safe, parse_number, parse_text

SOURCE = "tos_excel"
"""The `source` of every quote read from a workbook."""


@dataclass(frozen=True)
class Column:
    index: int
    label: str
    field: str | None


@dataclass(frozen=True)
class Row:
    """One data row: raw cells by header, and its quote fields (None for blank/loading rows)."""

    raw: dict[str, Any]
    payload: dict[str, Any] | None


def parse_rows(grid: Grid) -> list[Row]:
    """Every non-empty data row of the range; the range's first row names the columns."""
    header = grid.values[0] if grid.values else ()
    columns = _columns(header, grid.formulas[1:])
    if not any(column.field for column in columns):
        raise BadRange("the range's first row holds no known headers (Symbol, Last, Bid, Ask...)")
    rows = []
    for values, formulas in zip_longest(grid.values[1:], grid.formulas[1:], fillvalue=()):
        if any(value is not None for value in values):
            raw = {c.label: json_safe(_at(values, c.index)) for c in columns}
            rows.append(Row(raw, _payload(columns, values, formulas)))
    return rows


def _columns(header: Sequence[Any], formulas: Sequence[Sequence[Any]]) -> list[Column]:
    """Header aliases first; an unknown header falls back to its formulas' RTD topic."""
    columns: list[Column] = []
    for index, title in enumerate(header):
        topic = next((p[0] for p in (parse_rtd(_at(r, index)) for r in formulas) if p), None)
        label = "" if title is None else str(title).strip()
        field = field_for_header(label) or (field_for_topic(topic) if topic else None)
        label = label or topic or ""
        if not label:
            continue
        if any(c.label == label for c in columns):
            label = f"{label} ({index + 1})"
        if any(c.field == field for c in columns):
            field = None  # the first column of a field wins
        columns.append(Column(index, label, field))
    return columns


def _payload(
    columns: Sequence[Column], values: Sequence[Any], formulas: Sequence[Any]
) -> dict[str, Any] | None:
    """Quote fields of a row; None until it has a symbol and at least one number."""
    payload: dict[str, Any] = {}
    for column in columns:
        if column.field in NUMBER_FIELDS:
            payload[column.field] = parse_number(_at(values, column.index), column.field)
        elif column.field == "description":
            payload["description"] = parse_text(_at(values, column.index))
    if all(payload.get(name) is None for name in NUMBER_FIELDS):
        return None  # a loading row: formulas still empty, nothing to publish yet
    symbols = (parse_rtd(f) for f in formulas)
    tos_symbol = next((parsed[1] for parsed in symbols if parsed and parsed[1]), None)
    named = next((c for c in columns if c.field == "symbol"), None)
    symbol = parse_text(_at(values, named.index)) if named else None
    if not (symbol or tos_symbol):
        return None
    payload["symbol"] = symbol or tos_symbol
    if tos_symbol and tos_symbol.upper() != payload["symbol"].upper():
        payload["provider_symbol"] = tos_symbol  # column B says ES, TOS quoted /ES:XCME
    return payload


def _at(row: Sequence[Any], index: int) -> Any:
    return row[index] if index < len(row) else None


def build_quotes(
    rows: Sequence[Row],
    *,
    as_of: datetime,
    aliases: Mapping[str, str] | None = None,
    stale: bool = False,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Contract quotes of the rows that carry one; a row with an unusable symbol is skipped."""
    quotes = []
    for row in rows:
        if row.payload is None:
            continue
        payload = {**row.payload, "timestamp": as_of, "stale": stale}
        try:
            quotes.append(build_quote(payload, source=SOURCE, aliases=aliases, now=now))
        except InvalidQuote:
            continue  # e.g. a note typed in the Symbol column; the raw row still shows it
    return quotes
