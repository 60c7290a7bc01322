import pytest

from services.tos.fields import field_for_header, field_for_topic, header_key, parse_rtd


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Symbol", "symbol"), ("TICKER", "symbol"), ("Last", "last"), ("Bid", "bid"),
        ("Ask", "ask"), ("Volume", "volume"), ("Open", "open"), ("24High", "high"),
        ("24Low", "low"), ("High", "high"), ("World High", "high"), ("Close", "close"),
        ("NetChange", "net_change"), ("Net Chng", "net_change"), ("NET_CHANGE", "net_change"),
        ("%Change", "percent_change"), ("% Change", "percent_change"), ("BidSize", "bid_size"),
        ("BS", "bid_size"), ("AS", "ask_size"), ("AskSize", "ask_size"), ("Mark", "mark"),
        ("52High", "high_52w"), ("52 Wk Low", "low_52w"), ("Description", "description"),
    ],
)  # fmt: skip
def test_header_aliases_case_and_space_insensitive(header, field):
    assert field_for_header(header) == field
    assert field_for_header(header.lower()) == field


@pytest.mark.parametrize("header", ["Type", "Quote Trend", "", None, "Notes"])
def test_unknown_headers_map_to_nothing(header):
    assert field_for_header(header) is None


def test_header_key():
    assert header_key(" Net_Chng ") == "netchng"


@pytest.mark.parametrize(
    ("formula", "parsed"),
    [
        ('=RTD("tos.rtd",,"LAST","/ES:XCME")', ("LAST", "/ES:XCME")),
        ('=RTD("tos.rtd","","LAST","/ES:XCME")', ("LAST", "/ES:XCME")),
        ('=RTD("TOS.RTD", , "bid", "$DXY")', ("BID", "$DXY")),
        ('=rtd("tos.rtd",,"LAST",$B2)', ("LAST", None)),
        ('=RTD("tos.rtd",,"ASK",B$12)', ("ASK", None)),
        ('=IFERROR(RTD("tos.rtd",,"LAST","/NQ:XCME"),"")', ("LAST", "/NQ:XCME")),
    ],
)
def test_rtd_formulas(formula, parsed):
    assert parse_rtd(formula) == parsed


@pytest.mark.parametrize(
    "value",
    ["=SUM(A1:A3)", 'RTD("tos.rtd",,"LAST","/ES")', '=RTD("other.rtd",,"LAST","ES")', 5, None],
)
def test_not_tos_rtd(value):
    assert parse_rtd(value) is None


def test_topics():
    assert field_for_topic("LAST") == "last"
    assert field_for_topic("52high") == "high_52w"
    assert field_for_topic("QUOTE_TREND") is None
