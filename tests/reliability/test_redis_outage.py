"""Redis killed (kill -9, restarted empty) and Redis frozen (SIGSTOP/SIGCONT) under a real
`livedata sim` publishing 1,000 quotes/s, a real `livedata api` (gunicorn) and two consumers
(one over SSE, one over Redis): nothing exits, nothing hangs, every gap is resynced."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
import redis
import requests

from livedata import channels
from livedata.client import LiveDataClient
from livedata.provider import ProviderRuntime, StopFlag
from livedata.quotes import build_quote
from livedata.settings import DEFAULT_SIM_SYMBOLS, Settings
from services.sim.process import SimProvider
from tests.conftest import RedisServer, wait_for
from tests.reliability.conftest import Collector, children, service_env

SYMBOLS = DEFAULT_SIM_SYMBOLS
SNAPSHOT = "/api/feed/quotes/snapshot/?symbols=" + ",".join(SYMBOLS)


def timed_get(url: str) -> tuple[int | None, float]:
    """(status, seconds); None when the request failed or took longer than 5 s."""
    started = time.monotonic()
    try:
        with requests.get(url, timeout=5, stream=True) as resp:  # an SSE 200 is not read
            status: int | None = resp.status_code
    except requests.RequestException:
        status = None
    return status, time.monotonic() - started


def probe_api(base: str, until: float) -> list[tuple[str, int | None, float, float]]:
    """Hit /healthz, the snapshot and a new SSE stream until `until`: (path, status, s, at)."""
    answers = []
    while time.monotonic() < until:
        for path in ("/healthz", SNAPSHOT, "/api/feed/quotes/stream/?symbols=ES"):
            at = time.monotonic()
            status, took = timed_get(base + path)
            answers.append((path, status, took, at))
        time.sleep(0.1)  # pacing the probe, not synchronization
    return answers


def newest_seqs(client: redis.Redis) -> dict[str, int]:
    raw = client.hmget(channels.LATEST_QUOTES, list(SYMBOLS))
    return {s: json.loads(r)["seq"] for s, r in zip(SYMBOLS, raw, strict=True) if r}


def caught_up(collectors: list[Collector], seqs: dict[str, int]) -> bool:
    return all(c.last_seq(s) >= seqs[s] for c in collectors for s in SYMBOLS)


@pytest.fixture
def outage_setup(own_redis, spawn, start_api, tmp_path):
    """Sim at 1,000 quotes/s, the API, and an SSE and a Redis consumer, all flowing."""
    sim = spawn(["sim"], service_env(own_redis.url, tmp_path, SIM_RATE="1000"))
    api, base = start_api(own_redis.url)
    admin = redis.Redis.from_url(own_redis.url, socket_timeout=2, decode_responses=True)
    wait_for(lambda: admin.hlen(channels.LATEST_QUOTES) == len(SYMBOLS), timeout=15)
    consumers = [
        Collector(LiveDataClient(api_url=base), SYMBOLS),
        Collector(LiveDataClient(redis_url=own_redis.url), SYMBOLS),
    ]
    wait_for(lambda: all(c.count() > 1000 for c in consumers), timeout=20)
    yield sim, api, base, consumers, admin
    for consumer in consumers:
        consumer.close()
    admin.close()


@pytest.mark.reliability(
    "Redis killed (`kill -9`) for 5 s, restarted empty",
    (
        "`livedata sim` at 1,000 quotes/s, `livedata api`, an SSE and a Redis consumer; kill "
        "Redis, probe the API, restart it on the same port"
    ),
    (
        "no process exits; publishing resumes < 2 s after Redis returns and its first batch "
        "re-writes every symbol; every API answer < 3 s, 503 during, 200 after; each "
        "consumer's only gap is the restart, after which it is caught up"
    ),
)
@pytest.mark.slow
def test_redis_killed_for_5_s_and_restarted_empty(outage_setup, own_redis, tmp_path):
    sim, api, base, consumers, _ = outage_setup
    workers = children(api.pid)
    assert workers, "gunicorn has no worker"

    own_redis.kill()  # SIGKILL: no goodbye to any client
    killed = time.monotonic()
    during = probe_api(base, until=killed + 5)
    restarted = RedisServer(tmp_path / "again", port=own_redis.port).start()  # empty
    back = time.monotonic()
    try:
        fresh = redis.Redis.from_url(restarted.url, socket_timeout=2, decode_responses=True)
        # Publishing resumes within 2 s, and its first batch re-writes every symbol's latest.
        wait_for(lambda: fresh.hlen(channels.LATEST_QUOTES) == len(SYMBOLS), timeout=5)
        resumed = time.monotonic() - back
        first = fresh.xrange(channels.QUOTE_STREAM, count=len(SYMBOLS))
        rewritten = {fields["symbol"] for _, fields in first}
        after = [timed_get(base + p) for p in ("/healthz", SNAPSHOT)]
        wait_for(lambda: timed_get(base + SNAPSHOT)[0] == 200, timeout=5)
        body = requests.get(base + SNAPSHOT, timeout=5).json()
        wait_for(lambda: caught_up(consumers, newest_seqs(fresh)), timeout=15)
        health = json.loads(fresh.hget(channels.PROVIDERS, "sim"))
        fresh.close()
    finally:
        restarted.kill()

    assert sim.alive() and api.alive(), "a process exited"
    assert children(api.pid) == workers, "a gunicorn worker died and was replaced"
    assert all(c.thread.is_alive() for c in consumers)
    assert resumed < 2, f"publishing resumed {resumed:.1f} s after Redis returned"
    assert rewritten == set(SYMBOLS), "the first batch after the restart re-writes every symbol"
    assert body["count"] == len(SYMBOLS) and not body["missing"]
    assert health["status"] == "ok" and health["provider"] == "sim"

    # The API answered every request of the outage within 3 s, and with 503 once its
    # subscriber noticed (the kill resets its connection: at once).
    assert during and all(took < 3 for _, _, took, _ in during), during
    noticed = [(p, s) for p, s, _, at in during if at > killed + 0.5]
    assert noticed and all(status == 503 for _, status in noticed), noticed
    assert all(status == 503 for p, status, _, _ in during if p == "/healthz")
    assert [status for status, _ in after] == [200, 200]

    # Each consumer saw exactly one gap per symbol -- the restart, since Redis came back
    # empty and seq starts over from its clock -- and it arrived after the outage began.
    for consumer in consumers:
        gaps = consumer.gaps()
        assert sorted(g[0] for g in gaps) == sorted(SYMBOLS), gaps
        assert all(killed < at < back + 5 for *_, at in gaps), (gaps, killed, back)
    sse_consumer, redis_consumer = consumers
    assert sse_consumer.client.resyncs >= 1  # the API's `resync` event: no replay possible
    assert redis_consumer.client.reconnects >= 1


@pytest.mark.reliability(
    "Redis frozen (SIGSTOP 10 s, SIGCONT)",
    "the same setup plus a timed in-process provider loop; probe the API during the freeze",
    (
        "no provider call > 3 s; every API answer < 3 s (`/healthz` 503); the Redis consumer "
        "and the API's subscriber notice the silent connection and reconnect; both consumers "
        "end with no gap at all"
    ),
)
@pytest.mark.slow
def test_redis_frozen_for_10_s(outage_setup, own_redis, caplog):
    sim, api, base, consumers, admin = outage_setup
    redis_consumer = consumers[1]
    caplog.set_level(logging.WARNING, logger="livedata.client")
    pubsub_ids = {c["id"] for c in admin.client_list(_type="pubsub")}

    # A provider loop in this process too, timing each of its calls while Redis is frozen.
    settings = Settings.from_env({"REDIS_URL": own_redis.url, "SIM_RATE": "200"})
    provider = SimProvider(settings, ProviderRuntime("sim-timed", settings))
    stop, longest = StopFlag(), [0.0]

    def timed_step() -> float:
        started = time.monotonic()
        delay = provider.step()
        provider.runtime.beat()
        longest[0] = max(longest[0], time.monotonic() - started)
        return delay

    loop = threading.Thread(target=provider.runtime.run, args=(timed_step, stop), daemon=True)
    loop.start()
    wait_for(lambda: admin.hget(channels.PROVIDERS, "sim-timed"), timeout=5)

    own_redis.freeze()
    frozen = time.monotonic()
    try:
        during = probe_api(base, until=frozen + 10)
    finally:
        own_redis.thaw()
    thawed = time.monotonic()
    stop.event.set()
    loop.join(5)

    assert not loop.is_alive()
    assert longest[0] < 3, f"a provider call blocked {longest[0]:.1f} s"
    assert all(took < 3 for _, _, took, _ in during), during
    assert all(s == 503 for p, s, _, at in during if p == "/healthz" and at > frozen + 3.5)

    # Both consumers catch up with no gap at all: the stream still holds what they missed.
    wait_for(lambda: caught_up(consumers, newest_seqs(admin)), timeout=20)
    resumed = time.monotonic() - thawed
    for consumer in consumers:
        assert consumer.gaps() == [], consumer.gaps()[:5]
    # The Redis consumer noticed its silent connection and made a new one.
    assert "lost Redis (TimeoutError)" in caplog.text
    assert redis_consumer.client.reconnects >= 1
    new_ids = {c["id"] for c in admin.client_list(_type="pubsub")}
    assert new_ids - pubsub_ids, "no new pub/sub connection after the freeze"
    # So did the API's subscriber (its log says so; /healthz counts it).
    assert "subscriber lost Redis (TimeoutError)" in api.output()
    subscriber = requests.get(base + "/healthz", timeout=5).json()["subscriber"]
    assert subscriber["reconnects"] >= 1
    assert sim.alive() and api.alive()
    assert resumed < 20


@pytest.mark.reliability(
    "Redis restarted empty under a provider with nothing new to publish (an unchanged workbook)",
    "a provider runtime that only heartbeats across a Redis restart",
    "its latest quotes are re-written < 2.5 s after Redis returns; health back to ok",
)
def test_a_quiet_provider_rewrites_its_latest_quotes_when_redis_returns_empty(own_redis, tmp_path):
    """A provider with nothing new to publish (a TOS workbook that did not change) still
    notices Redis coming back -- through its heartbeat -- and re-writes its latest quotes."""
    settings = Settings.from_env({"REDIS_URL": own_redis.url})
    runtime = ProviderRuntime("quiet", settings)
    assert runtime.publish(
        [build_quote({"symbol": s, "last": 1.0}, source="test") for s in ("ES", "NQ")]
    )
    own_redis.kill()
    runtime._next_beat = 0.0  # a heartbeat is due now: it finds Redis gone
    runtime.beat("ok")
    assert not runtime.redis_ok
    again = RedisServer(tmp_path / "again", port=own_redis.port).start()
    try:
        back = time.monotonic()
        wait_for(lambda: runtime.beat() or runtime.redis_ok, timeout=5)  # only heartbeats
        assert time.monotonic() - back < 2.5
        snapshot = runtime.bus.snapshot(["ES", "NQ"])
        assert snapshot["ES"]["last"] == 1.0 and snapshot["NQ"]["last"] == 1.0
        record = json.loads(runtime.bus.redis.hget(channels.PROVIDERS, "quiet"))
        assert record["status"] == "ok"
    finally:
        runtime.bus.close()
        again.kill()
