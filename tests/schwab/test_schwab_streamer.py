"""The reconnect backoff of the stream loop: capped, jittered, reset after a healthy period."""

from __future__ import annotations

from services.schwab.book import QuoteBook
from services.schwab.streamer import Streamer, Tuning


def streamer() -> Streamer:
    tuning = Tuning(backoff_base=1.0, backoff_cap=8.0, healthy_after=60.0)
    return Streamer(None, None, {"/es"}, print, print, QuoteBook(), tuning)  # type: ignore[arg-type]


def test_backoff_grows_with_jitter_up_to_the_cap():
    loop = streamer()
    delays = [loop._backoff(lived=0.0) for _ in range(8)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0
    assert all(4.0 <= d <= 8.0 for d in delays[4:])
    assert loop.symbols == {"/ES"}


def test_backoff_resets_after_a_healthy_connection_only():
    loop = streamer()
    for _ in range(5):
        loop._backoff(lived=0.0)
    loop.state = "streaming"
    assert loop._backoff(lived=10.0) >= 4.0  # a short-lived connection keeps the backoff
    assert loop._backoff(lived=61.0) <= 1.0  # it lived long enough: start over
