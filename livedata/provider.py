"""What every provider process shares: stop on SIGTERM, survive Redis, report health.

A provider's own code produces quotes; `ProviderRuntime` publishes them. When Redis is
away the runtime keeps the latest quote per symbol, retries with capped jittered backoff
without blocking the provider, and re-writes every latest quote once Redis answers again
(it may have restarted empty).
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from livedata.bus import Bus
from livedata.connections import REDIS_ERRORS, redacted_url, redis_client
from livedata.health import HEARTBEAT_INTERVAL, Heartbeat, write_health
from livedata.settings import Settings

BACKOFF_BASE = 0.1
BACKOFF_CAP = 2.0


class StopFlag:
    """Set by SIGTERM/SIGINT; providers wait on it instead of sleeping."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> StopFlag:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.event.set())
        return self

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when it is time to stop."""
        return self.event.wait(max(0.0, seconds))

    @property
    def stopped(self) -> bool:
        return self.event.is_set()


class Backoff:
    """Capped exponential backoff with full jitter, reset by a success."""

    def __init__(self, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> None:
        self.base, self.cap, self.failures = base, cap, 0

    def next_delay(self) -> float:
        self.failures += 1
        return random.uniform(0, min(self.cap, self.base * 2**self.failures))  # noqa: S311

    def reset(self) -> None:
        self.failures = 0


class ProviderRuntime:
    """Publishes a provider's quotes and heartbeats, riding out Redis outages."""

    def __init__(self, name: str, settings: Settings, bus: Bus | None = None) -> None:
        self.name = name
        self.settings = settings
        # No client-side retries: a frozen Redis must cost one socket timeout, not several;
        # this runtime does its own backoff without blocking the provider.
        self.bus = bus or Bus(redis_client(settings, retries=0), settings)
        self.heartbeat = Heartbeat(name)
        self.log = logging.getLogger(f"livedata.{name}")
        self.latest: dict[str, dict[str, Any]] = {}
        self.redis_ok = True
        self._backoff = Backoff()
        self._retry_at = 0.0
        self._next_beat = 0.0
        self.status: tuple[str, str, dict[str, Any]] = ("ok", "", {})

    def publish(self, quotes: Iterable[Mapping[str, Any]]) -> bool:
        """Publish built quotes; False when Redis is away (they are kept, latest per symbol)."""
        batch = list(quotes)
        for quote in batch:
            self.latest[quote["symbol"]] = dict(quote)
        if not self.redis_ok and time.monotonic() < self._retry_at:
            return False
        # After an outage, re-write every symbol's latest: Redis may have come back empty.
        to_write = list(self.latest.values()) if not self.redis_ok else batch
        try:
            results = self.bus.write_quotes(to_write)
        except REDIS_ERRORS as exc:
            self._redis_failed(exc)
            return False
        self._redis_recovered()
        self.heartbeat.count(sum(1 for r in results if r.accepted))
        return True

    def beat(self, status: str | None = None, detail: str = "", **extra: Any) -> None:
        """Remember the provider's status (when given); write the record if one is due.

        `run` calls `beat()` after every step, so a provider only has to call it when its
        status changes; the record is written at most every HEARTBEAT_INTERVAL.
        """
        if status is not None:
            self.status = (status, detail, extra)
        now = time.monotonic()
        if now < self._next_beat or (not self.redis_ok and now < self._retry_at):
            return  # not due, or Redis is away and a frozen one costs a socket timeout a try
        if not self.redis_ok and self.latest and not self.publish(()):
            return  # still away; once back, publish() re-wrote every latest quote
        self._next_beat = now + HEARTBEAT_INTERVAL
        status, detail, extra = self.status
        if not self.redis_ok:
            status, detail = "degraded", "Redis unreachable; keeping latest quotes"
        try:
            write_health(self.bus.redis, self.heartbeat.record(status, detail, **extra))
        except REDIS_ERRORS as exc:
            self._redis_failed(exc)
            return
        self._redis_recovered()

    def run(self, step: Callable[[], float], stop: StopFlag) -> None:
        """Call `step` until stopped; it returns the seconds to wait before the next call."""
        self.log.info("%s starting; Redis at %s", self.name, redacted_url(self.settings.redis_url))
        while not stop.stopped:
            delay = step()
            self.beat()
            if stop.wait(delay):
                break
        self._say_stopped()
        self.log.info("%s stopped after %d quotes", self.name, self.heartbeat.quotes_total)

    def _say_stopped(self) -> None:
        """Mark the provider down at once, rather than after HEARTBEAT_TIMEOUT of silence."""
        try:
            extra = self.status[2]
            write_health(self.bus.redis, self.heartbeat.record("down", "stopped", **extra))
        except REDIS_ERRORS:
            pass  # Redis is away: readers will see the heartbeat age out instead

    def _redis_failed(self, exc: Exception) -> None:
        if self.redis_ok:
            self.log.warning("Redis unreachable (%s); retrying with backoff", type(exc).__name__)
        self.redis_ok = False
        # At least a moment, so the heartbeat right after a failed publish does not try again.
        self._retry_at = time.monotonic() + max(BACKOFF_BASE / 2, self._backoff.next_delay())

    def _redis_recovered(self) -> None:
        if not self.redis_ok:
            self.log.info("Redis is back; re-wrote the latest of %d symbols", len(self.latest))
            self._next_beat = 0.0  # say so at once, not a heartbeat interval later
        self.redis_ok = True
        self._backoff.reset()
