"""The per-process objects the admin's requests share, kept on `app.extensions["admin"]`."""

from __future__ import annotations

import threading

import redis
from flask import current_app

from admin.history import PriceHistory
from livedata.connections import redis_client
from livedata.fanout import Fanout
from livedata.settings import Settings

MAX_STREAMS = 16
"""Open traffic streams per admin process; one more gets a 503. A handful of operator tabs
is the use; the cap keeps streams from taking every gunicorn thread."""


class AdminState:
    """Settings, one Redis client, ONE Fanout (traffic and board), the price history."""

    def __init__(self, settings: Settings, max_streams: int | None = None) -> None:
        self.settings = settings
        # Requests never retry: with Redis away a fragment says so in one socket timeout.
        self.redis: redis.Redis = redis_client(settings, retries=0)
        self.fanout = Fanout(settings)
        self.history = PriceHistory(self.fanout)
        self.max_streams = max_streams or MAX_STREAMS
        self.streams = threading.BoundedSemaphore(self.max_streams)

    def live(self) -> AdminState:
        """Start the subscriber and the history feed (idempotent); both are daemon threads."""
        self.fanout.start()
        self.history.start()
        return self

    def close(self) -> None:
        """Stop the threads and close connections (tests; gunicorn just exits)."""
        self.history.stop()
        self.fanout.stop()
        self.redis.close()


def state() -> AdminState:
    """The current app's AdminState."""
    return current_app.extensions["admin"]
