"""One Redis subscriber per process, fanned out to many bounded client queues.

Redis connections grow with processes, never with viewers: the API's SSE streams and the
admin's traffic tail register a `Subscription` here instead of opening their own pubsub.
The same subscriber keeps an in-memory mirror of the snapshot hash (primed with one HGETALL
per connection, then updated from the quote messages), so reading the latest quotes costs no
Redis round trip while the subscriber is healthy.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import redis

from livedata import channels
from livedata.connections import REDIS_ERRORS, bytes_client, redis_client
from livedata.provider import Backoff
from livedata.settings import Settings

log = logging.getLogger("livedata.fanout")

QUOTE_TAIL = re.compile(rb'"seq":(\d+),"stream_id":"(\d+-\d+)"\}$')
PING_EVERY = 1.0
"""Seconds between PINGs on the subscriber connection."""

SILENT_AFTER = 3.0
"""A subscriber that heard nothing (not even a PONG) for this long is dead: reconnect."""

QUEUE_LIMIT = 2000
"""Messages a client may have waiting; past it the client is told to resync."""


@dataclass(frozen=True, slots=True)
class Message:
    """One pub/sub message; quote messages also carry symbol, seq and stream id."""

    channel: str
    data: bytes
    symbol: str | None = None
    seq: int = 0
    stream_id: str = ""


class Subscription:
    """A client's bounded queue. `resync` says why messages may have been missed."""

    def __init__(self, wanted: frozenset[str] | None, limit: int = QUEUE_LIMIT) -> None:
        self.wanted = wanted  # channel names, or None for every channel
        self.limit = limit
        self.resync: str | None = None
        self._queue: deque[Message] = deque()
        self._ready = threading.Condition()

    def put(self, message: Message) -> bool:
        """Queue `message`; False when the client was too slow and its queue was dropped."""
        with self._ready:
            if len(self._queue) >= self.limit:  # too slow: drop, never grow memory
                self._queue.clear()
                self.resync = "slow"
                dropped = True
            else:
                self._queue.append(message)
                dropped = False
            self._ready.notify()
        return not dropped

    def flag(self, reason: str) -> None:
        with self._ready:
            self.resync = self.resync or reason
            self._ready.notify()

    def take(self, timeout: float) -> tuple[list[Message], str | None]:
        """Wait up to `timeout` s; return every waiting message and the resync reason, if any."""
        with self._ready:
            if not self._queue and self.resync is None:
                self._ready.wait(timeout)
            messages, self._queue = list(self._queue), deque()
            reason, self.resync = self.resync, None
        return messages, reason


