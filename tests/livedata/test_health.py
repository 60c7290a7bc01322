import json

import pytest

from livedata import channels
from livedata.health import HEARTBEAT_TIMEOUT, Heartbeat, read_health, write_health
from livedata.quotes import epoch_ms


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


def test_record_has_the_contract_fields_and_a_rate():
    clock = Clock()
    beat = Heartbeat("sim", clock)
    beat.count(50)
    clock.now += 2
    record = beat.record("ok", "fine")
    assert record["provider"] == "sim" and record["status"] == "ok"
    assert record["quotes_total"] == 50 and record["rate_per_s"] == 25.0
    assert epoch_ms(record["last_seen"]) == clock.now * 1000
    assert record["detail"] == "fine"


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match="status must be one of"):
        Heartbeat("sim").record("fine")


def test_a_silent_provider_reads_as_down(rclient):
    clock = Clock()
    write_health(rclient, Heartbeat("tos", clock).record("ok"))
    assert read_health(rclient, now=clock.now + 1)[0]["status"] == "ok"
    [record] = read_health(rclient, now=clock.now + HEARTBEAT_TIMEOUT + 1)
    assert record["status"] == "down" and "no heartbeat" in record["detail"]


def test_an_unreadable_record_reads_as_down(rclient):
    rclient.hset(channels.PROVIDERS, "broken", "{not json")
    [record] = read_health(rclient)
    assert record == {**record, "provider": "broken", "status": "down"}


def test_records_are_json_in_the_providers_hash(rclient):
    write_health(rclient, Heartbeat("sim").record("degraded", "slow"))
    assert json.loads(rclient.hget(channels.PROVIDERS, "sim"))["status"] == "degraded"
