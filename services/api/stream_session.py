"""One SSE client's quote stream: snapshot or replay first, then live quotes, gap-free.

Every event a client receives carries the quote's stream id as its SSE `id:`, so a client
that reconnects with `Last-Event-ID` is replayed exactly what it missed from the capped
stream; when those entries have been trimmed away it gets a fresh snapshot instead.
Duplicates (the subscriber and the replay overlap by design) are dropped by `seq`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

from livedata import channels, sse
from livedata.bus import Bus, stream_entry_quote
from livedata.fanout import QUOTE_TAIL, Fanout, Subscription

KEEPALIVE = 15.0
"""Seconds of silence before a keepalive comment."""

RETRY_MS = 2000
REPLAY_LIMIT = 10_000
"""Most stream entries replayed on resume; a longer outage gets a fresh snapshot."""

SHUTDOWN = threading.Event()
"""Set on SIGTERM (see gunicorn_conf): every stream ends within a second."""

FIRST_CONNECT_WAIT = 1.0
"""Seconds a stream opened before its worker's subscriber ever connected waits for it."""

GONE_CHECK_EVERY = 0.5
"""Seconds between checks that the client is still connected."""


def disconnect_check(environ: dict) -> Callable[[], bool]:
    """A check that the client closed its connection, without writing to it.

    Writing is how a stream would notice otherwise: on a quiet symbol that is the keepalive,
    15 s later (30 s: the first write after a close still succeeds), and until then the
    stream holds one of SSE_MAX_STREAMS slots -- a burst of reconnecting clients would run
    the server out of them. gunicorn hands the client socket over; other servers do not.
    """
    sock = environ.get("gunicorn.socket")
    if not isinstance(sock, socket.socket):
        return lambda: False

    def gone() -> bool:
        try:
            return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False  # connected, nothing sent: as an SSE client should be
        except ConnectionError:
            return True
        except (ValueError, OSError):  # a TLS socket takes no flags: keep the old behaviour
            return False

    return gone


