"""Provider cards from the health records, polled by htmx every second."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from admin.context import state
from livedata.connections import REDIS_ERRORS
from livedata.health import read_health

bp = Blueprint("providers", __name__)

CARD_FIELDS = ("provider", "status", "last_seen", "age_s", "quotes_total", "rate_per_s", "detail")
"""Only these are shown: a record may carry more (Schwab's), never rendered blindly."""


def providers_view() -> dict[str, Any]:
    """The cards, whether simulated data is flowing, and a Redis error if any."""
    try:
        records, error = read_health(state().redis), None
    except REDIS_ERRORS:
        records, error = [], "Redis is not answering: no provider health to show"
    cards = [{name: record.get(name) for name in CARD_FIELDS} for record in records]
    simulated = any(r.get("simulated") and r.get("status") != "down" for r in records)
    return {"cards": cards, "simulated": simulated, "error": error}


@bp.get("/providers")
def providers() -> str:
    """The fragment; Redis trouble is shown in it (a 200), so the page never goes stale."""
    return render_template("_providers.html", **providers_view())
