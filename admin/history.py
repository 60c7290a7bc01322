"""Recent prices per symbol for the board's sparklines, fed by the process's one Fanout.

Kept in memory rather than read with XREVRANGE from the capped stream: the stream interleaves
every symbol, so a quiet symbol's last points can sit thousands of entries back (read and
parsed again on every board refresh of every viewer), while here each symbol keeps one point
per STEP seconds -- bounded (POINTS x MAX_SYMBOLS), whatever the quote rate, and no Redis
round trip per render. The price: history starts when the admin process does.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable

from livedata.fanout import Fanout, Message, Subscription

STEP = 1.0
"""Seconds per sparkline point: the last price seen in each step."""

POINTS = 120
"""Points kept per symbol (two minutes)."""

MAX_SYMBOLS = 2000
"""Symbols tracked at most; later ones get no sparkline rather than unbounded memory."""

BATCH = 0.2
"""Seconds the feed lets messages queue: each symbol's JSON is parsed at most 5 times a second."""


class PriceHistory:
    """A daemon thread draining one Subscription into bounded per-symbol deques."""

    def __init__(self, fanout: Fanout) -> None:
        self.fanout = fanout
        self._points: dict[str, deque[tuple[int, float]]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sub: Subscription | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._sub = self.fanout.subscribe(None)
                self._thread = threading.Thread(target=self._run, name="history", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._sub and self._thread:
            self._sub.flag("stop")  # wakes the thread out of take()
            self._thread.join(5)

    def prices(self, symbol: str) -> list[float]:
        with self._lock:
            return [price for _, price in self._points.get(symbol, ())]

    def absorb(self, messages: Iterable[Message], now: float) -> None:
        """Record the last price of each symbol in `messages` at time `now`."""
        last: dict[str, bytes] = {}
        for message in messages:
            if message.symbol:
                last[message.symbol] = message.data  # only the newest is parsed
        step = int(now // STEP)
        for symbol, data in last.items():
            price = price_of(data)
            if price is not None:
                self._add(symbol, step, price)

    def _add(self, symbol: str, step: int, price: float) -> None:
        with self._lock:
            points = self._points.get(symbol)
            if points is None:
                if len(self._points) >= MAX_SYMBOLS:
                    return
                points = self._points[symbol] = deque(maxlen=POINTS)
            if points and points[-1][0] == step:
                points[-1] = (step, price)
            else:
                points.append((step, price))

    def _run(self) -> None:
        sub = self._sub
        assert sub is not None
        try:
            while not self._stop.is_set():
                messages, _ = sub.take(timeout=0.5)
                self.absorb(messages, time.time())
                self._stop.wait(BATCH)
        finally:
            self.fanout.unsubscribe(sub)


def price_of(data: bytes) -> float | None:
    """A quote's last price, else its mark; None for anything else."""
    try:
        quote = json.loads(data)
    except ValueError:
        return None
    if not isinstance(quote, dict):
        return None
    for name in ("last", "mark"):
        value = quote.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None
