"""Sample TOS workbooks for demos and tests: `python -m services.tos.sample DIR [--every 1]`.

`CleanData.xlsm` holds the original `LiveData` sheet (A1:N13, with a loading row, an index
without bid/ask and a bond in 32nds), the README's `Futures` sheet (A1:M12) and, lower on
`LiveData`, a TOS watchlist-export block (A20:P24) whose formulas point at the Symbol column.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from services.tos.xlsx import Rtd, save_like_excel, workbook_bytes

HEADERS = ("Type", "Symbol", "Description", "Close", "Open", "NetChange", "24High", "24Low",
           "Volume", "Bid", "Last", "Ask", "BidSize", "AskSize")  # fmt: skip
TOPICS = ("CLOSE", "OPEN", "NET_CHANGE", "HIGH", "LOW", "VOLUME", "BID", "LAST", "ASK",
          "BID_SIZE", "ASK_SIZE")  # fmt: skip
NA = "N/A"
INSTRUMENTS = (
    ("Futures", "YM", "E-mini Dow ($5)", "/YM:XCBT"),
    ("Futures", "ES", "E-mini S&P 500", "/ES:XCME"),
    ("Futures", "NQ", "E-mini Nasdaq-100", "/NQ:XCME"),
    ("Futures", "RTY", "E-mini Russell 2000", "/RTY:XCME"),
    ("Futures", "CL", "Crude Oil", "/CL:XNYM"),
    ("Futures", "SI", "Silver", "/SI:XCEC"),
    ("Futures", "HG", "Copper", "/HG:XCEC"),
    ("Futures", "GC", "Gold", "/GC:XCEC"),
    ("Futures", "VX", "VIX Futures", "/VX:XCBF"),
    ("Index", "$DXY", "US Dollar Index", "$DXY"),
    ("Futures", "ZB", "30-Year T-Bond", "/ZB:XCBT"),
)
"""Type, root (column B), description, and the TOS symbol the formulas ask for."""

# One cached value per TOPICS entry, as TOS returns them: HG's OPEN is 0 just after a session
# reset, the index has no bid/ask/sizes/volume (N/A), the bond is quoted in 32nds.
VALUES = {
    "YM": (47650, 47700, 93, 47810, 47590, 98765, 47742, 47743, 47744, 3, 5),
    "ES": (6850.5, 6852.25, 6.75, 6861.75, 6845.0, 1234567, 6857.0, 6857.25, 6857.5, 12, 15),
    "NQ": (25480.25, 25490.0, 32.25, 25560.5, 25470.0, 456789, 25512.25, 25512.5, 25513.0, 2, 4),
    "RTY": (2480.3, 2482.1, -3.4, 2490.0, 2470.2, 123456, 2476.8, 2476.9, 2477.0, 6, 8),
    "CL": (60.12, 60.2, 0.33, 60.61, 59.95, 234567, 60.44, 60.45, 60.46, 10, 12),
    "SI": (48.215, 48.3, 0.12, 48.6, 48.01, 45678, 48.33, 48.335, 48.34, 1, 2),
    "HG": (5.1234, 0, 0.0116, 5.141, 5.1, 34567, 5.1345, 5.135, 5.1355, 3, 3),
    "GC": (4010.3, 4012.0, 15.7, 4031.2, 4005.1, 156789, 4025.9, 4026.0, 4026.1, 4, 6),
    "VX": (17.85, 17.9, -0.25, 18.1, 17.5, 23456, 17.55, 17.6, 17.65, 40, 35),
    "$DXY": (99.585, 99.6, -0.053, 99.71, 99.45, NA, NA, 99.532, NA, NA, NA),
    "ZB": ("117'20", "117'18", "-0'06", "117'24+", "117'08", 245678,
           "117'13", "117'14", "117'15", 210, 187),
}  # fmt: skip
LOADING = ("Futures", "6E", "Euro FX", "/6E:XCME")
"""A row whose formulas were just entered: every cached result is still empty."""

WATCHLIST_HEADERS = ("Symbol", "Description", "Quote Trend", "Last", "Net Chng", "Bid", "BS",
                     "Ask", "AS", "Volume", "Open", "High", "Low", "52High", "52Low",
                     "%Change")  # fmt: skip
WATCHLIST_TOPICS = ("DESCRIPTION", "QUOTE_TREND", "LAST", "NET_CHANGE", "BID", "BID_SIZE",
                    "ASK", "ASK_SIZE", "VOLUME", "OPEN", "HIGH", "LOW", "52HIGH", "52LOW",
                    "PERCENT_CHANGE")  # fmt: skip
# TOS watchlist-export style: text volumes with separators, a "%" change, "-", #N/A, 3-digit 32nds.
WATCHLIST = {
    "SPY": ("SPDR S&P 500 ETF TRUST", "instrument=SPY", 683.12, 4.01, 683.11, 300, 683.13,
            500, 61234567, 680.5, 684.0, 679.9, 689.7, 481.8, "+0.59%"),
    "AAPL": ("APPLE INC", "instrument=AAPL", 268.81, -1.23, 268.8, 100, 268.82, 200,
             "45,678,901", 270.0, 271.2, 267.5, 277.32, 169.21, -0.46),
    "CGC": ("CANOPY GROWTH CORP", "instrument=CGC", 1.52, "-", 1.51, 900, 1.53, 1200,
            "1,234,567", 0, 1.56, 1.49, 4.95, 0.77, "#N/A"),
    "/ZN:XCBT": ("10-Year T-Note", "instrument=/ZN:XCBT", "110'125", "0'02+", "110'12", 500,
                 "110'13", 700, 1345678, "110'10", "110'16", "110'06", "115'00", "108'01", NA),
}  # fmt: skip
WATCHLIST_ROW = 20


def quote_rows(
    overrides: Mapping[str, Mapping[str, Any]] | None = None, server: str = ""
) -> list[list[Any]]:
    """Header + one row per instrument; `overrides` = {"ES": {"LAST": 6858.0}} changes cells."""
    rows: list[list[Any]] = [list(HEADERS)]
    for kind, root, description, tos_symbol in INSTRUMENTS:
        changed = (overrides or {}).get(root, {})
        values = zip(TOPICS, VALUES[root], strict=True)
        cells = [Rtd(topic, tos_symbol, changed.get(topic, v), server) for topic, v in values]
        rows.append([kind, root, description, *cells])
    return rows


def watchlist_rows() -> list[list[Any]]:
    """The watchlist-export block; its formulas take the symbol from column A (`$A21`)."""
    rows: list[list[Any]] = [list(WATCHLIST_HEADERS)]
    for row, (symbol, values) in enumerate(WATCHLIST.items(), start=WATCHLIST_ROW + 1):
        cells = zip(WATCHLIST_TOPICS, values, strict=True)
        rows.append([symbol, *(Rtd(topic, f"$A{row}", value) for topic, value in cells)])
    return rows


def sample_sheets(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, list]:
    """`LiveData` (A1:N13 + the watchlist at A20) and `Futures` (A1:M12, an #N/A cell)."""
    live = quote_rows(overrides)
    kind, root, description, tos_symbol = LOADING
    live.append([kind, root, description, *(Rtd(topic, tos_symbol) for topic in TOPICS)])
    live += [[] for _ in range(WATCHLIST_ROW - len(live) - 1)] + watchlist_rows()
    futures = quote_rows(overrides, server='""')
    futures[9][12] = Rtd("BID_SIZE", "/VX:XCBF", "#N/A", '""')  # TOS not answering this topic
    return {"LiveData": live, "Futures": futures}


def write_sample(
    path: Path,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    saved_at: datetime | None = None,
) -> Path:
    """Write the sample workbook at `path` the way Excel saves (temp file, then rename)."""
    data = workbook_bytes(
        sample_sheets(overrides),
        saved_at or datetime.now(UTC),
        macro=path.suffix.lower() == ".xlsm",
    )
    save_like_excel(path, data)
    return path


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="CleanData.xlsm", show_default=True)
@click.option("--every", type=float, default=0.0, help="Re-save every N seconds, prices moving.")
def main(directory: Path, name: str, every: float) -> None:
    """Write a sample TOS workbook into DIRECTORY (point TOS_WORKBOOK_DIR at it)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = write_sample(directory / name)
    click.echo(f"wrote {path}")
    try:
        while every > 0:
            time.sleep(every)  # a demo stand-in for Excel's periodic save
            write_sample(directory / name, _moved_prices())
    except KeyboardInterrupt:
        pass


def _moved_prices() -> dict[str, dict[str, float]]:
    """A small random move of every numeric LAST, for the `--every` demo."""
    last = TOPICS.index("LAST")
    moves = {}
    for root, values in VALUES.items():
        price = values[last]
        if isinstance(price, float | int):  # not the bond's 32nds text
            moves[root] = {"LAST": round(price * random.uniform(0.999, 1.001), 2)}  # noqa: S311
    return moves


if __name__ == "__main__":
    main()
