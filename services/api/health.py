"""`/healthz` (is Redis answering) and `/api/feed/providers/` (provider health records)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from livedata.health import read_health
from services.api.context import bus

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when Redis answers a PING; the error handler turns an outage into 503."""
    bus().redis.ping()
    return jsonify(status="ok", redis="ok")


@bp.get("/api/feed/providers/")
def providers():
    records = read_health(bus().redis)
    return jsonify(providers=records, count=len(records))