class Fanout:
    """The process's subscriber thread, its client registry and its snapshot mirror."""

    def __init__(
        self, settings: Settings, patterns: Iterable[str] = (channels.ALL_CHANNELS_PATTERN,)
    ):
        self.client = bytes_client(redis_client(settings, retries=0))
        self.patterns = tuple(patterns)
        self.latest: dict[str, bytes] = {}
        self.latest_seq: dict[str, int] = {}
        self.generation = 0
        self.reconnects = 0
        """Subscriber connections lost and re-made (Redis restarted, froze, or cut us off)."""
        self.slow_clients = 0
        """Times a client's queue overflowed and it was told to resync."""
        self._routes: dict[str, frozenset[Subscription]] = {}
        self._everything: frozenset[Subscription] = frozenset()
        self._lock = threading.Lock()
        self._heard = 0.0
        self._live = threading.Event()  # set while subscribed and primed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Fanout:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="fanout", daemon=True)
                self._thread.start()
        return self

    def stop(self) -> None:
        """End the subscriber thread and close its connections."""
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self.client.close()

    @property
    def healthy(self) -> bool:
        """Connected, primed and heard from Redis within SILENT_AFTER seconds."""
        return self._heard > 0 and time.monotonic() - self._heard < SILENT_AFTER

    def subscribe(
        self, wanted: Iterable[str] | None = None, limit: int = QUEUE_LIMIT
    ) -> Subscription:
        """Register a client for `wanted` channels (None: all of them)."""
        sub = Subscription(None if wanted is None else frozenset(wanted), limit)
        with self._lock:
            if sub.wanted is None:
                self._everything = self._everything | {sub}
            for name in sub.wanted or ():
                self._routes = {**self._routes, name: self._routes.get(name, frozenset()) | {sub}}
        self.start()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._everything = self._everything - {sub}
            routes = dict(self._routes)
            for name in sub.wanted or ():
                remaining = routes.get(name, frozenset()) - {sub}
                if remaining:
                    routes[name] = remaining
                else:
                    routes.pop(name, None)
            self._routes = routes

    def wait_live(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the subscription to be live and the mirror primed."""
        return self._live.wait(timeout) and self.healthy

    def stats(self) -> dict[str, object]:
        """The subscriber's health, for `/healthz`: connected, and what it has survived."""
        return {
            "healthy": self.healthy,
            "reconnects": self.reconnects,
            "slow_clients": self.slow_clients,
        }

    def snapshot(self, symbols: Iterable[str]) -> list[bytes | None] | None:
        """The mirrored latest quotes, or None when the mirror cannot be trusted right now."""
        if not self.healthy:
            return None
        latest = self.latest
        return [latest.get(symbol) for symbol in symbols]

    def _run(self) -> None:
        backoff = Backoff(cap=2.0)
        while not self._stop.is_set():
            try:
                self._session()
                backoff.reset()
            except REDIS_ERRORS as exc:
                self.reconnects += 1
                log.warning("subscriber lost Redis (%s); reconnecting", type(exc).__name__)
            self._heard = 0.0
            self._live.clear()
            self._stop.wait(backoff.next_delay())

    def _session(self) -> None:
        pubsub = self.client.pubsub()
        try:
            pubsub.psubscribe(*self.patterns)
            self._await_subscribed(pubsub)
            self._prime()  # after the subscription is live: nothing falls in between
            self.generation += 1
            if self.generation > 1:
                for sub in self._all_subscriptions():
                    sub.flag("reconnected")
            self._live.set()
            self._listen(pubsub)
        finally:
            pubsub.close()

    def _await_subscribed(self, pubsub: redis.client.PubSub) -> None:
        deadline = time.monotonic() + SILENT_AFTER
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.5)
            if message and message["type"] == "psubscribe":
                return
        raise redis.TimeoutError("no confirmation of PSUBSCRIBE")

    def _prime(self) -> None:
        stored = self.client.hgetall(channels.LATEST_QUOTES)
        latest = {key.decode(): value for key, value in stored.items()}
        self.latest_seq = {s: _seq(v) for s, v in latest.items()}
        self.latest = latest
        self._heard = time.monotonic()

    def _listen(self, pubsub: redis.client.PubSub) -> None:
        next_ping = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_ping:
                pubsub.ping()
                next_ping = now + PING_EVERY
            if now - self._heard > SILENT_AFTER:
                raise redis.TimeoutError("subscriber heard nothing from Redis")
            message = pubsub.get_message(timeout=0.25)
            if message is None:
                continue
            self._heard = time.monotonic()
            if message["type"] == "pmessage":
                self._dispatch(message["channel"].decode(), message["data"])

    def _dispatch(self, channel: str, data: bytes) -> None:
        message = Message(channel, data)
        if channel.startswith(channels.QUOTE_CHANNEL_PREFIX):
            message = _quote_message(channel, data)
            if message.seq > self.latest_seq.get(message.symbol or "", 0):
                self.latest_seq[message.symbol or ""] = message.seq
                self.latest[message.symbol or ""] = data
        for sub in self._routes.get(channel, ()):
            if not sub.put(message):
                self.slow_clients += 1
        for sub in self._everything:
            if not sub.put(message):
                self.slow_clients += 1

    def _all_subscriptions(self) -> set[Subscription]:
        with self._lock:
            return set(self._everything).union(*self._routes.values())


def _quote_message(channel: str, data: bytes) -> Message:
    match = QUOTE_TAIL.search(data)
    seq, stream_id = (int(match[1]), match[2].decode()) if match else (0, "")
    return Message(channel, data, channels.symbol_of_quote_channel(channel), seq, stream_id)


def _seq(data: bytes) -> int:
    match = QUOTE_TAIL.search(data)
    return int(match[1]) if match else 0
