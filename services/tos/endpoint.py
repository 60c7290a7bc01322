"""`GET /api/feed/tos/quotes/latest/`: read a workbook range, publish its rows, return both.

Every input is checked before the file is touched: the workbook by name only (see paths.py),
the range by its bounds and cell count, the sheet by Excel's naming rules.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, jsonify, request

from livedata.quotes import to_iso
from livedata.settings import Settings
from services.api.context import bus, settings
from services.api.errors import BadRequest
from services.tos.errors import TosError, UnreadableWorkbook, WorkbookMissing
from services.tos.flight import SingleFlight
from services.tos.paths import resolve_workbook, workbook_name
from services.tos.ranges import Bounds, parse_range
from services.tos.reader import Grid, check_sheet_name, load_range, read_file
from services.tos.rows import SOURCE, build_quotes, parse_rows

bp = Blueprint("tos", __name__)

READ_WAIT = 2.0
"""Seconds a request waits for an identical read already running before answering 409."""
RETRY_PAUSE = 0.05
"""Pause before re-reading a file that vanished or changed mid-read (Excel saving it)."""
CONSUMER = re.compile(r"[A-Za-z0-9._-]{1,64}")
FLIGHTS = SingleFlight(READ_WAIT)


@bp.errorhandler(TosError)
def tos_error(exc: TosError):
    return jsonify(error=str(exc)), exc.status


@bp.get("/api/feed/tos/quotes/latest/")
def latest_quotes():
    """The range's rows and their quotes; each quote is also published on the bus."""
    config = settings()
    consumer = _consumer(request.args.get("consumer", ""))
    name = workbook_name(request.args.get("file_path") or _default_workbook(config))
    sheet = check_sheet_name(request.args.get("sheet_name") or config.tos_sheet)
    bounds = parse_range(request.args.get("data_range") or config.tos_range)
    path = resolve_workbook(name, config.tos_workbook_dir)
    key = (str(path), sheet.casefold(), bounds)
    body = FLIGHTS.run(key, lambda: _read_and_publish(path, name, sheet, bounds, config))
    return jsonify({**body, "consumer": consumer})


def _read_and_publish(path: Path, name: str, sheet: str, bounds: Bounds, config: Settings) -> dict:
    grid, mtime = _read(path, sheet, bounds)
    rows = parse_rows(grid)
    as_of = grid.saved_at or datetime.fromtimestamp(mtime, UTC)
    now = datetime.now(UTC)
    stale = (now - as_of).total_seconds() > config.tos_stale_after
    quotes = build_quotes(rows, as_of=as_of, aliases=config.symbol_aliases, stale=stale, now=now)
    for quote, result in zip(quotes, bus().write_quotes(quotes), strict=True):
        if result.accepted:
            quote["seq"] = result.seq
    return {
        "quotes": quotes,
        "rows": [row.raw for row in rows],
        "count": len(quotes),
        "source": SOURCE,
        "workbook": name,
        "sheet": sheet,
        "range": str(bounds),
        "as_of": to_iso(as_of),
    }


def _read(path: Path, sheet: str, bounds: Bounds, retries: int = 2) -> tuple[Grid, float]:
    """Parse the range; a read caught in Excel's save (file gone or changing) is retried."""
    try:
        data, stat = read_file(path)
        return load_range(data, sheet, bounds), stat.st_mtime
    except (UnreadableWorkbook, FileNotFoundError) as exc:
        if retries == 0:
            if isinstance(exc, FileNotFoundError):
                raise WorkbookMissing(f"workbook {path.name!r} disappeared") from None
            raise
    except OSError as exc:  # permission denied, I/O error on a network share
        raise UnreadableWorkbook(f"cannot read the workbook ({type(exc).__name__})") from None
    time.sleep(RETRY_PAUSE)  # Excel's delete-then-rename takes milliseconds
    return _read(path, sheet, bounds, retries - 1)


def _consumer(raw: str) -> str | None:
    if raw and not CONSUMER.fullmatch(raw):
        raise BadRequest("consumer must be 1-64 characters of A-Z a-z 0-9 . _ -")
    return raw or None


def _default_workbook(config: Settings) -> str:
    if not config.tos_workbooks:
        raise BadRequest("file_path is required: a workbook name such as CleanData.xlsm")
    return config.tos_workbooks[0]
