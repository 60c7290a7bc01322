"""`/healthz` (is Redis answering) and `/api/feed/providers/` (provider health records)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from livedata.health import read_health
from services.api.context import bus

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when Redis answers a PING; the error handler turns an outage into 503.

    `subscriber` is this worker's fan-out subscriber (livedata.fanout): whether it is
    connected, how often it lost Redis, how often a slow SSE client had to resync.
    """
    bus().redis.ping()
    subscriber = current_app.extensions["livedata_fanout"].stats()
    return jsonify(status="ok", redis="ok", subscriber=subscriber)


@bp.get("/api/feed/providers/")
def providers():
    records = read_health(bus().redis)
    return jsonify(providers=records, count=len(records))
