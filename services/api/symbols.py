"""Parsing the `symbols` query parameter, shared by the snapshot and stream endpoints."""

from __future__ import annotations

from flask import request

from livedata.exceptions import InvalidSymbol
from livedata.quotes import normalize_symbol
from livedata.settings import Settings
from services.api.errors import BadRequest


def requested_symbols(settings: Settings) -> list[str]:
    """The normalized, de-duplicated `symbols` of the request, in the order asked.

    Raises BadRequest (400) when missing or empty, over `MAX_SYMBOLS`, or malformed.
    """
    raw = ",".join(request.args.getlist("symbols"))
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise BadRequest("symbols is required: a comma-separated list such as ?symbols=ES,NQ")
    if len(items) > settings.max_symbols:
        raise BadRequest(
            f"too many symbols: {len(items)} requested, at most {settings.max_symbols} allowed"
        )
    symbols: dict[str, None] = {}
    for item in items:
        try:
            symbols[normalize_symbol(item, settings.symbol_aliases)] = None
        except InvalidSymbol as exc:
            raise BadRequest(str(exc)) from None
    return list(symbols)
