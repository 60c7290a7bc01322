import json
import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from livedata.exceptions import InvalidQuote, InvalidSymbol
from livedata.quotes import build_quote, encode, encode_event, normalize_symbol, to_iso

NOW = datetime(2025, 10, 24, 14, 33, 12, 130000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/ES", "ES"),
        (" es ", "ES"),
        ("/ES:XCME", "ES"),
        ("$SPX", "$SPX"),
        ("brk.b", "BRK.B"),
        ("/ESZ26", "ESZ26"),
    ],
)
def test_normalize_symbol(raw, expected):
    assert normalize_symbol(raw) == expected


def test_aliases_map_provider_names_to_consumer_names():
    aliases = {"$DXY": "DX", "RT": "RTY"}
    assert normalize_symbol("$dxy", aliases) == "DX"
    assert normalize_symbol("/RT:XCME", aliases) == "RTY"


@pytest.mark.parametrize("raw", ["", "   ", "E S", "ES;DROP", "A" * 33, "/", "é", None, 5])
def test_bad_symbols_are_refused(raw):
    with pytest.raises(InvalidSymbol):
        normalize_symbol(raw)


def test_build_quote_normalizes_decimal_datetime_and_symbol():
    quote = build_quote(
        {
            "bid": Decimal("4712.25"),
            "ask": "4712.50",
            "last": 4712.25,
            "volume": Decimal("123456"),
            "timestamp": datetime(
                2025, 10, 24, 10, 33, 12, 123000, tzinfo=timezone(-timedelta(hours=4))
            ),
        },
        symbol="/ES:XCME",
        source="schwab",
        now=NOW,
    )
    assert quote == {
        "type": "quote",
        "symbol": "ES",
        "bid": 4712.25,
        "ask": 4712.5,
        "last": 4712.25,
        "volume": 123456,
        "timestamp": "2025-10-24T14:33:12.123Z",
        "source": "schwab",
        "received_at": "2025-10-24T14:33:12.130Z",
        "provider_symbol": "/ES:XCME",
    }
    assert json.loads(encode(quote))["volume"] == 123456


def test_missing_values_are_null_and_timestamp_defaults_to_receive_time():
    quote = build_quote({"symbol": "VX"}, now=NOW)
    assert (quote["bid"], quote["ask"], quote["last"], quote["volume"]) == (None, None, None, None)
    assert quote["timestamp"] == quote["received_at"] == "2025-10-24T14:33:12.130Z"


def test_epoch_milliseconds_timestamp():
    quote = build_quote({"symbol": "ES", "timestamp": 1761316392123}, now=NOW)
    assert quote["timestamp"] == "2025-10-24T14:33:12.123Z"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"symbol": "ES", "bid": float("nan")}, "bid must be a finite number"),
        ({"symbol": "ES", "last": float("inf")}, "last must be a finite number"),
        ({"symbol": "ES", "ask": "N/A"}, "ask must be a number"),
        ({"symbol": "ES", "bid": True}, "bid must be a number"),
        ({"symbol": "ES", "last": [1]}, "last must be a number"),
        ({"symbol": "ES", "timestamp": "yesterday"}, "timestamp must be ISO-8601"),
        ({"symbol": "ES", "colour": "red"}, "unknown quote field"),
        ({"symbol": "ES", "delayed": "yes"}, "delayed must be true or false"),
        ({"bid": 1.0}, "symbol must be a string"),
    ],
)
def test_payloads_that_are_not_quotes_are_refused(payload, message):
    with pytest.raises(InvalidQuote, match=message):
        build_quote(payload)


def test_not_a_mapping_is_refused():
    with pytest.raises(InvalidQuote, match="must be a mapping"):
        build_quote(["ES", 1.0])  # type: ignore[arg-type]


def test_to_iso_treats_naive_times_as_utc():
    assert to_iso(datetime(2025, 1, 2, 3, 4, 5, 678901)) == "2025-01-02T03:04:05.678Z"


def test_encode_event_turns_decimal_into_numbers_and_refuses_nan():
    assert encode_event({"cash": Decimal("10.50")}) == '{"cash":10.5}'
    with pytest.raises(InvalidQuote):
        encode_event({"cash": float("nan")})


def test_to_iso_matches_isoformat_to_the_millisecond_for_any_moment():
    rnd = random.Random(7)
    start = datetime(1970, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(microseconds=rnd.randrange(2**52)) for _ in range(5000)]
    moments += [datetime(2025, 10, 24, 14, 33, 12, us, tzinfo=UTC) for us in (0, 999, 1000, 999999)]
    for moment in moments:
        expected = moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
        assert to_iso(moment) == expected
