"""The fake Schwab's market and accounts: streamer field values and REST shapes built from them."""

from __future__ import annotations

import time
from typing import Any

FUTURES = "LEVELONE_FUTURES"
EQUITIES = "LEVELONE_EQUITIES"
ACCOUNT_NUMBER = "12345678"

# Streamer field ids (as the wire sends them) per key; futures: 10 quote time, 34 active symbol.
MARKET: dict[str, dict[str, Any]] = {
    "/ES": {
        "1": 6712.25,
        "2": 6712.5,
        "3": 6712.25,
        "4": 61,
        "5": 112,
        "8": 1250270,
        "12": 6730.0,
        "13": 6690.5,
        "14": 6700.0,
        "16": "E-mini S&P 500 Index Futures",
        "19": 12.25,
        "22": "Normal",
        "34": "/ESZ26",
    },
    "/NQ": {
        "1": 24810.0,
        "2": 24810.75,
        "3": 24810.5,
        "8": 410020,
        "14": 24700.0,
        "16": "E-mini Nasdaq-100 Index Futures",
        "34": "/NQZ26",
    },
    "AAPL": {
        "1": 234.86,
        "2": 234.88,
        "3": 234.87,
        "4": 2,
        "5": 1,
        "8": 46430718,
        "12": 232.15,
        "15": "APPLE INC",
        "32": "Normal",
        "33": 234.88,
    },
    "$SPX": {"3": 6700.12, "12": 6690.0, "15": "S&P 500 INDEX"},
}

ACCOUNTS: dict[str, dict[str, Any]] = {
    ACCOUNT_NUMBER: {
        "positions": [
            {
                "longQuantity": 2.0,
                "shortQuantity": 0.0,
                "averagePrice": 6650.5,
                "marketValue": 671225.0,
                "currentDayProfitLoss": 1225.0,
                "instrument": {"assetType": "FUTURE", "symbol": "/ESZ26"},
            },
            {
                "longQuantity": 0.0,
                "shortQuantity": 100.0,
                "averagePrice": 240.0,
                "marketValue": -23487.0,
                "currentDayProfitLoss": -87.0,
                "instrument": {"assetType": "EQUITY", "cusip": "037833100", "symbol": "AAPL"},
            },
        ],
        "currentBalances": {
            "liquidationValue": 250000.5,
            "cashBalance": 120000.25,
            "availableFunds": 110000.0,
            "buyingPower": 220000.0,
            "dayTradingBuyingPower": 440000.0,
        },
    }
}


def service_of(key: str) -> str:
    return FUTURES if key.startswith("/") else EQUITIES


def now_ms() -> int:
    return int(time.time() * 1000)


def stamped(key: str, fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` with the quote time set to now (10 for futures, 34 for equities)."""
    stamp = "10" if service_of(key) == FUTURES else "34"
    return {**fields, stamp: now_ms()}


def numbered_delta(key: str, n: int) -> dict[str, Any]:
    """A bid/ask/last change whose volume (field 8) is `n`, so a benchmark can match it."""
    price = 6700.0 + (n % 400) * 0.25
    return stamped(key, {"1": price - 0.25, "2": price, "3": price, "8": n})


def rest_quote(key: str, fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(map key, entry) as `/marketdata/v1/quotes` answers; a future root is keyed by contract."""
    future = service_of(key) == FUTURES
    quote_time = fields.get("10" if future else "34", now_ms())
    quote = {
        "bidPrice": fields.get("1"),
        "askPrice": fields.get("2"),
        "lastPrice": fields.get("3"),
        "bidSize": fields.get("4"),
        "askSize": fields.get("5"),
        "totalVolume": fields.get("8"),
        "closePrice": fields.get("14" if future else "12"),
        "quoteTime": quote_time,
        "tradeTime": quote_time,
    }
    reference = {"description": fields.get("16" if future else "15")}
    if future:
        reference.update(product=key, futureActiveSymbol=fields.get("34", key))
    name = fields.get("34", key) if future else key
    entry = {
        "assetMainType": "FUTURE" if future else "EQUITY",
        "symbol": name,
        "realtime": True,
        "quote": quote,
        "reference": reference,
    }
    return name, entry


def account_body(number: str, account_hash: str, positions: bool) -> dict[str, Any]:
    """`/trader/v1/accounts/{hash}` shape; positions only when asked with fields=positions."""
    data = ACCOUNTS[number]
    inner: dict[str, Any] = {
        "type": "MARGIN",
        "accountNumber": number,
        "roundTrips": 0,
        "currentBalances": data["currentBalances"],
    }
    if positions:
        inner["positions"] = data["positions"]
    return {
        "securitiesAccount": inner,
        "aggregatedBalance": {"liquidationValue": data["currentBalances"]["liquidationValue"]},
    }


def order(number: str, order_id: int, status: str) -> dict[str, Any]:
    """One order as GET orders returns it."""
    return {
        "session": "NORMAL",
        "duration": "DAY",
        "orderType": "LIMIT",
        "quantity": 1.0,
        "filledQuantity": 0.0,
        "price": 6700.0,
        "orderId": order_id,
        "status": status,
        "enteredTime": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()),
        "accountNumber": int(number),
        "orderLegCollection": [
            {
                "instruction": "BUY",
                "quantity": 1.0,
                "instrument": {"assetType": "FUTURE", "symbol": "/ESZ26"},
            }
        ],
    }


def transaction(number: str, activity_id: int) -> dict[str, Any]:
    return {
        "activityId": activity_id,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()),
        "accountNumber": number,
        "type": "TRADE",
        "status": "VALID",
        "netAmount": -23487.0,
        "transferItems": [
            {
                "instrument": {"assetType": "EQUITY", "symbol": "AAPL"},
                "amount": 100.0,
                "price": 234.87,
            }
        ],
    }
