import json
from datetime import UTC, datetime, timedelta

import pytest
import redis

from livedata import channels
from livedata.bus import Bus, stream_entry_quote
from livedata.exceptions import InvalidAccountEvent, InvalidQuote
from tests.conftest import wait_for


def quote(symbol, last, when=None, **extra):
    payload = {"symbol": symbol, "bid": last - 0.25, "ask": last + 0.25, "last": last}
    if when is not None:
        payload["timestamp"] = when
    return {**payload, **extra}


def test_publish_quote_writes_hash_stream_and_channel_with_the_same_seq(bus, rclient):
    pubsub = rclient.pubsub()
    pubsub.subscribe(channels.quote_channel("ES"))
    wait_for(lambda: pubsub.get_message(timeout=0.1))  # the subscribe confirmation
    result = bus.publish_quote("/ES:XCME", {"bid": 4712.25, "ask": 4712.5}, source="test")

    message = wait_for(lambda: pubsub.get_message(timeout=0.1))
    published = json.loads(message["data"])
    stored = json.loads(rclient.hget(channels.LATEST_QUOTES, "ES"))
    [(stream_id, fields)] = rclient.xrange(channels.QUOTE_STREAM)
    assert message["data"] == rclient.hget(channels.LATEST_QUOTES, "ES") == fields["quote"]
    streamed = json.loads(fields["quote"])
    assert published == stored == streamed and fields["symbol"] == "ES"
    assert published["seq"] == result.seq and published["stream_id"] == result.stream_id
    assert stream_id == result.stream_id
    assert published["symbol"] == "ES" and published["provider_symbol"] == "/ES:XCME"
    pubsub.close()


def test_seq_is_strictly_increasing_per_symbol_by_one(bus):
    seqs = {"ES": [], "NQ": []}
    for i in range(20):
        for result in bus.publish_quotes([quote("ES", 100 + i), quote("NQ", 200 + i)]):
            seqs[result.symbol].append(result.seq)
    for values in seqs.values():
        assert values == list(range(values[0], values[0] + 20))


def test_seq_never_goes_backwards_when_redis_loses_its_data(bus, rclient):
    before = bus.publish_quote("ES", quote("ES", 100)).seq
    rclient.flushall()  # what an embedded Redis restart without persistence looks like
    after = bus.publish_quote("ES", quote("ES", 101)).seq
    assert after > before


def test_an_older_quote_never_overwrites_the_snapshot(bus):
    now = datetime.now(UTC)
    bus.publish_quote("ES", quote("ES", 100, now))
    late = bus.publish_quote("ES", quote("ES", 99, now - timedelta(seconds=1)))
    assert not late.accepted
    assert bus.snapshot(["ES"])["ES"]["last"] == 100
    same_time = bus.publish_quote("ES", quote("ES", 101, now))
    assert same_time.accepted and bus.snapshot(["ES"])["ES"]["last"] == 101


def test_stream_ids_are_the_streams_own_and_keep_growing(bus, rclient):
    # The script makes the ids itself; they must stay valid for XADD and ordered for XRANGE
    # resumes, also after another writer moved the stream on, and when the clock is behind.
    first = bus.publish_quote("ES", quote("ES", 99)).stream_id
    rclient.xadd(channels.QUOTE_STREAM, {"symbol": "X", "quote": "{}"}, id="9999999999999-5")
    ids = [r.stream_id for r in bus.publish_quotes([quote("ES", 100), quote("NQ", 200)])]
    ids += [bus.publish_quote("ES", quote("ES", 101)).stream_id]
    assert ids == ["9999999999999-6", "9999999999999-7", "9999999999999-8"]
    assert [i for i, _ in rclient.xrange(channels.QUOTE_STREAM)] == [first, "9999999999999-5", *ids]
    assert bus.snapshot(["ES"])["ES"]["stream_id"] == ids[-1]


def test_a_stream_key_of_another_type_fails_loudly_and_writes_nothing(bus, rclient):
    rclient.set(channels.QUOTE_STREAM, "not a stream")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        bus.publish_quotes([quote("ES", 100), quote("NQ", 200)])
    assert not rclient.exists(channels.LATEST_QUOTES, channels.QUOTE_STATE)


def test_stream_entry_quote_gives_old_entries_their_stream_id():
    new = '{"symbol":"ES","seq":3,"stream_id":"1-2"}'
    assert stream_entry_quote("1-2", new) == new
    assert json.loads(stream_entry_quote("1-2", '{"symbol":"ES","seq":3}'))["stream_id"] == "1-2"


def test_one_symbol_many_times_in_a_batch_keeps_the_newest(bus, rclient):
    now = datetime.now(UTC)
    batch = [
        quote("ES", 100, now),
        quote("ES", 101, now + timedelta(seconds=1)),
        quote("ES", 99, now),  # older than the one before it in the same batch
        quote("ES", 102, now + timedelta(seconds=2)),
    ]
    results = bus.publish_quotes(batch)
    assert [r.accepted for r in results] == [True, True, False, True]
    seqs = [r.seq for r in results if r.accepted]
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]
    stored = bus.snapshot(["ES"])["ES"]
    assert (stored["last"], stored["seq"]) == (102, seqs[2])
    assert stored["stream_id"] == results[3].stream_id
    assert rclient.xlen(channels.QUOTE_STREAM) == 3
    assert not bus.publish_quote("ES", quote("ES", 98, now + timedelta(seconds=1))).accepted


