"""`GET /api/feed/quotes/snapshot/?symbols=YM,ES`: the latest quote of many symbols at once.

Served from the process's mirror of the snapshot hash (`livedata.fanout`) while its
subscriber is healthy -- no Redis round trip -- and with one HMGET otherwise.
"""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response

from livedata.quotes import epoch_ms
from services.api.context import bus, fanout, settings
from services.api.symbols import requested_symbols

bp = Blueprint("snapshot", __name__)

TIMESTAMP_KEY = b'"timestamp":"'


@bp.get("/api/feed/quotes/snapshot/")
def quote_snapshot() -> Response:
    """Quotes in the order asked, each with `age_ms` and `stale`; unknown ones in `missing`."""
    config = settings()
    symbols = requested_symbols(config)
    mirrored = fanout().snapshot(symbols)
    raw = mirrored if mirrored is not None else bus().snapshot_raw(symbols)
    now_ms = time.time() * 1000
    stale_ms = config.quote_stale_after * 1000
    quotes, missing = [], []
    for symbol, stored in zip(symbols, raw, strict=True):
        if stored is None:
            missing.append(symbol)
        else:
            quotes.append(with_age(stored, now_ms, stale_ms))
    body = b'{"quotes":[%s],"count":%d,"source":"redis_snapshot","missing":%s}' % (
        b",".join(quotes),
        len(quotes),
        json.dumps(missing).encode(),
    )
    return Response(body, mimetype="application/json")


def with_age(stored: bytes, now_ms: float, stale_ms: float) -> bytes:
    """The stored quote JSON with `age_ms` and `stale` appended.

    Why bytes and not json.loads/dumps: this runs for every symbol of every request, and the
    stored JSON is already the contract's bytes. Only a quote that carries its provider's
    own `stale` flag goes the slow way, so that the key is never written twice.
    """
    start = stored.find(TIMESTAMP_KEY) + len(TIMESTAMP_KEY)
    if start < len(TIMESTAMP_KEY) or b'"stale":' in stored:
        quote = json.loads(stored)
        age = max(0, int(now_ms - epoch_ms(quote["timestamp"])))
        quote["age_ms"], quote["stale"] = age, bool(quote.get("stale")) or age > stale_ms
        return json.dumps(quote, separators=(",", ":")).encode()
    timestamp = stored[start : stored.index(b'"', start)].decode()
    age = max(0, int(now_ms - epoch_ms(timestamp)))
    stale = b"true" if age > stale_ms else b"false"
    return b'%s,"age_ms":%d,"stale":%s}' % (stored[:-1], age, stale)
