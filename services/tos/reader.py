"""Workbook bytes -> the cached values and formula text of one range (pure: no Redis)."""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from services.tos.errors import UnknownSheet, UnreadableWorkbook, WorkbookTooLarge
from services.tos.ranges import Bounds

MAX_BYTES = 100 * 1024 * 1024
"""Largest workbook read; a quote sheet is kilobytes, a history sheet beside it megabytes."""

MODIFIED = re.compile(r"<(?:\w+:)?modified\b[^>]*>([^<]{1,64})</(?:\w+:)?modified>")
MAX_CORE_BYTES = 64 * 1024

# What a truncated, torn or non-workbook file raises inside zipfile/openpyxl (measured).
READ_ERRORS = (
    zipfile.BadZipFile, zlib.error, KeyError, EOFError, OSError, ValueError, ParseError,
    InvalidFileException,
)  # fmt: skip


@dataclass(frozen=True)
class Grid:
    """One range of one sheet: Excel's cached values and the formula text, row by row."""

    values: list[tuple[Any, ...]]
    formulas: list[tuple[Any, ...]]
    saved_at: datetime | None
    """When Excel last saved (document properties, UTC); None when the file has none."""


def signature(stat: os.stat_result) -> tuple[int, ...]:
    """What changes when a file is rewritten or replaced (Excel renames a temp file over it)."""
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def read_file(path: Path, max_bytes: int = MAX_BYTES) -> tuple[bytes, os.stat_result]:
    """The whole file, read at once and closed before parsing so Excel's save is never blocked."""
    before = path.stat()
    if before.st_size > max_bytes:
        raise WorkbookTooLarge(f"workbook is {before.st_size} bytes; at most {max_bytes}")
    data = path.read_bytes()
    after = path.stat()
    if signature(before) != signature(after) or len(data) != after.st_size:
        raise UnreadableWorkbook("workbook changed while being read (Excel is saving)")
    return data, after


def load_range(data: bytes, sheet: str, bounds: Bounds) -> Grid:
    """Cached values (what TOS last sent) and formulas (which symbol each cell asked for)."""
    values = _load(data, sheet, bounds, data_only=True)
    formulas = _load(data, sheet, bounds, data_only=False)
    return Grid(values, formulas, saved_time(data))


def _load(data: bytes, sheet: str, bounds: Bounds, data_only: bool) -> list[tuple[Any, ...]]:
    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=data_only)
    except READ_ERRORS as exc:
        raise _unreadable(exc) from None
    try:
        worksheet = _sheet(workbook, sheet)
        rows = worksheet.iter_rows(
            min_row=bounds.min_row, max_row=bounds.max_row,
            min_col=bounds.min_col, max_col=bounds.max_col, values_only=True,
        )  # fmt: skip
        return [tuple(row) for row in rows]
    except READ_ERRORS as exc:
        raise _unreadable(exc) from None
    finally:
        workbook.close()


def saved_time(data: bytes) -> datetime | None:
    """`dcterms:modified` of docProps/core.xml: when Excel last saved; None when absent.

    Read here rather than from openpyxl, which reports "now" when the property is missing;
    a pattern, not an XML parser, because the part is one short line written by Excel.
    """
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            core = archive.read("docProps/core.xml")[:MAX_CORE_BYTES]
        found = MODIFIED.search(core.decode("utf-8", "replace"))
        stamp = datetime.fromisoformat(found[1].strip()) if found else None
    except READ_ERRORS:
        return None
    if stamp is not None and stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)  # W3CDTF in core.xml is UTC
    return stamp


def _unreadable(exc: Exception) -> UnreadableWorkbook:
    kind = "zlib.error" if isinstance(exc, zlib.error) else type(exc).__name__
    return UnreadableWorkbook(f"not a readable workbook ({kind}); is it an Excel file?")


def _sheet(workbook: Any, name: str) -> Any:
    """The worksheet called `name`, matched as Excel does (case-insensitive); no chart sheets."""
    sheets = {ws.title.casefold(): ws for ws in workbook.worksheets}
    found = sheets.get(name.casefold())
    if found is None:
        names = ", ".join(ws.title for ws in workbook.worksheets)[:300]
        raise UnknownSheet(f"sheet {name[:40]!r} not found; the workbook has: {names}")
    return found


def check_sheet_name(name: object) -> str:
    """A name Excel could have given a sheet (1-31 characters, none of `[]:*?/\\`)."""
    if not isinstance(name, str) or not name.strip():
        raise UnknownSheet("sheet_name is required, e.g. LiveData")
    if len(name) > 31 or any(ch in "[]:*?/\\" or ord(ch) < 32 for ch in name):
        raise UnknownSheet(f"sheet_name {name[:40]!r} is not a valid Excel sheet name")
    return name
