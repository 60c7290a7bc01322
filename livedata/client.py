"""The consumer library: a snapshot, then live quotes with no gap and no duplicate.

    client = LiveDataClient(redis_url="redis://localhost:6379/0")   # or api_url="http://..."
    for quote in client.subscribe(["ES", "NQ"]):
        print(quote["symbol"], quote["last"], quote["seq"])

`subscribe` yields the current quote of each symbol first, then every update, in `seq` order
per symbol. Against Redis it subscribes before reading the snapshot (so nothing published in
between is lost), drops what is not newer, and after a reconnect or a `seq` gap replays what
it missed from the stream (or, when that was trimmed away, takes a fresh snapshot). Against
the API it reads the SSE endpoint and resumes with `Last-Event-ID`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import redis
import requests

from livedata import channels, sse
from livedata.connections import REDIS_ERRORS
from livedata.provider import Backoff
from livedata.quotes import normalize_symbol

log = logging.getLogger("livedata.client")
Quote = dict[str, Any]

PING_EVERY = 1.0
"""Seconds between PINGs on the pub/sub connection while it is quiet."""

SILENT_AFTER = 3.0
"""A pub/sub connection that heard nothing (not even a PONG) for this long is dead:
a frozen Redis or a half-open TCP connection never says so by itself."""


class LiveDataClient:
    """Reads LiveData over Redis (`redis_url`) or over the HTTP API (`api_url`)."""

    def __init__(self, redis_url: str | None = None, api_url: str | None = None) -> None:
        if not redis_url and not api_url:
            raise ValueError("LiveDataClient needs redis_url or api_url")
        self.redis_url, self.api_url = redis_url, api_url.rstrip("/") if api_url else None
        self.stop = threading.Event()  # set by close(); ends a subscribe() loop
        self._redis: redis.Redis | None = None
        self._response: requests.Response | None = None
        self.reconnects = 0
        """Connections lost (Redis or the SSE stream) and resumed since this client began."""
        self.resyncs = 0
        """Gaps filled: seq gaps replayed from the stream, and the API's `resync` events."""

    def close(self) -> None:
        """End `subscribe` from any thread; its connections are released as it returns."""
        self.stop.set()
        if self._response is not None:
            _interrupt(self._response)

    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            assert self.redis_url
            self._redis = redis.Redis.from_url(
                self.redis_url, decode_responses=True, socket_connect_timeout=1, socket_timeout=5
            )
        return self._redis

    def snapshot(self, symbols: Iterable[str]) -> dict[str, Quote | None]:
        """The latest quote of each symbol (None where there is none)."""
        names = [normalize_symbol(s) for s in symbols]
        if self.api_url and not self.redis_url:
            resp = requests.get(
                f"{self.api_url}/api/feed/quotes/snapshot/",
                params={"symbols": ",".join(names)},
                timeout=5,
            )
            resp.raise_for_status()
            found = {q["symbol"]: q for q in resp.json()["quotes"]}
            return {name: found.get(name) for name in names}
        raw = self.redis.hmget(channels.LATEST_QUOTES, names)
        return {n: (json.loads(r) if r else None) for n, r in zip(names, raw, strict=True)}

    def subscribe(self, symbols: Iterable[str]) -> Iterator[Quote]:
        """Current quotes, then every update, gap-free and in seq order per symbol."""
        names = [normalize_symbol(s) for s in symbols]
        tracker = SeqTracker()
        source = self._redis_quotes if self.redis_url else self._sse_quotes
        try:
            for quote in source(names, tracker):
                if tracker.accept(quote):
                    yield quote
        finally:
            if self._redis is not None:  # the pubsub loop notices stop within a second
                self._redis.close()
                self._redis = None

    def _redis_quotes(self, names: list[str], tracker: SeqTracker) -> Iterator[Quote]:
        backoff = Backoff(cap=2.0)
        while not self.stop.is_set():
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(*(channels.quote_channel(n) for n in names))
                pubsub.get_message(timeout=1)  # wait until the subscription is live
                yield from self._catch_up(names, tracker)
                backoff.reset()
                yield from self._listen(pubsub, names, tracker)
            except REDIS_ERRORS as exc:
                self.reconnects += 1
                log.warning("lost Redis (%s); resubscribing", type(exc).__name__)
                self.stop.wait(backoff.next_delay())
            finally:
                pubsub.close()

    def _listen(self, pubsub, names: list[str], tracker: SeqTracker) -> Iterator[Quote]:
        heard = next_ping = time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            if now >= next_ping:
                pubsub.ping()
                next_ping = now + PING_EVERY
            if now - heard > SILENT_AFTER:
                raise redis.TimeoutError("heard nothing from Redis, not even a PONG")
            message = pubsub.get_message(timeout=max(0.0, next_ping - now))
            if message is None:
                continue
            heard = time.monotonic()
            if message["type"] != "message":
                continue  # a PONG
            quote = json.loads(message["data"])
            if tracker.is_gap(quote):  # we missed something: fill it from the stream
                self.resyncs += 1
                yield from self._catch_up(names, tracker)
            yield quote

    def _catch_up(self, names: list[str], tracker: SeqTracker) -> Iterator[Quote]:
        """Replay the stream after the last id seen, or take a snapshot when we can't."""
        if tracker.last_id and self._in_stream(tracker.last_id):
            for stream_id, fields in self.redis.xrange(
                channels.QUOTE_STREAM, min=f"({tracker.last_id}"
            ):
                if fields["symbol"] in names:
                    yield {**json.loads(fields["quote"]), "stream_id": stream_id}
            return
        yield from (q for q in self.snapshot(names).values() if q is not None)

    def _in_stream(self, last_id: str) -> bool:
        first = self.redis.xrange(channels.QUOTE_STREAM, count=1)
        return bool(first) and sse.stream_id_key(first[0][0]) <= sse.stream_id_key(last_id)

    def _sse_quotes(self, names: list[str], tracker: SeqTracker) -> Iterator[Quote]:
        backoff = Backoff(cap=2.0)
        url = f"{self.api_url}/api/feed/quotes/stream/"
        while not self.stop.is_set():
            headers = {"Last-Event-ID": tracker.last_id} if tracker.last_id else {}
            try:
                with requests.get(
                    url,
                    params={"symbols": ",".join(names)},
                    headers=headers,
                    stream=True,
                    timeout=(3, 30),
                ) as resp:
                    self._response = resp
                    resp.raise_for_status()
                    backoff.reset()
                    yield from self._read_events(resp)
            except (requests.RequestException, OSError) as exc:
                if self.stop.is_set():
                    return  # close() cut the connection on purpose
                self.reconnects += 1
                log.warning("lost the stream (%s); resuming", type(exc).__name__)
                self.stop.wait(backoff.next_delay())
            except (AttributeError, ValueError):
                # close() from another thread can pull the response out from under a read
                # (http.client then reads from None or from a closed file): that is the end.
                if self.stop.is_set():
                    return
                raise

    def _read_events(self, resp: requests.Response) -> Iterator[Quote]:
        lines: Iterator[str] = resp.iter_lines(decode_unicode=True)  # type: ignore[assignment]
        for event in sse.parse(lines):
            if self.stop.is_set():
                return
            if event.name == "snapshot":
                yield from json.loads(event.data)["quotes"]
            elif event.name == "quote":
                yield json.loads(event.data)
            elif event.name == "resync":  # the API could not replay: a snapshot follows
                self.resyncs += 1


def _interrupt(resp: requests.Response) -> None:
    """Unblock a thread reading `resp`: closing alone does not wake a blocked recv()."""
    # urllib3 -> http.client.HTTPResponse -> buffered reader -> SocketIO -> the socket.
    fp = getattr(getattr(resp.raw, "_fp", None), "fp", None)
    sock = getattr(getattr(fp, "raw", None), "_sock", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    resp.close()


class SeqTracker:
    """Per-symbol last `seq`: drops duplicates and old quotes, notices gaps."""

    def __init__(self) -> None:
        self.seq: dict[str, int] = {}
        self.last_id: str | None = None

    def is_gap(self, quote: Quote) -> bool:
        last = self.seq.get(quote["symbol"])
        return last is not None and quote["seq"] > last + 1

    def accept(self, quote: Quote) -> bool:
        symbol, seq = quote["symbol"], quote["seq"]
        if seq <= self.seq.get(symbol, 0):
            return False
        self.seq[symbol] = seq
        stream_id = quote.get("stream_id")
        if stream_id and (
            self.last_id is None or sse.stream_id_key(stream_id) > sse.stream_id_key(self.last_id)
        ):
            self.last_id = stream_id
        return True
