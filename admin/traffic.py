"""Live channel traffic over Server-Sent Events, throttled on the server.

Each open stream holds one Subscription on the process's one Fanout (all of `live_data:*`,
or only the filtered symbols' quote channels) and a Tally; it sends one rendered HTML
fragment at most every PUSH_EVERY seconds, whatever the message rate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from flask import Blueprint, Response, render_template, request, stream_with_context

from admin.context import state
from admin.tally import Tally
from livedata import channels, sse
from livedata.exceptions import InvalidSymbol
from livedata.fanout import Fanout
from livedata.quotes import normalize_symbol

bp = Blueprint("traffic", __name__)

PUSH_EVERY = 0.25
"""Seconds between frames: at most four DOM swaps a second per viewer."""

KEEPALIVE = 15.0
RETRY_MS = 2000
MAX_FILTER = 50

SHUTDOWN = threading.Event()
"""Set on SIGTERM (see gunicorn_conf): every stream ends within PUSH_EVERY seconds."""


def parse_filter(raw: str | None) -> list[str]:
    """`"es, /NQ"` -> `["ES", "NQ"]`; InvalidSymbol naming the bad one."""
    symbols: list[str] = []
    for item in (raw or "").replace(",", " ").split():
        symbol = normalize_symbol(item)
        if symbol not in symbols:
            symbols.append(symbol)
    if len(symbols) > MAX_FILTER:
        raise InvalidSymbol(f"filter on at most {MAX_FILTER} symbols, got {len(symbols)}")
    return symbols


def frames(fanout: Fanout, symbols: list[str]) -> Iterator[bytes]:
    """The stream's bytes until SHUTDOWN or the client leaves; the Subscription goes with it."""
    wanted = [channels.quote_channel(s) for s in symbols] if symbols else None
    sub = fanout.subscribe(wanted)
    tally, last_sent = Tally(time.time()), time.monotonic()
    try:
        yield sse.retry(RETRY_MS)
        while not SHUTDOWN.is_set():
            messages, resync = sub.take(timeout=PUSH_EVERY)
            tally.absorb(messages, resync, fanout.healthy, time.time())
            if tally.dirty:
                html = render_template("_traffic_rows.html", **tally.view(time.time()))
                yield sse.event("traffic", " ".join(html.split("\n")))
                last_sent = time.monotonic()
            elif time.monotonic() - last_sent >= KEEPALIVE:
                yield sse.comment("keepalive")  # also how a vanished client is noticed
                last_sent = time.monotonic()
            SHUTDOWN.wait(PUSH_EVERY)  # the throttle: messages queue meanwhile
    finally:
        fanout.unsubscribe(sub)


@bp.get("/traffic/stream")
def stream() -> Response:
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if request.method == "HEAD":  # a body servers would iterate forever without sending
        return Response(b"", mimetype="text/event-stream", headers=headers)
    try:
        symbols = parse_filter(request.args.get("symbols"))
    except InvalidSymbol as exc:
        return Response(f"{exc}\n", 400, mimetype="text/plain")
    admin = state().live()
    if not admin.streams.acquire(blocking=False):
        return Response("too many open traffic streams; close a tab or retry\n", 503)
    body = stream_with_context(frames(admin.fanout, symbols))
    response = Response(body, mimetype="text/event-stream", headers=headers)
    response.call_on_close(admin.streams.release)  # runs even if the body never started
    return response


@bp.get("/traffic/panel")
def panel() -> tuple[str, int]:
    """The stream element for a new filter; htmx swaps it in, which reconnects the stream."""
    raw = request.args.get("symbols", "")
    try:
        return render_template("_traffic_stream.html", symbols=parse_filter(raw), error=None), 200
    except InvalidSymbol as exc:
        return render_template("_traffic_stream.html", symbols=[], error=str(exc)), 400
