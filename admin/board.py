"""The snapshot board: the latest quote per symbol, stale rows marked, a sparkline each."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, render_template

from admin.context import AdminState, state
from admin.sparkline import sparkline
from livedata import channels
from livedata.connections import REDIS_ERRORS
from livedata.quotes import epoch_ms

bp = Blueprint("board", __name__)


def latest_quotes(admin: AdminState) -> dict[str, Any]:
    """SYMBOL -> stored quote JSON: the fanout's mirror, or one HGETALL while it is not healthy."""
    fanout = admin.fanout
    symbols = sorted(fanout.latest.copy())  # dict.copy is atomic against the subscriber thread
    mirrored = fanout.snapshot(symbols)
    if mirrored is not None:
        return {s: raw for s, raw in zip(symbols, mirrored, strict=True) if raw is not None}
    return admin.redis.hgetall(channels.LATEST_QUOTES)


def quote_row(raw: Any, now: float, stale_after: float, prices: list[float]) -> dict | None:
    """One board row from a stored quote; None when it is not a readable quote."""
    try:
        quote = json.loads(raw)
        age_s = max(0.0, now - epoch_ms(quote["timestamp"]) / 1000)
    except (ValueError, KeyError, TypeError):
        return None
    last, close = quote.get("last"), quote.get("close")
    change = quote.get("net_change")
    if change is None and last is not None and close:
        change = last - close
    percent = quote.get("percent_change")
    if percent is None and change is not None and close:
        percent = change / close * 100
    return {
        "symbol": quote.get("symbol"),
        "bid": quote.get("bid"),
        "ask": quote.get("ask"),
        "last": last,
        "change": change,
        "percent": percent,
        "trend": "up" if (change or 0) > 0 else "down" if (change or 0) < 0 else "flat",
        "source": quote.get("source"),
        "age_s": age_s,
        "stale": bool(quote.get("stale")) or age_s > stale_after,
        "spark": sparkline(prices),
    }


def board_view() -> dict[str, Any]:
    admin = state().live()
    try:
        latest = latest_quotes(admin)
    except REDIS_ERRORS:
        return {"rows": [], "error": "Redis is not answering: no snapshot to show"}
    now, stale_after = time.time(), admin.settings.quote_stale_after
    rows = [
        quote_row(raw, now, stale_after, admin.history.prices(symbol))
        for symbol, raw in sorted(latest.items())
    ]
    return {"rows": [row for row in rows if row], "error": None}


@bp.get("/board")
def board() -> str:
    """The board's rows, polled every second (ages move even when prices do not)."""
    return render_template("_board.html", **board_view())
