"""The dashboard: every area rendered once in full, then kept fresh by htmx."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from admin.board import board_view
from admin.context import state
from admin.providers import providers_view
from admin.schwab import schwab_view
from admin.traffic import parse_filter
from livedata.connections import redacted_url
from livedata.exceptions import InvalidSymbol

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> tuple[str, int]:
    """The whole page; `?symbols=ES,NQ` starts the traffic tail filtered."""
    try:
        symbols, error = parse_filter(request.args.get("symbols")), None
    except InvalidSymbol as exc:
        symbols, error = [], str(exc)
    settings = state().settings
    page = render_template(
        "index.html",
        providers=providers_view(),
        board=board_view(),
        schwab=schwab_view(),
        symbols=symbols,
        error=error,
        redis_url=redacted_url(settings.redis_url),
        api_bind=settings.api_bind,
    )
    return page, (400 if error else 200)
