"""A subscriber too slow for the feed is cut off by Redis (`client-output-buffer-limit
pubsub`): the consumer library and the API's fan-out notice, count it, and resync -- the
consumer ends with exactly the published sequence, no gap, no duplicate."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import redis
import requests

from livedata.bus import Bus
from livedata.client import LiveDataClient
from livedata.connections import redis_client
from livedata.fanout import Fanout
from livedata.settings import Settings
from tests.conftest import wait_for
from tests.reliability.conftest import Collector, children

SYMBOLS = ("ES", "NQ")
PADDING = "x" * 200  # a fat quote fills Redis's output buffer sooner
CUT_AT = "pubsub 256kb 0 0"  # hard limit only: past 256 kB pending, Redis drops the client


class Feed:
    """Publishes ES and NQ quotes in batches, remembering every seq per symbol."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.seqs: dict[str, list[int]] = {s: [] for s in SYMBOLS}
        self.price = 100.0

    def batch(self, size: int = 200) -> None:
        quotes = []
        for _ in range(size // len(SYMBOLS)):
            self.price += 0.25
            quotes += [{"symbol": s, "last": self.price, "description": PADDING} for s in SYMBOLS]
        for result in self.bus.publish_quotes(quotes, source="test"):
            self.seqs[result.symbol].append(result.seq)

    def until(self, condition, timeout: float = 20) -> None:
        """Publish until `condition()` holds (bounded)."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "condition not met while publishing"
            self.batch()


def pubsub_ids(admin: redis.Redis) -> set[int]:
    return {c["id"] for c in admin.client_list(_type="pubsub")}


def assert_exact(collector: Collector, feed: Feed) -> None:
    """From the consumer's first quote on, every published seq, once, in order."""
    for symbol in SYMBOLS:
        got = [seq for seq, _ in collector.seen[symbol]]
        assert got, f"no {symbol} quote"
        published = feed.seqs[symbol]
        assert got == published[published.index(got[0]) :], symbol


def healthy_subscriber(base: str) -> dict | None:
    """The worker's subscriber stats from /healthz, once it is connected again."""
    subscriber = requests.get(base + "/healthz", timeout=5).json()["subscriber"]
    return subscriber if subscriber["healthy"] else None


def caught_up(collector: Collector, feed: Feed) -> bool:
    return all(collector.last_seq(s) == feed.seqs[s][-1] for s in SYMBOLS)


@pytest.fixture
def feed(own_redis):
    settings = Settings.from_env({"REDIS_URL": own_redis.url})
    bus = Bus(redis_client(settings), settings)
    bus.redis.config_set("client-output-buffer-limit", CUT_AT)
    yield Feed(bus)
    bus.close()


@pytest.mark.reliability(
    "A slow Redis subscriber cut off by `client-output-buffer-limit pubsub`",
    "a `LiveDataClient` stops reading while quotes are published until Redis drops it",
    (
        "it reconnects (counted in `client.reconnects`) and ends with exactly the published "
        "seqs: no gap, no duplicate"
    ),
)
@pytest.mark.slow
def test_a_stalled_redis_consumer_is_cut_off_and_resyncs_without_a_gap(own_redis, feed):
    admin = feed.bus.redis
    gate = threading.Event()
    gate.set()

    class StallingCollector(Collector):
        """Stops reading (the generator is not advanced) while the gate is closed."""

        def _run(self) -> None:
            for quote in self.client.subscribe(self.symbols):
                self.seen[quote["symbol"]].append((quote["seq"], time.monotonic()))
                gate.wait()

    consumer = StallingCollector(LiveDataClient(redis_url=own_redis.url), SYMBOLS)
    try:
        feed.until(lambda: consumer.count() > 100)
        (connection,) = pubsub_ids(admin)
        gate.clear()  # the consumer stalls: Redis buffers its messages, then cuts it off
        feed.until(lambda: connection not in pubsub_ids(admin))
        gate.set()
        wait_for(lambda: consumer.client.reconnects >= 1, timeout=10)
        feed.batch()
        wait_for(lambda: caught_up(consumer, feed), timeout=15)
    finally:
        gate.set()
        consumer.close()
    assert_exact(consumer, feed)
    assert consumer.client.reconnects >= 1  # counted: the library says how often it resynced


@pytest.mark.reliability(
    "An API worker stalled (SIGSTOP) until Redis cuts its fan-out subscriber",
    "an SSE `LiveDataClient` reads through the worker; publish until the cut; resume the worker",
    (
        "the worker survives; `/healthz` counts the reconnect; every gap the client sees was "
        "announced by a `resync` event; it catches up"
    ),
)
@pytest.mark.slow
def test_a_stalled_api_worker_is_cut_off_and_its_sse_clients_resync_without_a_gap(
    own_redis, feed, start_api
):
    api, base = start_api(own_redis.url)
    admin = feed.bus.redis
    feed.batch()
    consumer = Collector(LiveDataClient(api_url=base), SYMBOLS)
    try:
        feed.until(lambda: consumer.count() > 100)
        (connection,) = pubsub_ids(admin)  # the worker's one fan-out subscriber
        (worker,) = children(api.pid)
        os.kill(worker, signal.SIGSTOP)  # the worker stalls (GC, swap, a starved CPU...)
        try:
            feed.until(lambda: connection not in pubsub_ids(admin))
        finally:
            os.kill(worker, signal.SIGCONT)
        feed.batch()
        wait_for(lambda: caught_up(consumer, feed), timeout=15)
        # Counted in /healthz, and connected again (the replay may have finished first).
        subscriber = wait_for(lambda: healthy_subscriber(base), timeout=10)
    finally:
        consumer.close()
    # Waking up, the worker reads the backlog faster than the stream can send it: the
    # stream's bounded queue may overflow, and the client is then told to resync (a gap,
    # announced, followed by a snapshot). Its lost subscription is replayed from the stream.
    gaps = consumer.gaps()
    for symbol in SYMBOLS:  # one resync event covers every symbol of the stream
        assert consumer.client.resyncs >= sum(1 for g in gaps if g[0] == symbol), gaps
    for symbol in SYMBOLS:
        got = [seq for seq, _ in consumer.seen[symbol]]
        assert set(got) <= set(feed.seqs[symbol]) and got == sorted(set(got)), symbol
    assert subscriber["reconnects"] >= 1
    assert subscriber["slow_clients"] >= (1 if gaps else 0)
    assert children(api.pid) == {worker} and api.alive()


@pytest.mark.reliability(
    "A client too slow for its fan-out queue",
    "a subscription with a 5-message queue, 20 quotes",
    "told to resync (`slow`), counted in the fan-out's stats",
)
def test_a_client_too_slow_for_the_fanout_queue_is_counted(settings, bus):
    fanout = Fanout(settings).start()
    try:
        sub = fanout.subscribe(["live_data:quotes:ES"], limit=5)
        wait_for(lambda: fanout.healthy, timeout=5)
        for i in range(20):
            bus.publish_quote("ES", {"last": float(i)})
        wait_for(lambda: fanout.stats()["slow_clients"] >= 1, timeout=5)
        _, reason = sub.take(timeout=1)
        assert reason == "slow"
    finally:
        fanout.stop()
