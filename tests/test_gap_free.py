"""Consumers end with exactly the published sequence per symbol: no gap, no duplicate, no
reordering -- when they connect mid-stream, lose their Redis connection, or close and resume
their SSE stream with Last-Event-ID; and an open stream outlives a Redis restart."""

import json
import threading
import time

import pytest
import redis
import requests

from livedata import sse
from livedata.bus import Bus
from livedata.client import LiveDataClient
from livedata.connections import redis_client
from livedata.settings import Settings
from tests.conftest import RedisServer, wait_for

SYMBOLS = ("ES", "NQ")


class Publisher:
    """Publishes ES and NQ quotes steadily in a thread, remembering every seq per symbol."""

    def __init__(self, bus: Bus, rate: float = 400) -> None:
        self.bus, self.interval = bus, 2 / rate
        self.seqs: dict[str, list[int]] = {s: [] for s in SYMBOLS}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)

    def _run(self) -> None:
        price = 100.0
        while not self.stop.wait(self.interval):
            price += 0.25
            try:
                results = self.bus.publish_quotes([{"symbol": s, "last": price} for s in SYMBOLS])
            except redis.RedisError:
                continue  # Redis restarting under us: the next round publishes again
            for result in results:
                self.seqs[result.symbol].append(result.seq)

    def published_after(self, symbol: str, first_seq: int) -> list[int]:
        seqs = self.seqs[symbol]
        return seqs[seqs.index(first_seq) :]


class Collector:
    """Runs `LiveDataClient.subscribe` in a thread and keeps the seqs it yields per symbol."""

    def __init__(self, client: LiveDataClient) -> None:
        self.client = client
        self.seqs: dict[str, list[int]] = {s: [] for s in SYMBOLS}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for quote in self.client.subscribe(SYMBOLS):
            self.seqs[quote["symbol"]].append(quote["seq"])

    def caught_up_with(self, publisher: Publisher) -> bool:
        return all(self.seqs[s] and self.seqs[s][-1] == publisher.seqs[s][-1] for s in SYMBOLS)

    def close(self) -> None:
        self.client.close()
        self.thread.join(10)
        assert not self.thread.is_alive()


def assert_exact(collected: dict[str, list[int]], publisher: Publisher) -> None:
    for symbol in SYMBOLS:
        got = collected[symbol]
        assert got, f"no {symbol} quote received"
        # The first quote is the snapshot (any published seq); from there on, everything.
        assert got == publisher.published_after(symbol, got[0]), symbol


def finish(collector: Collector, publisher: Publisher, timeout: float = 15) -> None:
    publisher.stop.set()
    publisher.thread.join(5)
    wait_for(lambda: collector.caught_up_with(publisher), timeout=timeout)
    collector.close()


@pytest.mark.slow
def test_redis_client_connecting_mid_stream_misses_nothing(bus, redis_url):
    with Publisher(bus) as publisher:
        wait_for(lambda: len(publisher.seqs["ES"]) > 50)
        collector = Collector(LiveDataClient(redis_url=redis_url))
        wait_for(lambda: len(publisher.seqs["ES"]) > 300)
        finish(collector, publisher)
    assert_exact(collector.seqs, publisher)


@pytest.mark.slow
def test_redis_client_whose_connection_is_killed_for_seconds_misses_nothing(bus, redis_url):
    admin = redis.Redis.from_url(redis_url)
    with Publisher(bus) as publisher:
        collector = Collector(LiveDataClient(redis_url=redis_url))
        wait_for(lambda: len(collector.seqs["ES"]) > 20)
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:  # keep it disconnected for a few seconds
            admin.client_kill_filter(_type="pubsub")
            time.sleep(0.05)
        finish(collector, publisher)
    admin.close()
    assert_exact(collector.seqs, publisher)


@pytest.mark.slow
def test_sse_client_connecting_mid_stream_misses_nothing(bus, api_server):
    with Publisher(bus) as publisher:
        wait_for(lambda: len(publisher.seqs["ES"]) > 50)
        collector = Collector(LiveDataClient(api_url=api_server))
        wait_for(lambda: len(publisher.seqs["ES"]) > 300)
        finish(collector, publisher)
    assert_exact(collector.seqs, publisher)


def read_stream(url: str, headers: dict, seqs: dict, last_id: list, until) -> None:
    """Read one SSE connection into `seqs` (deduplicated by seq, as the client does)."""
    with requests.get(url, headers=headers, stream=True, timeout=(3, 5)) as resp:
        for event in sse.parse(resp.iter_lines(decode_unicode=True)):
            quotes = (
                json.loads(event.data)["quotes"]
                if event.name == "snapshot"
                else ([json.loads(event.data)] if event.name == "quote" else [])
            )
            for quote in quotes:
                if not seqs[quote["symbol"]] or quote["seq"] > seqs[quote["symbol"]][-1]:
                    seqs[quote["symbol"]].append(quote["seq"])
            last_id[0] = event.id or last_id[0]
            if until():
                return


@pytest.mark.slow
def test_sse_stream_closed_and_resumed_with_last_event_id_misses_nothing(bus, api_server):
    url = f"{api_server}/api/feed/quotes/stream/?symbols={','.join(SYMBOLS)}"
    seqs: dict[str, list[int]] = {s: [] for s in SYMBOLS}
    last_id = [None]
    with Publisher(bus) as publisher:
        wait_for(lambda: len(publisher.seqs["ES"]) > 50)
        read_stream(url, {}, seqs, last_id, until=lambda: len(seqs["ES"]) > 100)
        disconnected_at = len(publisher.seqs["ES"])
        wait_for(lambda: len(publisher.seqs["ES"]) > disconnected_at + 400)  # ~2 s away
        publisher.stop.set()
        publisher.thread.join(5)
        final = {s: publisher.seqs[s][-1] for s in SYMBOLS}
        read_stream(
            url,
            {"Last-Event-ID": last_id[0]},
            seqs,
            last_id,
            until=lambda: all(seqs[s][-1] == final[s] for s in SYMBOLS),
        )
    assert_exact(seqs, publisher)


@pytest.mark.slow
def test_an_open_sse_stream_outlives_a_redis_restart(own_redis, make_app, serve, tmp_path):
    settings = Settings.from_env({"REDIS_URL": own_redis.url})
    url = serve(make_app(settings))
    publisher_bus = Bus(redis_client(settings, retries=0), settings)
    publisher_bus.publish_quote("ES", {"last": 1.0})
    client = LiveDataClient(api_url=url)
    received: list[float] = []
    follower = threading.Thread(
        target=lambda: received.extend(q["last"] for q in client.subscribe(["ES"])), daemon=True
    )
    follower.start()
    again = None
    try:
        wait_for(lambda: 1.0 in received, timeout=5)
        own_redis.kill()
        again = RedisServer(tmp_path / "again", port=own_redis.port).start()  # empty
        wait_for(lambda: _publish(publisher_bus, 2.0) and 2.0 in received, timeout=15)
    finally:
        client.close()
        follower.join(5)
        publisher_bus.close()
        if again:
            again.kill()


def _publish(bus: Bus, last: float) -> bool:
    try:
        bus.publish_quote("ES", {"last": last})
    except redis.RedisError:
        pass
    return True
