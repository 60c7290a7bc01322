"""Quotes over REST while the stream is down: `/marketdata/v1/quotes`, many symbols a call."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from livedata.exceptions import InvalidQuote
from livedata.quotes import build_quote
from services.schwab import restmap
from services.schwab.book import SOURCE
from services.schwab.rest import SchwabRest

log = logging.getLogger("livedata.schwab.fallback")
QUOTES_PER_CALL = 100
"""Symbols per request: one call per 100 symbols keeps polling far under the budget."""


def rest_quotes(
    rest: SchwabRest, symbols: list[str], aliases: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Built quotes for `symbols`; unknown symbols and unusable entries are left out."""
    built = []
    for start in range(0, len(symbols), QUOTES_PER_CALL):
        batch = symbols[start : start + QUOTES_PER_CALL]
        answer = rest.get("/marketdata/v1/quotes", symbols=",".join(batch))
        for symbol in batch:
            entry = restmap.find_entry(answer, symbol)
            if entry is None:
                continue
            try:
                payload = restmap.rest_quote(entry)
                built.append(build_quote(payload, symbol=symbol, source=SOURCE, aliases=aliases))
            except InvalidQuote as exc:
                log.warning("REST quote for %s skipped: %s", symbol, exc)
    return built
