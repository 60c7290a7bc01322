"""One traffic viewer's tally (pure): counts, rates and last message per channel, a short tail.

The stream feeds it everything its Subscription queued since the last frame, then renders it
at most a few times a second: the browser gets one DOM swap per frame, never one per message.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from livedata.fanout import Message

RATE_WINDOW = 5
"""Rates cover the last this-many seconds (one count sample per second)."""

RECENT = 12
"""Messages in the tail below the per-channel table."""

MAX_CHANNELS = 500
"""Channels tracked one by one; beyond, they are counted under OTHER (bounded memory)."""

OTHER = "(other channels)"
PREVIEW = 200
"""Characters of a message shown; the rest is cut."""


@dataclass
class ChannelStats:
    count: int = 0
    rate: float = 0.0
    last: bytes = b""
    last_at: float = 0.0


class Tally:
    """What one viewer has seen since it connected."""

    def __init__(self, now: float) -> None:
        self.started = now
        self.channels: dict[str, ChannelStats] = {}
        self.recent: deque[tuple[float, str, bytes]] = deque(maxlen=RECENT)
        self.total = 0
        self.notice: tuple[str, float] | None = None
        self.healthy: bool | None = None
        self.dirty = True
        self._marks: deque[tuple[float, int, dict[str, int]]] = deque(maxlen=RATE_WINDOW + 1)
        self._marks.append((now, 0, {}))

    def absorb(self, messages: Iterable[Message], resync: str | None, healthy: bool, now: float):
        """Count `messages`; note a resync; refresh the rates once a second."""
        seen = 0
        for message in messages:
            stats = self._stats(message.channel)
            stats.count += 1
            stats.last, stats.last_at = message.data, now
            self.recent.append((now, message.channel, message.data))
            seen += 1
        self.total += seen
        if resync:
            self.notice = (resync, now)
        if seen or resync or healthy != self.healthy:
            self.healthy, self.dirty = healthy, True
        if now - self._marks[-1][0] >= 1.0:
            self._rates(now)

    def view(self, now: float) -> dict[str, Any]:
        """What the template shows; clears `dirty`."""
        self.dirty = False
        rows = [
            {"channel": name, "count": s.count, "rate": s.rate, "age_s": now - s.last_at,
             "preview": preview(s.last)}
            for name, s in sorted(self.channels.items())
        ]  # fmt: skip
        tail = [
            {"age_s": now - at, "channel": channel, "preview": preview(data)}
            for at, channel, data in reversed(self.recent)
        ]
        span = max(1e-9, now - self._marks[0][0])
        total_rate = (self.total - self._marks[0][1]) / span if len(self._marks) > 1 else 0.0
        notice = self.notice and {"reason": self.notice[0], "age_s": now - self.notice[1]}
        return {
            "rows": rows,
            "tail": tail,
            "total": self.total,
            "total_rate": total_rate,
            "notice": notice,
            "healthy": self.healthy,
            "since_s": now - self.started,
        }

    def _stats(self, channel: str) -> ChannelStats:
        stats = self.channels.get(channel)
        if stats is None:
            name = channel if len(self.channels) < MAX_CHANNELS else OTHER
            stats = self.channels.setdefault(name, ChannelStats())
        return stats

    def _rates(self, now: float) -> None:
        self._marks.append((now, self.total, {n: s.count for n, s in self.channels.items()}))
        then, _, counts = self._marks[0]
        for name, stats in self.channels.items():
            stats.rate = (stats.count - counts.get(name, 0)) / (now - then)
        self.dirty = self.dirty or bool(self.channels)  # rates and ages move: a frame a second


def preview(data: bytes) -> str:
    text = data[: PREVIEW * 4].decode("utf-8", "replace")
    return text if len(text) <= PREVIEW else text[:PREVIEW] + "…"
