import json
import threading

import pytest
import requests

from livedata import sse
from services.api.stream_session import SHUTDOWN

URL = "/api/feed/quotes/stream/"


class EventReader:
    """Reads SSE events from a live response, each read bounded by the socket timeout."""

    def __init__(self, base, query, headers=None):
        self.resp = requests.get(
            base + URL + query, headers=headers or {}, stream=True, timeout=(3, 5)
        )
        self.events = sse.parse(self.resp.iter_lines(decode_unicode=True))

    def next(self, name=None):
        for event in self.events:
            if name is None or event.name == name:
                return event
        raise AssertionError("stream ended")

    def quotes(self, count):
        return [json.loads(self.next("quote").data) for _ in range(count)]

    def close(self):
        self.resp.close()


@pytest.fixture
def reader(api_server):
    opened = []

    def open_stream(query, headers=None):
        opened.append(EventReader(api_server, query, headers))
        return opened[-1]

    yield open_stream
    for r in opened:
        r.close()


def publish(bus, symbol, last):
    return bus.publish_quote(symbol, {"last": last}, source="test")


def test_a_snapshot_event_then_quote_events_with_stream_ids(reader, bus):
    publish(bus, "ES", 1.0)
    stream = reader("?symbols=ES,NQ")
    snapshot = stream.next()
    assert snapshot.name == "snapshot"
    body = json.loads(snapshot.data)
    assert [q["symbol"] for q in body["quotes"]] == ["ES"] and body["count"] == 1
    published = [publish(bus, "NQ", 2.0), publish(bus, "YM", 3.0), publish(bus, "ES", 4.0)]
    first, second = stream.next("quote"), stream.next("quote")
    assert [json.loads(e.data)["symbol"] for e in (first, second)] == ["NQ", "ES"]
    assert [e.id for e in (first, second)] == [published[0].stream_id, published[2].stream_id]


def test_resume_with_last_event_id_replays_exactly_what_was_missed(reader, bus):
    stream = reader("?symbols=ES")
    stream.next("snapshot")
    publish(bus, "ES", 1.0)
    last_seen = stream.next("quote").id
    stream.close()
    missed = [publish(bus, "ES", 2.0 + i) for i in range(5)]
    publish(bus, "NQ", 9.0)  # not asked for
    resumed = reader("?symbols=ES", {"Last-Event-ID": last_seen})
    quotes = resumed.quotes(5)
    assert [q["seq"] for q in quotes] == [m.seq for m in missed]
    assert [q["stream_id"] for q in quotes] == [m.stream_id for m in missed]


def test_resume_from_a_trimmed_id_gets_a_fresh_snapshot(reader, bus, rclient):
    publish(bus, "ES", 1.0)
    rclient.xtrim("live_data:stream:quotes", maxlen=0)
    publish(bus, "ES", 2.0)
    stream = reader("?symbols=ES", {"Last-Event-ID": "1-0"})
    snapshot = json.loads(stream.next().data)
    assert snapshot["quotes"][0]["last"] == 2.0


def test_conflated_stream_sends_only_the_latest_per_interval(reader, bus):
    stream = reader("?symbols=ES&conflate_ms=200")
    stream.next("snapshot")
    results = bus.publish_quotes([{"symbol": "ES", "last": float(i)} for i in range(50)])
    quote = json.loads(stream.next("quote").data)
    assert quote["seq"] == results[-1].seq and quote["last"] == 49.0


@pytest.mark.parametrize(
    ("query", "headers", "message"),
    [
        ("", {}, "symbols is required"),
        ("?symbols=E%20S", {}, "must be 1-32 characters"),
        ("?symbols=ES&conflate_ms=abc", {}, "conflate_ms must be an integer"),
        ("?symbols=ES&conflate_ms=", {}, "conflate_ms must be an integer"),
        ("?symbols=ES&conflate_ms=1", {}, "conflate_ms must be an integer from 50"),
        ("?symbols=ES", {"Last-Event-ID": "../../etc"}, "Last-Event-ID must be a stream id"),
    ],
)
def test_bad_input_is_a_400_json_error(client, query, headers, message):
    resp = client.get(URL + query, headers=headers)
    assert resp.status_code == 400 and message in resp.get_json()["error"]


def test_the_stream_cap_answers_503(make_app, settings, bus):
    app = make_app(settings.with_overrides(sse_max_streams=1))
    client = app.test_client()
    first = client.get(URL + "?symbols=ES", buffered=False)
    assert first.status_code == 200
    second = client.get(URL + "?symbols=ES")
    assert second.status_code == 503 and "too many open streams" in second.get_json()["error"]
    first.close()  # closing frees the slot
    third = client.get(URL + "?symbols=ES", buffered=False)
    assert third.status_code == 200
    third.close()


def test_shutdown_ends_open_streams(reader, bus):
    stream = reader("?symbols=ES")
    stream.next("snapshot")
    ended = threading.Event()

    def drain():
        for _ in stream.events:
            pass
        ended.set()

    threading.Thread(target=drain, daemon=True).start()
    SHUTDOWN.set()
    try:
        assert ended.wait(5)
    finally:
        SHUTDOWN.clear()
