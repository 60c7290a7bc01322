"""The one write path onto Redis, and the snapshot reads.

A batch of quotes costs one round trip: a Lua script (`publish.lua`, EVALSHA, reloaded on
NOSCRIPT) does, per quote and atomically, the no-going-backwards check, the per-symbol `seq`,
the snapshot hash write, the capped stream append and the PUBLISH. The snapshot, the stream
entry and the message carry the same JSON, `seq` and `stream_id` included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import redis

from livedata import channels
from livedata.connections import bytes_client, redis_client
from livedata.exceptions import InvalidAccountEvent, InvalidQuote
from livedata.quotes import build_quote, encode, encode_event, epoch_ms, to_iso
from livedata.settings import Settings

PUBLISH_SCRIPT = (Path(__file__).parent / "publish.lua").read_text()
"""Per batch: seq, snapshot hash, capped stream and PUBLISH of each quote (see the file)."""

SCRIPT_CHUNK = 1000
"""Quotes per EVALSHA: bounds how long one script holds Redis for a huge batch."""

ACCOUNT_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
FULL_ACCOUNT_NUMBER = re.compile(r"\d{6,}")


class Published(NamedTuple):
    """What the bus did with one quote: its seq and stream id, or refused as older."""

    symbol: str
    seq: int
    stream_id: str

    @property
    def accepted(self) -> bool:
        return self.seq > 0


class Bus:
    """Publishes quotes and account events, and reads the snapshot."""

    def __init__(self, client: redis.Redis, settings: Settings | None = None) -> None:
        self.redis = client
        self.settings = settings or Settings()
        self._script = client.register_script(PUBLISH_SCRIPT)
        self._bytes: redis.Redis | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Bus:
        return cls(redis_client(settings), settings)

    def close(self) -> None:
        """Close the connection pools (tests, and processes that build many buses)."""
        self.redis.close()
        if self._bytes is not None:
            self._bytes.close()

    def publish_quote(
        self, symbol: str, payload: Mapping[str, Any], source: str | None = None
    ) -> Published:
        """Validate and publish one quote; see `publish_quotes`."""
        quote = build_quote(payload, symbol=symbol, source=source, aliases=self._aliases)
        return self.write_quotes([quote])[0]

    def publish_quotes(
        self, batch: Iterable[Mapping[str, Any]], source: str | None = None
    ) -> list[Published]:
        """Validate every payload (each carries its `symbol`), then publish all at once.

        A bad payload raises `InvalidQuote` before anything is written.
        """
        quotes = [build_quote(p, source=source, aliases=self._aliases) for p in batch]
        return self.write_quotes(quotes)

    def write_quotes(self, quotes: Sequence[Mapping[str, Any]]) -> list[Published]:
        """Publish quotes already built by `build_quote` (one round trip per 1,000)."""
        results: list[Published] = []
        for start in range(0, len(quotes), SCRIPT_CHUNK):
            chunk = quotes[start : start + SCRIPT_CHUNK]
            args: list[Any] = [self.settings.quote_stream_maxlen, *_SCRIPT_ARGS]
            for quote in chunk:
                # A quote read back from Redis: the script gives it a new seq and stream id.
                if "seq" in quote or "stream_id" in quote:
                    quote = {k: v for k, v in quote.items() if k not in _ASSIGNED}
                args += (quote["symbol"], epoch_ms(quote["timestamp"]), encode(quote)[:-1])
            reply = self._script(keys=_SCRIPT_KEYS, args=args)
            symbols = [q["symbol"] for q in chunk]
            results += map(_published, zip(symbols, reply[0::2], reply[1::2], strict=True))
        return results

    def publish_account(self, kind: str, account_id: str, payload: Mapping[str, Any]) -> None:
        """Publish positions/balances/orders/transactions; keep the latest of the first two."""
        event = build_account_event(kind, account_id, payload)
        try:
            body = encode_event(event)
        except (InvalidQuote, TypeError) as exc:
            raise InvalidAccountEvent(f"{kind} payload: {exc}") from None
        pipe = self.redis.pipeline(transaction=True)
        pipe.publish(channels.account_channel(kind, event["account_id"]), body)
        if kind in channels.ACCOUNT_KINDS_WITH_LATEST:
            pipe.hset(channels.latest_account(kind), event["account_id"], body)
        pipe.execute()

    def snapshot_raw(self, symbols: Sequence[str]) -> list[bytes | None]:
        """The stored JSON bytes of each normalized symbol, None where none (one HMGET)."""
        if not symbols:
            return []
        if self._bytes is None:
            self._bytes = bytes_client(self.redis)
        return self._bytes.hmget(channels.LATEST_QUOTES, list(symbols))  # type: ignore[return-value]

    def snapshot(self, symbols: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """The latest quote of each normalized symbol, None where none."""
        raw = self.snapshot_raw(symbols)
        return {s: (json.loads(r) if r else None) for s, r in zip(symbols, raw, strict=True)}

    def latest_account(self, kind: str, account_id: str) -> dict[str, Any] | None:
        """The last positions or balances published for one account."""
        raw = self.redis.hget(channels.latest_account(kind), account_id)
        return json.loads(raw) if raw else None

    @property
    def _aliases(self) -> Mapping[str, str]:
        return self.settings.symbol_aliases


_SCRIPT_KEYS = (channels.LATEST_QUOTES, channels.QUOTE_STREAM, channels.QUOTE_STATE)
_SCRIPT_ARGS = (channels.QUOTE_CHANNEL_PREFIX, channels.QUOTE_STATE_STREAM_FIELD)
_published = partial(tuple.__new__, Published)
"""Published from a (symbol, seq, stream id) tuple, without a Python call per quote."""
_ASSIGNED = frozenset({"seq", "stream_id"})
"""The fields the script gives each quote."""


def stream_entry_quote(stream_id: str, text: str) -> str:
    """The quote of a stream entry, as the snapshot and the channel carry it.

    Entries hold their own `stream_id`; older ones (written before they did, and still in
    the stream after an upgrade) get it appended.
    """
    if text.endswith(f'"stream_id":"{stream_id}"}}'):
        return text
    return f'{text[:-1]},"stream_id":"{stream_id}"}}'


def build_account_event(kind: str, account_id: str, payload: Mapping[str, Any]) -> dict:
    """Check kind and account id, and stamp `type`, `account_id` and `timestamp`."""
    if kind not in channels.ACCOUNT_KINDS:
        raise InvalidAccountEvent(
            f"account kind must be one of {', '.join(channels.ACCOUNT_KINDS)}, got {kind!r}"
        )
    if not isinstance(account_id, str) or not ACCOUNT_ID.fullmatch(account_id):
        raise InvalidAccountEvent("account_id must be 1-128 characters of A-Z a-z 0-9 . _ -")
    if FULL_ACCOUNT_NUMBER.fullmatch(account_id):
        raise InvalidAccountEvent(
            "account_id looks like a full account number; publish the broker's account "
            "hash or a configured alias instead"
        )
    if not isinstance(payload, Mapping):
        raise InvalidAccountEvent(f"{kind} payload must be a mapping")
    event = dict(payload)
    event["type"] = kind
    event["account_id"] = account_id
    event["timestamp"] = to_iso(payload.get("timestamp") or datetime.now(UTC))
    return event


class _DefaultBus:
    """`live_data_redis`: a Bus built from the environment on first use.

    Keeps the original README's provider snippet working:
    `live_data_redis.publish_quote("ES", {"bid": 4712.25, ...})`.
    """

    _bus: Bus | None = None

    def __getattr__(self, name: str) -> Any:
        if self._bus is None:
            self._bus = Bus.from_settings(Settings.from_env())
        return getattr(self._bus, name)


live_data_redis = _DefaultBus()
