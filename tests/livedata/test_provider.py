import json
import time

from livedata import channels
from livedata.provider import ProviderRuntime
from livedata.quotes import build_quote
from livedata.settings import Settings
from tests.conftest import RedisServer, wait_for


def quotes(*symbols, last=100.0):
    return [build_quote({"symbol": s, "last": last}, source="test") for s in symbols]


def test_runtime_rides_out_a_redis_restart_and_rewrites_latest_quotes(own_redis, tmp_path):
    settings = Settings.from_env({"REDIS_URL": own_redis.url})
    runtime = ProviderRuntime("test", settings)
    assert runtime.publish(quotes("ES", "NQ", last=1.0))

    own_redis.kill()
    started = time.monotonic()
    assert not runtime.publish(quotes("ES", last=2.0))  # kept, not lost
    assert time.monotonic() - started < 3
    runtime.beat()  # must not raise either

    restarted = RedisServer(tmp_path / "again", port=own_redis.port).start()
    try:
        wait_for(lambda: runtime.publish(quotes("CL", last=3.0)), timeout=10)
        snapshot = runtime.bus.snapshot(["ES", "NQ", "CL"])
        assert snapshot["ES"]["last"] == 2.0  # the quote published during the outage
        assert snapshot["NQ"]["last"] == 1.0  # re-written: Redis came back empty
        assert snapshot["CL"]["last"] == 3.0
    finally:
        restarted.kill()


def test_a_frozen_redis_costs_one_socket_timeout_not_more(own_redis):
    settings = Settings.from_env({"REDIS_URL": own_redis.url})
    runtime = ProviderRuntime("test", settings)
    runtime.publish(quotes("ES"))
    own_redis.freeze()
    started = time.monotonic()
    assert not runtime.publish(quotes("ES", last=2.0))
    assert not runtime.publish(quotes("ES", last=3.0))  # in backoff: returns at once
    assert time.monotonic() - started < 3


def test_beat_writes_the_health_record(settings, rclient):
    runtime = ProviderRuntime("test", settings)
    runtime.publish(quotes("ES"))
    runtime.beat("ok", "all good")
    record = json.loads(rclient.hget(channels.PROVIDERS, "test"))
    assert record["status"] == "ok" and record["quotes_total"] == 1
