"""The streamer protocol without I/O: requests, frames, field maps, delta merge, activity."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from services.schwab import protocol as p
from services.schwab import restmap
from services.schwab.book import QuoteBook, activity_items

INFO = p.StreamerInfo("wss://x/ws", "CUST", "CORREL", "N9", "APIAPP")
NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def data(service: str, *content: dict) -> dict:
    return {"service": service, "timestamp": 1, "command": "SUBS", "content": list(content)}


def test_login_and_subs_requests_follow_the_reference():
    login = json.loads(p.login_request(INFO, 0, "TOKEN"))["requests"][0]
    assert login["service"] == "ADMIN" and login["command"] == "LOGIN"
    assert login["parameters"] == {
        "Authorization": "TOKEN",
        "SchwabClientChannel": "N9",
        "SchwabClientFunctionId": "APIAPP",
    }
    assert login["SchwabClientCustomerId"] == "CUST" and login["requestid"] == "0"
    subs = json.loads(p.subs_request(INFO, 1, "SUBS", ["/es", "/NQ"]))["requests"][0]
    assert subs["service"] == "LEVELONE_FUTURES" and subs["parameters"]["keys"] == "/ES,/NQ"
    assert subs["parameters"]["fields"].startswith("0,1,2,3")
    unsubs = json.loads(p.subs_request(INFO, 2, "UNSUBS", ["AAPL"]))["requests"][0]
    assert unsubs["service"] == "LEVELONE_EQUITIES" and "fields" not in unsubs["parameters"]
    activity = json.loads(p.activity_request(INFO, 3))["requests"][0]
    assert activity["command"] == "SUBS" and activity["parameters"]["keys"] == "CORREL"


def test_symbols_are_grouped_by_service():
    assert p.by_service(["/ES", "AAPL", "$SPX", "/NQZ26"]) == {
        "LEVELONE_FUTURES": ["/ES", "/NQZ26"],
        "LEVELONE_EQUITIES": ["AAPL", "$SPX"],
    }


def test_frames_are_sorted_and_codes_found():
    text = json.dumps(
        {
            "response": [
                {"service": "ADMIN", "command": "LOGIN", "content": {"code": 3, "msg": "no"}}
            ],
            "notify": [
                {"heartbeat": "1"},
                {"service": "ADMIN", "content": {"code": 12, "msg": "x"}},
            ],
        }
    )
    frame = p.parse_frame(text)
    assert frame.heartbeat and frame.codes() == [
        (3, "ADMIN/LOGIN", "no"),
        (12, "ADMIN/notify", "x"),
    ]


def test_futures_deltas_merge_into_a_full_quote():
    book = QuoteBook()
    first = {
        "key": "/ES",
        "delayed": False,
        "1": 6712.25,
        "2": 6712.5,
        "3": 6712.25,
        "8": 1250270,
        "10": 1767625200123,
        "34": "/ESZ26",
    }
    assert book.apply(data(p.FUTURES, first)) == ["/ES"]
    book.apply(data(p.FUTURES, {"key": "/ES", "1": 6712.5, "11": 1767625201456}))
    quote = book.quote("/ES", NOW)
    assert (quote["symbol"], quote["bid"], quote["ask"], quote["last"]) == (
        "ES",
        6712.5,
        6712.5,
        6712.25,
    )
    assert quote["volume"] == 1250270 and quote["provider_symbol"] == "/ESZ26"
    assert quote["timestamp"] == "2026-01-05T15:00:01.456Z"  # the later of quote/trade time
    assert quote["source"] == "schwab" and quote["delayed"] is False
    assert quote["asset_type"] == "FUTURE" and "quote_time" not in quote


def test_equity_fields_use_the_equity_map():
    book = QuoteBook(aliases={"$SPX": "SPX"})
    book.apply(
        data(
            p.EQUITIES,
            {
                "key": "AAPL",
                "1": 234.86,
                "2": 234.88,
                "3": 234.87,
                "10": 236.18,
                "34": 1767625200000,
                "42": 1.17,
            },
        )
    )
    book.apply(data(p.EQUITIES, {"key": "$SPX", "3": 6700.12}))
    aapl, spx = book.quotes(["AAPL", "$SPX", "AAPL"], NOW)
    assert (aapl["bid"], aapl["ask"], aapl["last"], aapl["high"]) == (
        234.86,
        234.88,
        234.87,
        236.18,
    )
    assert aapl["percent_change"] == 1.17 and aapl["timestamp"] == "2026-01-05T15:00:00.000Z"
    assert spx["symbol"] == "SPX" and spx["timestamp"] == "2026-01-05T15:00:00.000Z"  # no time: now


def test_a_bad_value_skips_that_symbol_only():
    book = QuoteBook()
    book.apply(data(p.EQUITIES, {"key": "AAPL", "1": "?"}, {"key": "MSFT", "1": 400.0}))
    assert [q["symbol"] for q in book.quotes(["AAPL", "MSFT"], NOW)] == ["MSFT"]
    book.forget(["MSFT"])
    assert book.apply(data("CHART_EQUITY", {"key": "X"})) == [] and "MSFT" not in book.state


def test_account_activity_items_parse_field_3_again():
    entry = data(
        p.ACTIVITY,
        {
            "seq": 4,
            "key": "k",
            "1": "12345678",
            "2": "OrderCreated",
            "3": json.dumps({"orderId": 7}),
        },
        {"seq": 5, "3": "plain"},
    )
    first, second = activity_items(entry)
    assert first == {
        "seq": 4,
        "account_number": "12345678",
        "message_type": "OrderCreated",
        "data": {"orderId": 7},
    }
    assert second["data"] == "plain"


def test_rest_quote_finds_a_root_keyed_by_its_contract():
    answer = {
        "/ESZ26": {
            "assetMainType": "FUTURE",
            "symbol": "/ESZ26",
            "realtime": True,
            "quote": {
                "bidPrice": 1.0,
                "askPrice": 2.0,
                "lastPrice": 1.5,
                "quoteTime": 1767625200000,
                "tradeTime": 0,
                "futurePercentChange": -0.1,
            },
            "reference": {"product": "/ES", "futureActiveSymbol": "/ESZ26"},
        }
    }
    payload = restmap.rest_quote(restmap.find_entry(answer, "/ES"))
    assert payload["bid"] == 1.0 and payload["provider_symbol"] == "/ESZ26"
    assert payload["timestamp"] == 1767625200000 and payload["percent_change"] == -0.1
    assert payload["delayed"] is False and restmap.find_entry(answer, "/NQ") is None


def test_positions_balances_and_scrubbing():
    account = {
        "accountNumber": "12345678",
        "positions": [
            {
                "longQuantity": 0.0,
                "shortQuantity": 100.0,
                "averagePrice": 240.0,
                "instrument": {"assetType": "EQUITY", "symbol": "AAPL"},
            }
        ],
        "currentBalances": {"liquidationValue": 10.0, "cashBalance": 5.0},
    }
    assert restmap.positions(account)["positions"][0]["quantity"] == -100.0
    assert restmap.balances(account)["net_liquidation"] == 10.0
    hashes = {"12345678": "HASH"}
    scrubbed = restmap.scrub({"accountNumber": 12345678, "x": ["12345678", 12345678]}, hashes)
    assert scrubbed == {"x": ["HASH", "HASH"]}
