"""SSE clients that vanish (a closed tab, a reconnect storm) give their stream slot back
within about a second, not at the next keepalive write 15-30 s later."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import wait_for

QUIET = "/api/feed/quotes/stream/?symbols=QUIET"  # no quote ever: nothing is written
SLOTS = 3


def open_stream(base: str) -> requests.Response:
    return requests.get(base + QUIET, stream=True, timeout=(3, 30))


def fill(base: str) -> list[requests.Response] | None:
    """Every slot taken by a new stream, or None (and nothing left open) if one was busy."""
    streams = [open_stream(base) for _ in range(SLOTS)]
    if all(s.status_code == 200 for s in streams):
        return streams
    for stream in streams:
        stream.close()
    return None


@pytest.mark.reliability(
    "SSE clients that vanish (closed tabs, a reconnect storm)",
    "fill every stream slot (SSE_MAX_STREAMS=3) of gunicorn, close them all, three rounds",
    "all slots are free again < 3 s later (not at the next keepalive write)",
)
@pytest.mark.slow
def test_streams_of_clients_that_left_free_their_slots_within_seconds(redis_url, start_api):
    _, base = start_api(redis_url, SSE_MAX_STREAMS=str(SLOTS))
    for _ in range(3):  # reconnect rounds: every slot taken, then every client gone
        streams = wait_for(lambda: fill(base), timeout=3, every=0.2)
        extra = open_stream(base)
        assert extra.status_code == 503  # full
        extra.close()
        for stream in streams:
            stream.close()
