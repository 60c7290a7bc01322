"""`GET /api/feed/quotes/stream/?symbols=ES,NQ`: live quotes as Server-Sent Events."""

from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app, request

from livedata import sse
from services.api.context import bus, fanout, settings
from services.api.errors import BadRequest
from services.api.stream_session import QuoteStream, disconnect_check
from services.api.symbols import requested_symbols

bp = Blueprint("stream", __name__)

CONFLATE_RANGE = (50, 60_000)


@bp.get("/api/feed/quotes/stream/")
def quote_stream() -> Response:
    """A snapshot event, then every quote (or, with `conflate_ms`, the latest per interval)."""
    symbols = requested_symbols(settings())
    conflate_ms = _conflate_ms()
    last_id = _last_event_id()
    slots: threading.BoundedSemaphore = current_app.extensions["livedata_streams"]
    if not slots.acquire(blocking=False):
        raise BadRequest("too many open streams on this server; retry shortly", 503)
    session = None
    try:
        gone = disconnect_check(request.environ)
        session = QuoteStream(bus(), fanout(), symbols, last_id, conflate_ms, gone)
        opening = session.opening()
    except BaseException:  # e.g. Redis away: the error handler answers 503
        if session is not None:
            session.close()
        slots.release()
        raise

    def generate():
        try:
            yield opening
            yield from session.events()
        finally:  # the client left, the server stops, or Redis failed: free everything
            session.close()
            slots.release()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return Response(generate(), mimetype="text/event-stream", headers=headers)


def _conflate_ms() -> int | None:
    raw = request.args.get("conflate_ms")
    if raw is None:  # absent; an empty value is refused below, as the OpenAPI schema says
        return None
    low, high = CONFLATE_RANGE
    # ASCII digits only ("١٢٣".isdigit() is true), and few: int() of 5,000 digits raises.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not low <= int(raw) <= high:
        raise BadRequest(f"conflate_ms must be an integer from {low} to {high}, got {raw[:20]!r}")
    return int(raw)


def _last_event_id() -> str | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    if not raw:
        return None
    if not sse.STREAM_ID.fullmatch(raw.strip()):
        raise BadRequest("Last-Event-ID must be a stream id such as 1700000000000-0")
    return raw.strip()
