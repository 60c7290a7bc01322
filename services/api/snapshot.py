"""`GET /api/feed/quotes/snapshot/?symbols=YM,ES`: the latest quote of many symbols at once."""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response

from livedata.quotes import epoch_ms
from services.api.context import bus, settings
from services.api.symbols import requested_symbols

bp = Blueprint("snapshot", __name__)


@bp.get("/api/feed/quotes/snapshot/")
def quote_snapshot() -> Response:
    """Quotes in the order asked, each with `age_ms` and `stale`; unknown ones in `missing`."""
    config = settings()
    symbols = requested_symbols(config)
    raw = bus().snapshot_raw(symbols)
    now_ms = time.time() * 1000
    stale_ms = config.quote_stale_after * 1000
    quotes, missing = [], []
    for symbol, stored in zip(symbols, raw, strict=True):
        if stored is None:
            missing.append(symbol)
            continue
        quote = json.loads(stored)
        quote["age_ms"] = age = max(0, int(now_ms - epoch_ms(quote["timestamp"])))
        quote["stale"] = bool(quote.get("stale")) or age > stale_ms
        quotes.append(quote)
    body = {"quotes": quotes, "count": len(quotes), "source": "redis_snapshot", "missing": missing}
    return Response(json.dumps(body, separators=(",", ":")), mimetype="application/json")