def test_a_quote_read_back_from_redis_is_republished_with_a_new_seq_and_stream_id(bus):
    first = bus.publish_quote("ES", quote("ES", 100))
    again = bus.write_quotes([bus.snapshot(["ES"])["ES"]])[0]
    assert again.seq == first.seq + 1 and again.stream_id != first.stream_id
    stored = bus.snapshot(["ES"])["ES"]
    assert (stored["seq"], stored["stream_id"]) == (again.seq, again.stream_id)


def test_a_batch_costs_one_round_trip(bus, rclient):
    rclient.config_resetstat()
    bus.publish_quotes([quote(f"S{i}", 10.0 + i) for i in range(100)])
    stats = rclient.info("commandstats")
    assert stats["cmdstat_evalsha"]["calls"] == 1
    assert stats["cmdstat_publish"]["calls"] == 100
    assert stats["cmdstat_xadd"]["calls"] == 100
    assert stats["cmdstat_hset"]["calls"] == 2  # snapshot and bookkeeping: once a batch


def test_a_bad_payload_in_a_batch_writes_nothing(bus, rclient):
    batch = [quote("ES", 100), quote("NQ", float("nan"))]
    with pytest.raises(InvalidQuote, match="must be a finite number"):
        bus.publish_quotes(batch)
    assert rclient.exists(channels.LATEST_QUOTES, channels.QUOTE_STREAM) == 0


def test_the_script_is_reloaded_after_script_flush(bus, rclient):
    bus.publish_quote("ES", quote("ES", 100))
    rclient.script_flush()
    assert bus.publish_quote("ES", quote("ES", 101)).accepted


def test_the_stream_is_capped(settings, rclient):
    bus = Bus(rclient, settings.with_overrides(quote_stream_maxlen=100))
    for _ in range(10):
        bus.publish_quotes([quote("ES", 100.0)] * 100)
    assert 100 <= rclient.xlen(channels.QUOTE_STREAM) < 1000


def test_the_stream_stays_capped_when_batches_end_with_a_refused_quote(settings, rclient):
    bus = Bus(rclient, settings.with_overrides(quote_stream_maxlen=100))
    now = datetime.now(UTC)
    bus.publish_quote("LAG", quote("LAG", 1.0, now))
    for i in range(50):
        late = quote("LAG", 1.0, now - timedelta(seconds=1))
        bus.publish_quotes([*[quote("ES", 100.0 + i)] * 10, late])
    assert 100 <= rclient.xlen(channels.QUOTE_STREAM) < 400


def test_quotes_from_before_1970_keep_their_guard_and_seq(bus):
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    first = bus.publish_quote("ES", quote("ES", 100, epoch - timedelta(minutes=1)))
    older = bus.publish_quote("ES", quote("ES", 99, epoch - timedelta(days=365)))
    newer = bus.publish_quote("ES", quote("ES", 101, epoch))
    assert first.accepted and not older.accepted
    assert newer.seq == first.seq + 1


def test_snapshot_reads_many_symbols_in_order_with_none_for_unknown(bus):
    bus.publish_quotes([quote("ES", 100), quote("NQ", 200)])
    snap = bus.snapshot(["NQ", "XX", "ES"])
    assert list(snap) == ["NQ", "XX", "ES"]
    assert snap["NQ"]["last"] == 200 and snap["XX"] is None


def test_publish_account_positions_to_channel_and_latest_hash(bus, rclient):
    pubsub = rclient.pubsub()
    pubsub.subscribe(channels.account_channel("positions", "HASH123"))
    wait_for(lambda: pubsub.get_message(timeout=0.1))
    bus.publish_account("positions", "HASH123", {"positions": [{"symbol": "ES", "quantity": 2}]})
    message = json.loads(wait_for(lambda: pubsub.get_message(timeout=0.1))["data"])
    assert message["type"] == "positions" and message["account_id"] == "HASH123"
    assert bus.latest_account("positions", "HASH123") == message
    pubsub.close()


def test_orders_have_a_channel_but_no_latest_hash(bus, rclient):
    bus.publish_account("orders", "HASH123", {"order_id": 1})
    assert not rclient.exists(channels.latest_account("orders"))


@pytest.mark.parametrize(
    ("kind", "account_id", "payload", "message"),
    [
        ("trades", "HASH", {}, "account kind must be one of"),
        ("positions", "12345678", {}, "looks like a full account number"),
        ("positions", "a b", {}, "account_id must be"),
        ("balances", "HASH", {"cash": float("nan")}, "balances payload"),
        ("balances", "HASH", [], "must be a mapping"),
    ],
)
def test_bad_account_events_are_refused_and_nothing_published(
    bus, rclient, kind, account_id, payload, message
):
    with pytest.raises(InvalidAccountEvent, match=message):
        bus.publish_account(kind, account_id, payload)
    assert rclient.dbsize() == 0
