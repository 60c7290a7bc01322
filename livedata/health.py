"""Provider heartbeats: each provider writes a health record to `live_data:providers`.

A record says how the provider is doing in its own words (`status`, `detail`) and how much
it publishes. Readers judge liveness themselves: a record not refreshed for
`HEARTBEAT_TIMEOUT` seconds reads as `down`, whatever it last said.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from livedata import channels
from livedata.quotes import epoch_ms, to_iso

STATUSES = ("ok", "degraded", "down", "auth_required")
HEARTBEAT_INTERVAL = 1.0
"""Seconds between heartbeats; the contract asks for at least one every 2 s."""

HEARTBEAT_TIMEOUT = 6.0
"""A record older than this is reported as `down` (the provider stopped or lost Redis)."""


class Heartbeat:
    """Counts what a provider published and renders its health record."""

    def __init__(self, provider: str, clock: Any = time.time) -> None:
        self.provider = provider
        self.quotes_total = 0
        self.rate_per_s = 0.0
        self._clock = clock
        self._last_time = clock()
        self._last_total = 0

    def count(self, quotes: int) -> None:
        self.quotes_total += quotes

    def record(self, status: str, detail: str = "", **extra: Any) -> dict[str, Any]:
        """The health record as of now; `rate_per_s` covers the time since the last one."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        now = self._clock()
        elapsed = now - self._last_time
        if elapsed > 0:
            self.rate_per_s = round((self.quotes_total - self._last_total) / elapsed, 2)
        self._last_time, self._last_total = now, self.quotes_total
        return {
            "provider": self.provider,
            "status": status,
            "last_seen": to_iso(now),
            "quotes_total": self.quotes_total,
            "rate_per_s": self.rate_per_s,
            "detail": detail,
            **extra,
        }


def write_health(client: redis.Redis, record: dict[str, Any]) -> None:
    """Store one provider's record (one HSET)."""
    client.hset(channels.PROVIDERS, record["provider"], json.dumps(record, allow_nan=False))


def read_health(client: redis.Redis, now: float | None = None) -> list[dict[str, Any]]:
    """Every provider's record, sorted by name, with `age_s` and silence turned into `down`."""
    now = time.time() if now is None else now
    records = []
    for name, raw in sorted(client.hgetall(channels.PROVIDERS).items()):
        try:
            record = json.loads(raw)
            seen = epoch_ms(record["last_seen"]) / 1000
        except (ValueError, KeyError, TypeError):
            record, seen = {"provider": name, "status": "down", "detail": "unreadable"}, 0.0
        record["age_s"] = round(max(0.0, now - seen), 1)
        if record["age_s"] > HEARTBEAT_TIMEOUT and record.get("status") != "down":
            record["status"] = "down"
            record["detail"] = f"no heartbeat for {record['age_s']:.0f} s"
        records.append(record)
    return records
