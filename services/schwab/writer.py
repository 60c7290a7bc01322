"""The Schwab provider's publisher thread: Redis never stalls the websocket reader.

The streamer hands quotes over with `put` and goes back to reading at once. This thread
publishes whatever has accumulated as one batch (one round trip) and writes the heartbeat.
While Redis is slow or frozen, pending quotes are kept latest-per-symbol: the buffer is
bounded by the number of symbols, and each quote is the symbol's full merged state, so
the newest one loses nothing the snapshot needs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from livedata.provider import ProviderRuntime

Health = Callable[[], tuple[str, str, dict[str, Any]]]


class QuoteWriter:
    """Publishes handed-over quotes and the heartbeat from a thread of its own."""

    def __init__(self, runtime: ProviderRuntime, health: Health, beat_every: float) -> None:
        self.runtime, self.health, self.beat_every = runtime, health, beat_every
        self._pending: dict[str, dict[str, Any]] = {}
        self._ready = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schwab-writer", daemon=True)

    def put(self, quotes: Iterable[dict[str, Any]]) -> None:
        """Queue quotes for the next batch; never blocks on Redis."""
        with self._ready:
            for quote in quotes:
                self._pending[quote["symbol"]] = quote
            self._ready.notify()

    def start(self) -> QuoteWriter:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Publish what is pending (Redis permitting), then end the thread."""
        self._stop.set()
        with self._ready:
            self._ready.notify()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._ready:
                if not self._pending:
                    self._ready.wait(self.beat_every)
                batch, self._pending = list(self._pending.values()), {}
            if batch:
                self.runtime.publish(batch)
            status, detail, extra = self.health()
            self.runtime.beat(status, detail, **extra)
        with self._ready:
            batch, self._pending = list(self._pending.values()), {}
        if batch:
            self.runtime.publish(batch)
