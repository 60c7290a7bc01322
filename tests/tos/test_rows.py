from datetime import UTC, datetime

import pytest

from services.tos.errors import BadRange
from services.tos.ranges import parse_range
from services.tos.reader import Grid, load_range
from services.tos.rows import SOURCE, build_quotes, parse_rows
from services.tos.sample import write_sample

SAVED = datetime(2025, 10, 24, 14, 33, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("rows") / "CleanData.xlsm"
    return write_sample(path, saved_at=SAVED).read_bytes()


def _quotes(data, sheet, cells, **kwargs):
    grid = load_range(data, sheet, parse_range(cells))
    rows = parse_rows(grid)
    return rows, {q["symbol"]: q for q in build_quotes(rows, as_of=grid.saved_at, **kwargs)}


def test_livedata_layout_a1_n13(data):
    rows, quotes = _quotes(data, "LiveData", "A1:N13")
    assert len(rows) == 12
    assert list(quotes) == ["YM", "ES", "NQ", "RTY", "CL", "SI", "HG", "GC", "VX", "$DXY", "ZB"]
    es = quotes["ES"]
    assert es == {
        "type": "quote", "symbol": "ES", "bid": 6857, "ask": 6857.5, "last": 6857.25,
        "volume": 1234567, "timestamp": "2025-10-24T14:33:12.000Z", "source": SOURCE,
        "received_at": es["received_at"], "description": "E-mini S&P 500", "close": 6850.5,
        "open": 6852.25, "net_change": 6.75, "high": 6861.75, "low": 6845, "bid_size": 12,
        "ask_size": 15, "provider_symbol": "/ES:XCME", "stale": False,
    }  # fmt: skip


def test_raw_rows_keep_every_header_including_unknown_ones(data):
    rows, _ = _quotes(data, "LiveData", "A1:N13")
    assert rows[1].raw["Type"] == "Futures"
    assert rows[1].raw["24High"] == 6861.75
    assert rows[9].raw["Bid"] == "N/A"  # raw stays as the cell holds it
    assert rows[10].raw["Last"] == "117'14"


def test_index_row_without_bid_or_ask(data):
    _, quotes = _quotes(data, "LiveData", "A1:N13")
    dxy = quotes["$DXY"]
    assert (dxy["bid"], dxy["ask"], dxy["volume"], dxy["bid_size"]) == (None, None, None, None)
    assert dxy["last"] == 99.532
    assert "provider_symbol" not in dxy  # column and formula agree on $DXY


def test_treasury_row_in_32nds(data):
    _, quotes = _quotes(data, "LiveData", "A1:N13")
    zb = quotes["ZB"]
    assert (zb["last"], zb["bid"], zb["ask"]) == (117.4375, 117.40625, 117.46875)
    assert zb["net_change"] == -0.1875
    assert zb["high"] == 117 + 24.5 / 32


def test_zero_open_is_null(data):
    _, quotes = _quotes(data, "LiveData", "A1:N13")
    assert quotes["HG"]["open"] is None and quotes["HG"]["last"] == 5.135


def test_loading_row_is_a_row_but_not_a_quote(data):
    rows, quotes = _quotes(data, "LiveData", "A1:N13")
    assert rows[-1].raw["Symbol"] == "6E" and rows[-1].raw["Last"] is None
    assert rows[-1].payload is None
    assert "6E" not in quotes


def test_readme_futures_range_a1_m12(data):
    rows, quotes = _quotes(data, "Futures", "A1:M12")
    assert len(rows) == len(quotes) == 11
    assert "AskSize" not in rows[0].raw
    assert all("ask_size" not in q for q in quotes.values())
    assert quotes["VX"]["bid_size"] is None  # an #N/A error cell
    assert quotes["NQ"]["provider_symbol"] == "/NQ:XCME"  # the ,"", spelling


def test_watchlist_block_aliases_and_text_values(data):
    rows, quotes = _quotes(data, "LiveData", "A20:P24")
    assert list(quotes) == ["SPY", "AAPL", "CGC", "ZN"]
    spy, aapl, cgc, zn = quotes.values()
    assert (spy["bid_size"], spy["ask_size"], spy["percent_change"]) == (300, 500, 0.59)
    assert (spy["high_52w"], spy["low_52w"], spy["net_change"]) == (689.7, 481.8, 4.01)
    assert aapl["volume"] == 45678901 and aapl["percent_change"] == -0.46
    assert cgc["net_change"] is None and cgc["open"] is None and cgc["percent_change"] is None
    assert zn["last"] == 110 + 12.5 / 32 and zn["provider_symbol"] == "/ZN:XCBT"
    assert "provider_symbol" not in spy  # formulas point at $A21, no symbol of their own
    assert rows[0].raw["Quote Trend"] == "instrument=SPY"


def test_symbol_aliases_and_stale_flag(data):
    _, quotes = _quotes(data, "LiveData", "A1:N13", aliases={"$DXY": "DX"}, stale=True)
    assert quotes["DX"]["provider_symbol"] == "$DXY"
    assert all(q["stale"] for q in quotes.values())


def _grid(header, *rows, formulas=None):
    values = [tuple(header), *map(tuple, rows)]
    return Grid(values, formulas or [tuple(header), *map(tuple, rows)], SAVED)


def test_symbol_from_formulas_when_there_is_no_symbol_column():
    header = ("Name", "Last")
    rows = [("E-mini", 6857.25)]
    formulas = [header, ("E-mini", '=RTD("tos.rtd",,"LAST","/ES:XCME")')]
    [quote] = build_quotes(parse_rows(_grid(header, *rows, formulas=formulas)), as_of=SAVED)
    assert quote["symbol"] == "ES" and quote["provider_symbol"] == "/ES:XCME"


def test_unknown_header_falls_back_to_the_rtd_topic():
    header = ("Symbol", "Px")
    formulas = [header, ("ES", '=RTD("tos.rtd",,"LAST","/ES:XCME")')]
    [quote] = build_quotes(
        parse_rows(_grid(header, ("ES", 6857.25), formulas=formulas)), as_of=SAVED
    )
    assert quote["last"] == 6857.25


def test_a_row_with_an_unusable_symbol_is_skipped():
    rows = parse_rows(_grid(("Symbol", "Last"), ("not a symbol!", 1.0), ("ES", 2.0)))
    assert [q["symbol"] for q in build_quotes(rows, as_of=SAVED)] == ["ES"]
    assert len(rows) == 2


def test_duplicate_headers_keep_both_columns_the_first_wins():
    rows = parse_rows(_grid(("Symbol", "Last", "Last"), ("ES", 1.0, 2.0)))
    assert rows[0].raw == {"Symbol": "ES", "Last": 1.0, "Last (3)": 2.0}
    assert build_quotes(rows, as_of=SAVED)[0]["last"] == 1.0


def test_blank_rows_are_dropped():
    rows = parse_rows(_grid(("Symbol", "Last"), (None, None), ("ES", 1.0)))
    assert len(rows) == 1


@pytest.mark.parametrize("header", [(), (None, None), ("Foo", "Bar")])
def test_a_range_without_known_headers_is_refused(header):
    with pytest.raises(BadRange, match="no known headers"):
        parse_rows(_grid(header, ("ES", 1.0)))