class QuoteStream:
    """Yields the SSE bytes of one client; `close()` must follow (the view ensures it)."""

    def __init__(
        self,
        bus: Bus,
        fanout: Fanout,
        symbols: list[str],
        last_id: str | None,
        conflate_ms: int | None,
        client_gone: Callable[[], bool] = lambda: False,
    ) -> None:
        self.bus, self.fanout, self.symbols = bus, fanout, symbols
        self._client_gone, self._checked = client_gone, time.monotonic()
        self.wanted = set(symbols)
        self.last_id, self.conflate_ms = last_id, conflate_ms
        self.sent_seq: dict[str, int] = {}
        self._last_beat = time.monotonic()
        # Subscribe before reading the snapshot: a quote published in between is then in
        # the queue, in the snapshot, or both -- never in neither.
        self.sub: Subscription | None = None
        if conflate_ms is None:
            self.sub = fanout.subscribe(channels.quote_channel(s) for s in symbols)
            if fanout.generation == 0:
                # The worker's subscriber has never been live: until it is, nothing reaches
                # the queue, and a reconnect flag cannot tell us what we missed meanwhile.
                fanout.wait_live(FIRST_CONNECT_WAIT)

    def close(self) -> None:
        if self.sub is not None:
            self.fanout.unsubscribe(self.sub)

    def opening(self) -> bytes:
        """The retry hint and the replay or snapshot, read before the response starts.

        Read eagerly so that Redis being away is a 503 the client can see, not a stream
        that breaks after its 200.
        """
        replayed = self._replay() if self.last_id is not None else None
        events = replayed if replayed is not None else [self._snapshot()]
        return sse.retry(RETRY_MS) + b"".join(events)

    def events(self) -> Iterator[bytes]:
        """Everything after the opening: live quotes, or conflated ones."""
        yield from (self._conflated() if self.conflate_ms else self._live())

    def _live(self) -> Iterator[bytes]:
        assert self.sub is not None
        while not SHUTDOWN.is_set() and not self._gone():
            messages, resync = self.sub.take(timeout=1.0)
            # Catch up first: the replay (or snapshot) covers what was missed before the
            # queued messages, which then pass only where newer (seq); the other way round,
            # the replay would start after the newest of them and the gap would stay.
            if resync == "slow":
                yield sse.event("resync", '{"reason":"slow"}')
                yield self._snapshot()
            elif resync:
                yield from self._recover(resync)
            for message in messages:
                if message.symbol is not None and self._is_new(message.symbol, message.seq):
                    self.last_id = message.stream_id or self.last_id
                    yield sse.event("quote", message.data, message.stream_id)
            if not messages and not resync:
                yield from self._keepalive()

    def _recover(self, reason: str) -> Iterator[bytes]:
        """After the subscriber reconnected: replay the gap, or resync when it is gone."""
        replayed = self._replay()
        if replayed is None:
            yield sse.event("resync", json.dumps({"reason": reason}))
            yield self._snapshot()
        else:
            yield from replayed

    def _conflated(self) -> Iterator[bytes]:
        """At most one event per symbol per interval: the cost no longer grows with the rate."""
        assert self.conflate_ms is not None
        while not SHUTDOWN.wait(self.conflate_ms / 1000) and not self._gone():
            raw = self._latest()
            for stored in raw:
                if stored is None:
                    continue
                symbol, seq, stream_id = _describe(stored)
                if self._is_new(symbol, seq):
                    yield sse.event("quote", stored, stream_id)
            yield from self._keepalive()

    def _gone(self) -> bool:
        """Has the client left? Asked at most every GONE_CHECK_EVERY seconds."""
        now = time.monotonic()
        if now - self._checked < GONE_CHECK_EVERY:
            return False
        self._checked = now
        return self._client_gone()

    def _keepalive(self) -> Iterator[bytes]:
        """A comment after KEEPALIVE seconds of silence; writing it also reveals a gone client."""
        now = time.monotonic()
        if now - self._last_beat >= KEEPALIVE:
            self._last_beat = now
            yield sse.comment("keepalive")

    def _snapshot(self) -> bytes:
        raw = self._latest()
        quotes = [q for q in raw if q is not None]
        ids = []
        for stored in quotes:
            symbol, seq, stream_id = _describe(stored)
            self.sent_seq[symbol] = max(seq, self.sent_seq.get(symbol, 0))
            ids.append(stream_id)
        newest = max(ids, key=sse.stream_id_key, default=None)
        self.last_id = newest or self.last_id
        body = b'{"quotes":[%s],"count":%d}' % (b",".join(quotes), len(quotes))
        return sse.event("snapshot", body, newest)

    def _replay(self) -> list[bytes] | None:
        """The events the stream holds after `last_id`; None when a snapshot is needed."""
        if self.last_id is None or not self._still_in_stream(self.last_id):
            return None
        entries = self.bus.redis.xrange(
            channels.QUOTE_STREAM, min=f"({self.last_id}", count=REPLAY_LIMIT + 1
        )
        if len(entries) > REPLAY_LIMIT:
            return None
        events = []
        for stream_id, fields in entries:
            symbol = fields.get("symbol")
            if symbol in self.wanted and self._is_new(symbol, json.loads(fields["quote"])["seq"]):
                events.append(
                    sse.event("quote", stream_entry_quote(stream_id, fields["quote"]), stream_id)
                )
            self.last_id = stream_id
        return events

    def _still_in_stream(self, last_id: str) -> bool:
        first = self.bus.redis.xrange(channels.QUOTE_STREAM, count=1)
        return bool(first) and sse.stream_id_key(first[0][0]) <= sse.stream_id_key(last_id)

    def _latest(self) -> list[bytes | None]:
        mirrored = self.fanout.snapshot(self.symbols)
        return mirrored if mirrored is not None else self.bus.snapshot_raw(self.symbols)

    def _is_new(self, symbol: str, seq: int) -> bool:
        if seq <= self.sent_seq.get(symbol, 0):
            return False
        self.sent_seq[symbol] = seq
        return True


def _describe(stored: bytes) -> tuple[str, int, str]:
    """symbol, seq and stream id of a stored quote, without parsing all of it."""
    start = stored.index(b'"symbol":"') + 10
    symbol = stored[start : stored.index(b'"', start)].decode()
    match = QUOTE_TAIL.search(stored)
    return (symbol, int(match[1]), match[2].decode()) if match else (symbol, 0, "")
