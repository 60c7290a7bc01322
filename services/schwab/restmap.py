"""Schwab REST shapes -> LiveData payloads (quotes, positions, balances, events); pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

QUOTE_NAMES = {
    "bidPrice": "bid",
    "askPrice": "ask",
    "lastPrice": "last",
    "totalVolume": "volume",
    "bidSize": "bid_size",
    "askSize": "ask_size",
    "lastSize": "last_size",
    "openPrice": "open",
    "highPrice": "high",
    "lowPrice": "low",
    "closePrice": "close",
    "netChange": "net_change",
    "mark": "mark",
    "openInterest": "open_interest",
    "securityStatus": "status",
}


def find_entry(response: Mapping[str, Any], symbol: str) -> Mapping[str, Any] | None:
    """The entry for a requested symbol; a future root may be keyed by its contract."""
    entry = response.get(symbol)
    if isinstance(entry, Mapping):
        return entry
    for candidate in response.values():
        if (
            isinstance(candidate, Mapping)
            and (candidate.get("reference") or {}).get("product") == symbol
        ):
            return candidate
    return None


def rest_quote(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A `build_quote` payload from one `/marketdata/v1/quotes` entry."""
    quote, ref = entry.get("quote") or {}, entry.get("reference") or {}
    payload = {ours: quote[theirs] for theirs, ours in QUOTE_NAMES.items() if theirs in quote}
    percent = quote.get("netPercentChange", quote.get("futurePercentChange"))
    if percent is not None:
        payload["percent_change"] = percent
    times = [t for t in (quote.get("quoteTime"), quote.get("tradeTime")) if t]  # 0 = none
    payload["timestamp"] = max(times) if times else None
    payload["description"] = ref.get("description")
    payload["asset_type"] = entry.get("assetMainType")
    payload["provider_symbol"] = ref.get("futureActiveSymbol") or entry.get("symbol")
    if isinstance(entry.get("realtime"), bool):
        payload["delayed"] = not entry["realtime"]
    return payload


def positions(account: Mapping[str, Any]) -> dict[str, Any]:
    """Design section 3 positions from a `securitiesAccount` (quantity = long - short)."""
    rows = []
    for item in account.get("positions") or []:
        instrument = item.get("instrument") or {}
        rows.append(
            {
                "symbol": instrument.get("symbol"),
                "asset_type": instrument.get("assetType"),
                "quantity": (item.get("longQuantity") or 0) - (item.get("shortQuantity") or 0),
                "avg_price": item.get("averagePrice"),
                "market_value": item.get("marketValue"),
                "day_pnl": item.get("currentDayProfitLoss"),
            }
        )
    return {"positions": rows, "source": "schwab"}


def balances(account: Mapping[str, Any]) -> dict[str, Any]:
    """Design section 3 balances from a `securitiesAccount`'s currentBalances."""
    current = account.get("currentBalances") or {}
    return {
        "net_liquidation": current.get("liquidationValue"),
        "cash": current.get("cashBalance"),
        "buying_power": current.get("buyingPower"),
        "day_trading_buying_power": current.get("dayTradingBuyingPower"),
        "available_funds": current.get("availableFunds"),
        "source": "schwab",
    }


def scrub(value: Any, hashes: Mapping[str, str]) -> Any:
    """A copy with every full account number replaced by its hash and account-number keys
    dropped: only hashes may leave this process."""
    if isinstance(value, Mapping):
        return {k: scrub(v, hashes) for k, v in value.items() if "accountnumber" not in k.lower()}
    if isinstance(value, list):
        return [scrub(v, hashes) for v in value]
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value) in hashes:
        return hashes[str(value)]
    return value


def order_event(order: Mapping[str, Any], hashes: Mapping[str, str]) -> dict[str, Any]:
    """An `orders` event from a REST order."""
    return {
        "source": "schwab",
        "event": "order",
        "order_id": order.get("orderId"),
        "status": order.get("status"),
        "order": scrub(order, hashes),
    }


def activity_event(item: Mapping[str, Any], hashes: Mapping[str, str]) -> dict[str, Any]:
    """An `orders` event from an ACCT_ACTIVITY item."""
    return {
        "source": "schwab",
        "event": item.get("message_type"),
        "seq": item.get("seq"),
        "data": scrub(item.get("data"), hashes),
    }
