"""Write workbooks whose RTD cells hold both the formula and its cached value, as Excel saves.

openpyxl writes formulas with an empty `<v/>`: a reader using `data_only=True` would see None
everywhere. So the package is written with openpyxl, then each formula cell's XML is rewritten
with the value (and the `t` type) Excel would have cached, and docProps gets the save time.
"""

from __future__ import annotations

import os
import re
import secrets
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook

from services.tos.values import EXCEL_ERRORS

XLSM_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
FORMULA_CELL = re.compile(r'<c r="([A-Z]+\d+)"([^>]*)><f>(.*?)</f><v\s*/></c>')
MODIFIED = re.compile(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


@dataclass(frozen=True)
class Rtd:
    """An `=RTD("tos.rtd",,topic,symbol)` cell and what Excel cached (None: still loading)."""

    topic: str
    symbol: str
    cached: Any = None
    server: str = ""  # `""` spells the empty server argument as `,"",` (both occur in sheets)

    @property
    def formula(self) -> str:
        is_ref = re.fullmatch(r"\$?[A-Z]+\$?\d+", self.symbol)
        symbol = self.symbol if is_ref else f'"{self.symbol}"'
        return f'RTD("tos.rtd",{self.server},"{self.topic}",{symbol})'


def workbook_bytes(
    sheets: Mapping[str, Sequence[Sequence[Any]]], saved_at: datetime, macro: bool = True
) -> bytes:
    """An .xlsm (or .xlsx) package of `sheets` (name -> rows of values or Rtd cells)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    cached: dict[tuple[int, str], Any] = {}
    for number, (name, rows) in enumerate(sheets.items(), start=1):
        sheet = workbook.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(r, c, "=" + value.formula if isinstance(value, Rtd) else value)
                if isinstance(value, Rtd):
                    cached[(number, cell.coordinate)] = value.cached
    buffer = BytesIO()
    workbook.save(buffer)
    return _as_excel_saved(buffer.getvalue(), cached, saved_at, macro)


def _as_excel_saved(package: bytes, cached: dict, saved_at: datetime, macro: bool) -> bytes:
    stamp = saved_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(package)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            text = src.read(item.filename).decode("utf-8")
            sheet = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            if sheet:
                values = {ref: v for (n, ref), v in cached.items() if n == int(sheet[1])}
                text = FORMULA_CELL.sub(partial(_cell, values), text)
            elif item.filename == "docProps/core.xml":
                text = MODIFIED.sub(rf"\g<1>{stamp}\g<2>", text)
            elif item.filename == "[Content_Types].xml" and macro:
                text = text.replace(XLSX_TYPE, XLSM_TYPE)
            dst.writestr(item.filename, text, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _cell(values: Mapping[str, Any], match: re.Match) -> str:
    """The `<c>` element Excel writes for a formula, with its last result from `values`."""
    ref, attrs, formula = match[1], match[2], match[3]
    value = values.get(ref)
    if value is None:
        kind, text = "str", ""  # RTD still loading: an empty-string result
    elif isinstance(value, str):
        kind, text = ("e" if value in EXCEL_ERRORS else "str"), escape(value)
    elif isinstance(value, float):
        kind, text = "", format(value, ".17g")  # Excel keeps 17 digits: 99.531999999999996
    else:
        kind, text = "", str(value)
    type_attr = f' t="{kind}"' if kind else ""
    return f'<c r="{ref}"{attrs}{type_attr}><f>{formula}</f><v>{text}</v></c>'


def save_like_excel(path: Path, data: bytes) -> None:
    """Write a temp file beside `path`, delete the original, rename the temp (Excel's save)."""
    temp = path.with_name(secrets.token_hex(4).upper())
    temp.write_bytes(data)
    path.unlink(missing_ok=True)
    os.rename(temp, path)
