"""The quote payload (contract v1): symbol normalization, validation and JSON encoding.

Every provider turns its data into a quote with `build_quote`; the bus only ever publishes
what it returns, so consumers can rely on the shape: JSON numbers or null for prices,
UTC ISO-8601 `Z` times, upper-case symbols without TOS decorations.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import orjson

from livedata.exceptions import InvalidQuote, InvalidSymbol

SYMBOL_CHARS = re.compile(r"[A-Z0-9/$._:\-]{1,32}")
"""What a symbol may hold once upper-cased: Schwab (`/ESZ26`, `$SPX`, `BRK.B`) and TOS
(`/ES:XCME`) forms included. Anything else is refused before it reaches Redis."""

NUMBER_FIELDS = frozenset(
    {
        "bid", "ask", "last", "volume", "bid_size", "ask_size", "last_size", "open", "high",
        "low", "close", "net_change", "percent_change", "mark", "high_52w", "low_52w",
        "open_interest",
    }
)  # fmt: skip
TEXT_FIELDS = frozenset({"description", "status", "asset_type", "provider_symbol"})
FLAG_FIELDS = frozenset({"delayed", "stale"})
CORE_FIELDS = ("bid", "ask", "last", "volume")
"""Always present in a published quote (null when the provider has no value)."""

META_FIELDS = frozenset({"type", "symbol", "timestamp", "source", "received_at", "seq"})
"""Fields build_quote sets itself (from the payload's value, an argument or the clock)."""
ALLOWED_FIELDS = NUMBER_FIELDS | TEXT_FIELDS | FLAG_FIELDS | META_FIELDS

_KIND = {
    **dict.fromkeys(NUMBER_FIELDS, "number"),
    **dict.fromkeys(TEXT_FIELDS, "text"),
    **dict.fromkeys(FLAG_FIELDS, "flag"),
    **dict.fromkeys(META_FIELDS, "meta"),
}
_TEMPLATE = dict.fromkeys(("type", "symbol", *CORE_FIELDS, "timestamp", "source", "received_at"))
"""A quote's leading keys in their order; core fields stay null unless the payload has them."""
MAX_TEXT = 200
MAX_MAGNITUDE = 10**300
"""Numbers this large are refused: a JSON reader would turn them into Infinity, and text
such as "1e99999999" would otherwise become a 100-million-digit int (minutes of CPU)."""


def normalize_symbol(raw: str, aliases: Mapping[str, str] | None = None) -> str:
    """`" /es:XCME "` -> `"ES"`: strip, upper-case, drop a leading `/` and a `:MARKET` suffix.

    `aliases` (from SYMBOL_ALIASES) maps a provider's name to the consumers' name; it is
    looked up with the raw upper-cased form and with the normalized one.
    """
    return _symbol_parts(raw, aliases)[1]


def _symbol_parts(raw: Any, aliases: Mapping[str, str] | None) -> tuple[str, str]:
    """(the raw symbol stripped and upper-cased, the normalized symbol)."""
    if not isinstance(raw, str):
        raise InvalidSymbol(f"symbol must be a string, got {type(raw).__name__}")
    # Providers repeat a handful of symbols, so the checks are cached; a long string is
    # checked uncached (it fails the 32-character rule anyway) so it cannot fill the cache.
    upper, symbol = _checked_symbol(raw) if len(raw) <= 64 else _check_symbol(raw)
    if aliases:
        symbol = aliases.get(upper) or aliases.get(symbol) or symbol
    return upper, symbol


def _check_symbol(raw: str) -> tuple[str, str]:
    stripped = raw.strip()
    upper = stripped.upper()
    # ASCII first: "ß".upper() is "SS" and "ﬀ".upper() is "FF", which would pass the check.
    if not stripped.isascii() or not SYMBOL_CHARS.fullmatch(upper):
        raise InvalidSymbol(f"symbol {raw[:40]!r} must be 1-32 characters of A-Z 0-9 / $ . _ : -")
    symbol = upper.removeprefix("/").partition(":")[0]
    if not symbol:
        raise InvalidSymbol(f"symbol {raw[:40]!r} has no name once '/' and ':MARKET' are dropped")
    return upper, symbol


_checked_symbol = lru_cache(maxsize=4096)(_check_symbol)


# Why build_quote is written out long-hand: it runs for every quote of every provider, and
# on these machines each Python call it avoids is worth ~0.1 us of a ~3 us budget.
def build_quote(
    payload: Mapping[str, Any],
    *,
    symbol: str | None = None,
    source: str | None = None,
    aliases: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Validate `payload` and return the contract's quote dict (without `seq`).

    `symbol` and `source` fill in (and win over) the payload's own. A missing `timestamp`
    becomes the receive time. Raises `InvalidQuote` naming the offending field.
    """
    if type(payload) is not dict and not isinstance(payload, Mapping):
        raise InvalidQuote(f"a quote must be a mapping, got {type(payload).__name__}")
    get = payload.get
    raw_symbol = symbol if symbol is not None else get("symbol")
    try:
        upper, clean_symbol = _symbol_parts(raw_symbol, aliases)
    except InvalidSymbol as exc:
        raise InvalidQuote(str(exc)) from None
    quote = _TEMPLATE.copy()
    quote["type"], quote["symbol"] = "quote", clean_symbol
    _copy_fields(payload, quote)
    timestamp, received = get("timestamp"), get("received_at")
    if not (timestamp and received):
        clock = now or datetime.now(UTC)
        timestamp, received = timestamp or clock, received or clock
    quote["timestamp"] = to_iso(timestamp, "timestamp")
    quote["source"] = _text(source if source is not None else get("source") or "unknown")
    # The same object for both is common: providers without a clock of their own.
    same = received is timestamp
    quote["received_at"] = quote["timestamp"] if same else to_iso(received, "received_at")
    if "provider_symbol" not in quote and upper != clean_symbol:
        quote["provider_symbol"] = raw_symbol.strip()  # type: ignore[union-attr]
    return quote


def _copy_fields(payload: Mapping[str, Any], quote: dict[str, Any]) -> None:
    """Check and copy every number, text and flag field; refuse unknown fields."""
    for name, value in payload.items():
        kind = _KIND.get(name)
        if kind == "number":
            # Inline fast paths for finite floats (NaN and inf fail x - x == 0) and plain ints.
            if type(value) is float:
                if value - value != 0.0:
                    value = to_number(value, name)
            elif type(value) is not int or not -MAX_MAGNITUDE < value < MAX_MAGNITUDE:
                value = to_number(value, name)
        elif kind == "meta":
            continue
        elif kind == "text":
            value = None if value is None else _text(value, name)
        elif kind == "flag":
            if not isinstance(value, bool):
                raise InvalidQuote(f"{name} must be true or false, got {value!r}")
        else:
            unknown = sorted(set(map(str, payload)) - ALLOWED_FIELDS)
            raise InvalidQuote(f"unknown quote field(s): {', '.join(unknown)}")
        quote[name] = value


def to_number(value: Any, name: str = "value") -> int | float | None:
    """A JSON number from int/float/Decimal/numeric text; None stays None; NaN/inf refused."""
    kind = type(value)
    if kind is float and value - value == 0.0:  # the hot path; NaN and inf fail x - x == 0
        return value
    if value is None or (kind is int and -MAX_MAGNITUDE < value < MAX_MAGNITUDE):
        return value
    if isinstance(value, bool):
        raise InvalidQuote(f"{name} must be a number, got a boolean")
    if isinstance(value, int):
        if -MAX_MAGNITUDE < value < MAX_MAGNITUDE:
            return value
        raise InvalidQuote(f"{name} is out of range (1e300 or more)")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidQuote(f"{name} must be a finite number, got {value}")
        return value
    if isinstance(value, Decimal | str):
        return _parse_decimal(value, name)
    raise InvalidQuote(f"{name} must be a number, got {type(value).__name__}")


def _parse_decimal(value: Decimal | str, name: str) -> int | float:
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidQuote(f"{name} must be a number, got {str(value)[:40]!r}") from None
    if not number.is_finite():
        raise InvalidQuote(f"{name} must be a finite number, got {value}")
    if number.adjusted() >= 300:  # checked before int() or float() can blow up
        raise InvalidQuote(f"{name} is out of range (1e300 or more)")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:  # "123456" stays an integer
        return int(number)
    return float(number)


def to_iso(value: Any, name: str = "timestamp") -> str:
    """UTC ISO-8601 with milliseconds and `Z` from a datetime, ISO text or epoch s/ms."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidQuote(f"{name} must be ISO-8601, got {value[:40]!r}") from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        seconds = value / 1000 if value > 1e11 else value  # epoch ms from brokers, else s
        moment = datetime.fromtimestamp(seconds, UTC)
    else:
        raise InvalidQuote(f"{name} must be a time, got {value!r}"[:120])
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return _format_utc(moment)


# Why not isoformat(timespec="milliseconds"): it goes through printf and costs a tenth of
# build_quote. Quotes arrive many to a second, so the text up to the second is cached, and
# the milliseconds (cut, not rounded, as timespec would) come from a table.
_SECONDS: dict[tuple[int, ...], str] = {}
_MILLIS = tuple(f".{ms:03d}Z" for ms in range(1000))


def _format_utc(moment: datetime) -> str:
    key = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    head = _SECONDS.get(key)
    if head is None:
        if len(_SECONDS) >= 4096:  # a bound, not an LRU: a new second rarely repeats old ones
            _SECONDS.clear()
        head = _SECONDS[key] = moment.replace(microsecond=0, tzinfo=None).isoformat()
    return head + _MILLIS[moment.microsecond // 1000]


@lru_cache(maxsize=4096)
def epoch_ms(iso: str) -> int:
    """Milliseconds since the epoch of a contract timestamp (`...Z`).

    Cached: the snapshot endpoint reads the same quote for many requests between updates.
    """
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def _text(value: Any, name: str = "source") -> str:
    if not isinstance(value, str):
        raise InvalidQuote(f"{name} must be text, got {type(value).__name__}")
    return value.strip()[:MAX_TEXT]


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def encode(quote: Mapping[str, Any]) -> bytes:
    """Compact JSON bytes of a quote built by `build_quote`.

    orjson, because the publish path encodes every quote: it is ~10x faster than the json
    module here (float formatting dominates). It refuses integers beyond 64 bits, which
    `build_quote` accepts up to 1e300; those take the json module's slower path. NaN and
    Infinity, which `build_quote` refuses, would become null.
    """
    try:
        return orjson.dumps(quote)
    except orjson.JSONEncodeError:
        try:
            return _ENCODER.encode(quote).encode()
        except (ValueError, TypeError) as exc:
            raise InvalidQuote(f"quote is not valid JSON: {exc}") from None


def encode_event(event: Mapping[str, Any]) -> str:
    """Compact JSON of any payload: Decimal -> number, datetime -> ISO `Z`; NaN refused."""
    try:
        return json.dumps(event, separators=(",", ":"), allow_nan=False, default=_jsonable)
    except ValueError as exc:
        raise InvalidQuote(f"payload is not valid JSON: {exc}") from None


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return to_number(value)
    if isinstance(value, datetime):
        return to_iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
