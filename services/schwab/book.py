"""Delta-only LEVELONE frames merged into full per-symbol state, and ACCT_ACTIVITY items
decoded; pure, so it is tested without a socket."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from livedata.exceptions import InvalidQuote
from livedata.quotes import build_quote
from services.schwab.protocol import (
    ACTIVE_SYMBOL,
    ACTIVITY,
    ASSET_TYPES,
    FIELD_MAPS,
    QUOTE_TIME,
    TRADE_TIME,
)

log = logging.getLogger("livedata.schwab.book")
SOURCE = "schwab"
_INTERNAL = (QUOTE_TIME, TRADE_TIME, ACTIVE_SYMBOL)


class QuoteBook:
    """The last known value of every field of every key, as Schwab sends only changes."""

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        self.aliases = aliases or {}
        self.state: dict[str, dict[str, Any]] = {}
        self.services: dict[str, str] = {}

    def apply(self, entry: Mapping[str, Any]) -> list[str]:
        """Merge one `data` entry; the keys it touched (none for services we do not map)."""
        service = entry.get("service", "")
        names = FIELD_MAPS.get(service)
        if names is None:
            return []
        touched = []
        for item in entry.get("content", []):
            key = item.get("key")
            if not isinstance(key, str) or not key:
                continue
            state = self.state.setdefault(key, {})
            state.update((names[fid], value) for fid, value in item.items() if fid in names)
            if isinstance(item.get("delayed"), bool):
                state["delayed"] = item["delayed"]
            self.services[key] = service
            touched.append(key)
        return touched

    def quote(self, key: str, now: datetime | None = None) -> dict[str, Any]:
        """The contract quote of `key` from its merged state; InvalidQuote if unusable."""
        state = self.state[key]
        payload = {name: value for name, value in state.items() if name not in _INTERNAL}
        times = [t for t in (state.get(QUOTE_TIME), state.get(TRADE_TIME)) if _is_time(t)]
        payload["timestamp"] = max(times) if times else None  # None: the receive time
        payload["asset_type"] = ASSET_TYPES[self.services[key]]
        if isinstance(state.get(ACTIVE_SYMBOL), str):  # /ES -> the contract, e.g. /ESZ26
            payload["provider_symbol"] = state[ACTIVE_SYMBOL]
        return build_quote(payload, symbol=key, source=SOURCE, aliases=self.aliases, now=now)

    def quotes(self, keys: Iterable[str], now: datetime | None = None) -> list[dict[str, Any]]:
        """Quotes of `keys` (each once); a key with unusable data is logged and skipped."""
        built = []
        for key in dict.fromkeys(keys):
            try:
                built.append(self.quote(key, now))
            except InvalidQuote as exc:
                log.warning("skipping %s: %s", key, exc)
        return built

    def forget(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.state.pop(key, None)
            self.services.pop(key, None)


def _is_time(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def activity_items(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """ACCT_ACTIVITY content as `{seq, account_number, message_type, data}`; field 3 is a JSON
    string to parse again (plain text or null on ERROR messages)."""
    if entry.get("service") != ACTIVITY:
        return []
    items = []
    for item in entry.get("content", []):
        raw = item.get("3")
        try:
            data = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            data = raw
        items.append(
            {
                "seq": item.get("seq"),
                "account_number": str(item.get("1", "")),
                "message_type": item.get("2"),
                "data": data,
            }
        )
    return items
