import json

import pytest

from livedata import channels
from livedata.bus import Bus
from livedata.connections import redis_client
from livedata.fanout import Fanout
from livedata.settings import Settings
from tests.conftest import RedisServer, wait_for


@pytest.fixture
def fanout(settings):
    fan = Fanout(settings).start()
    wait_for(lambda: fan.healthy, timeout=5)
    yield fan
    fan.stop()


def received(sub, count, timeout=5):
    got = []

    def enough():
        got.extend(sub.take(timeout=0.1)[0])
        return len(got) >= count

    wait_for(enough, timeout=timeout)
    return got


def test_a_subscription_gets_only_its_channels(fanout, bus):
    sub = fanout.subscribe([channels.quote_channel("ES")])
    bus.publish_quotes([{"symbol": "NQ", "last": 1.0}, {"symbol": "ES", "last": 2.0}])
    [message] = received(sub, 1)
    assert message.symbol == "ES" and json.loads(message.data)["last"] == 2.0
    assert message.seq > 0 and message.stream_id


def test_an_everything_subscription_sees_account_channels_too(fanout, bus):
    sub = fanout.subscribe()
    bus.publish_account("balances", "HASH1", {"cash": 1.0})
    bus.publish_quote("ES", {"last": 1.0})
    messages = received(sub, 2)
    assert {m.channel for m in messages} == {"live_data:balances:HASH1", "live_data:quotes:ES"}


def test_the_mirror_is_primed_and_follows_updates(settings, bus):
    bus.publish_quote("ES", {"last": 1.0})  # before the fanout exists: priming finds it
    fan = Fanout(settings).start()
    try:
        wait_for(lambda: fan.healthy, timeout=5)
        assert json.loads(fan.snapshot(["ES"])[0])["last"] == 1.0
        bus.publish_quote("ES", {"last": 2.0})
        wait_for(lambda: json.loads(fan.snapshot(["ES"])[0])["last"] == 2.0, timeout=5)
        assert fan.snapshot(["NQ"]) == [None]
    finally:
        fan.stop()


def test_a_slow_client_is_told_to_resync_and_memory_stays_bounded(fanout, bus):
    sub = fanout.subscribe([channels.quote_channel("ES")], limit=10)
    bus.publish_quotes([{"symbol": "ES", "last": float(i)} for i in range(25)])
    wait_for(lambda: fanout.latest_seq.get("ES", 0) > 0 and sub.resync == "slow", timeout=5)
    messages, reason = sub.take(timeout=0)
    assert reason == "slow" and len(messages) <= 10


def test_unsubscribed_clients_get_nothing_more(fanout, bus):
    sub = fanout.subscribe([channels.quote_channel("ES")])
    fanout.unsubscribe(sub)
    bus.publish_quote("ES", {"last": 1.0})
    wait_for(lambda: "ES" in fanout.latest, timeout=5)
    assert sub.take(timeout=0) == ([], None)


@pytest.mark.slow
def test_a_redis_restart_reconnects_and_flags_subscribers(own_redis, tmp_path):
    settings = Settings.from_env({"REDIS_URL": own_redis.url})
    fan = Fanout(settings).start()
    try:
        wait_for(lambda: fan.healthy, timeout=5)
        sub = fan.subscribe([channels.quote_channel("ES")])
        own_redis.kill()
        wait_for(lambda: not fan.healthy, timeout=5)
        assert fan.snapshot(["ES"]) is None  # callers fall back to Redis (and get its error)
        again = RedisServer(tmp_path / "again", port=own_redis.port).start()
        try:
            wait_for(lambda: fan.healthy, timeout=10)
            assert sub.take(timeout=1)[1] == "reconnected"
            Bus(redis_client(settings), settings).publish_quote("ES", {"last": 5.0})
            assert received(sub, 1)[0].symbol == "ES"
        finally:
            again.kill()
    finally:
        fan.stop()


@pytest.mark.slow
def test_a_frozen_redis_makes_the_mirror_untrusted_within_seconds(own_redis):
    fan = Fanout(Settings.from_env({"REDIS_URL": own_redis.url})).start()
    try:
        wait_for(lambda: fan.healthy, timeout=5)
        own_redis.freeze()
        wait_for(lambda: not fan.healthy, timeout=5)
        own_redis.thaw()
        wait_for(lambda: fan.healthy, timeout=10)
    finally:
        fan.stop()
