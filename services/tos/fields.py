"""Which quote field a column holds: its header (aliases) or the RTD topic of its formulas."""

from __future__ import annotations

import re
from typing import Any

HEADER_ALIASES = {
    "symbol": ("symbol", "ticker", "sym", "instrument"),
    "description": ("description", "desc", "name"),
    "last": ("last", "lastprice", "price"),
    "bid": ("bid",),
    "ask": ("ask",),
    "volume": ("volume", "vol", "totalvolume"),
    "open": ("open",),
    "high": ("high", "24high", "worldhigh", "dayhigh"),
    "low": ("low", "24low", "worldlow", "daylow"),
    "close": ("close", "prevclose", "priorclose", "previousclose"),
    "net_change": ("netchange", "netchng", "change", "chg"),
    "percent_change": ("%change", "%chng", "percentchange", "pctchange", "changepercent"),
    "bid_size": ("bidsize", "bs"),
    "ask_size": ("asksize", "as"),
    "last_size": ("lastsize", "ls"),
    "mark": ("mark",),
    "high_52w": ("52high", "52wkhigh", "52weekhigh", "high52"),
    "low_52w": ("52low", "52wklow", "52weeklow", "low52"),
    "open_interest": ("openint", "openinterest", "oi"),
}
"""Quote field -> header spellings, compared lower-case without spaces, `_`, `-` or `.`."""

ALIAS_TO_FIELD = {alias: field for field, names in HEADER_ALIASES.items() for alias in names}

TOPIC_TO_FIELD = {
    "LAST": "last", "BID": "bid", "ASK": "ask", "VOLUME": "volume", "OPEN": "open",
    "HIGH": "high", "LOW": "low", "CLOSE": "close", "NET_CHANGE": "net_change",
    "PERCENT_CHANGE": "percent_change", "BID_SIZE": "bid_size", "ASK_SIZE": "ask_size",
    "LAST_SIZE": "last_size", "MARK": "mark", "52HIGH": "high_52w", "52LOW": "low_52w",
    "DESCRIPTION": "description", "OPEN_INT": "open_interest",
}  # fmt: skip
"""TOS RTD topic -> quote field, for columns whose header says nothing we know."""

# =RTD("tos.rtd",,"LAST","/ES:XCME") or =RTD("TOS.RTD","","LAST",$B2), possibly nested.
RTD_CALL = re.compile(
    r'RTD\(\s*"tos\.rtd"\s*,\s*(?:""\s*)?,\s*"([^"]*)"\s*,\s*(?:"([^"]*)"|\$?[A-Z]{1,3}\$?\d+)',
    re.IGNORECASE,
)


def header_key(header: Any) -> str:
    """`"Net Chng"` -> `"netchng"`: the form aliases are compared in."""
    return re.sub(r"[\s_.\-]+", "", str(header)).lower()


def field_for_header(header: Any) -> str | None:
    """The quote field a header names, or None (e.g. `Type`, `Quote Trend`)."""
    return None if header is None else ALIAS_TO_FIELD.get(header_key(header))


def parse_rtd(formula: Any) -> tuple[str, str | None] | None:
    """`=RTD("tos.rtd",,"LAST","/ES:XCME")` -> `("LAST", "/ES:XCME")`; a cell-ref symbol is None."""
    if not isinstance(formula, str) or not formula.startswith("="):
        return None
    match = RTD_CALL.search(formula)
    if not match:
        return None
    symbol = match.group(2)
    return match.group(1).strip().upper(), (symbol.strip() or None) if symbol else None


def field_for_topic(topic: str) -> str | None:
    """The quote field of an RTD topic, or None for topics a quote does not carry."""
    return TOPIC_TO_FIELD.get(topic.upper())
