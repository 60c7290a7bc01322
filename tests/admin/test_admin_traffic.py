"""The traffic stream: throttled rendered frames, filter, cap, disconnect and SIGTERM."""

from __future__ import annotations

import re
import time

import pytest

import admin.traffic
from livedata import sse
from tests.conftest import wait_for


@pytest.fixture(autouse=True)
def short_keepalive(monkeypatch):
    monkeypatch.setattr(admin.traffic, "KEEPALIVE", 0.5)


class Stream:
    """An open /traffic/stream response read event by event, with a deadline."""

    def __init__(self, client, url="/traffic/stream"):
        self.response = client.get(url, buffered=False)
        self.chunks = iter(self.response.response)
        self.buffer = b""
        self.frames = 0

    def next_event(self):
        while b"\n\n" not in self.buffer:
            self.buffer += next(self.chunks)
        block, self.buffer = self.buffer.split(b"\n\n", 1)
        return next(sse.parse(block.decode().split("\n") + [""]), None)

    def frame_where(self, condition, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.next_event()
            if event is not None and event.name == "traffic":
                self.frames += 1
                if condition(event.data):
                    return event.data
        raise AssertionError(f"no matching frame within {timeout} s")

    def read_until(self, marker: bytes, timeout=5.0) -> None:
        deadline = time.monotonic() + timeout
        seen = self.buffer
        while marker not in seen:
            assert time.monotonic() < deadline, f"no {marker!r} within {timeout} s"
            seen += next(self.chunks)

    def close(self):
        self.response.close()


def count_of(frame: str, channel: str) -> int:
    match = re.search(
        rf'data-channel="{re.escape(channel)}"><td>[^<]*</td><td class="num">(\d+)', frame
    )
    return int(match[1]) if match else 0


def quote(symbol, last, seconds=0.0):
    stamp = time.time() - 1 + seconds / 1000
    return {"symbol": symbol, "bid": last - 0.25, "ask": last, "last": last, "timestamp": stamp}


@pytest.fixture
def live(admin_client):
    stream = Stream(admin_client)
    stream.frame_where(lambda data: 'data-live="yes"' in data)
    yield stream
    stream.close()


def test_frames_are_rendered_html_with_counts_and_the_last_message(live, bus):
    bus.publish_quotes([quote("ES", 4712.25 + i, i) for i in range(3)], source="sim")
    frame = live.frame_where(lambda d: count_of(d, "live_data:quotes:ES") == 3)
    assert "<table" in frame and "\n" not in frame
    assert "4714.25" in frame and "/s" in frame


def test_frames_are_throttled_whatever_the_rate(live, bus):
    bus.publish_quotes([quote("NQ", 25000 + i, i) for i in range(400)], source="sim")
    live.frame_where(lambda d: count_of(d, "live_data:quotes:NQ") == 400)
    assert live.frames <= 8  # 400 messages, a handful of DOM swaps


def test_filter_subscribes_to_the_symbols_only(admin_client, bus):
    stream = Stream(admin_client, "/traffic/stream?symbols=/nq")
    try:
        stream.frame_where(lambda data: 'data-live="yes"' in data)
        bus.publish_quote("ES", quote("ES", 1.0))
        bus.publish_quote("NQ", quote("NQ", 2.0))
        frame = stream.frame_where(lambda d: count_of(d, "live_data:quotes:NQ") == 1)
        assert "live_data:quotes:ES" not in frame
    finally:
        stream.close()


@pytest.mark.parametrize("symbols", ["ES;DROP", "x" * 40, ",".join(f"S{i}" for i in range(51))])
def test_bad_filter_is_a_400(admin_client, symbols):
    answer = admin_client.get("/traffic/stream", query_string={"symbols": symbols})
    assert answer.status_code == 400 and b"symbol" in answer.data
    panel = admin_client.get("/traffic/panel", query_string={"symbols": symbols})
    assert panel.status_code == 400 and b'class="error"' in panel.data
    assert b"sse-connect" not in panel.data


def test_panel_points_the_stream_at_the_filter(admin_client):
    panel = admin_client.get("/traffic/panel?symbols=es,%24SPX").data.decode()
    assert 'sse-connect="/traffic/stream?symbols=ES,$SPX"' in panel


def test_stream_cap_answers_503_and_frees_the_slot_on_close(make_admin, settings):
    client = make_admin(settings, MAX_STREAMS=1).test_client()
    first = Stream(client)
    first.next_event()
    assert client.get("/traffic/stream").status_code == 503
    first.close()
    second = Stream(client)
    assert second.response.status_code == 200
    second.close()


def test_disconnect_closes_the_subscription(admin_app, admin_client, monkeypatch):
    fanout = admin_app.extensions["admin"].fanout
    closed = []
    original = fanout.unsubscribe
    monkeypatch.setattr(fanout, "unsubscribe", lambda sub: closed.append(sub) or original(sub))
    stream = Stream(admin_client)
    stream.frame_where(lambda data: "<table" in data)
    stream.close()
    assert len(closed) == 1 and closed[0].wanted is None


def test_shutdown_ends_open_streams(live):
    admin.traffic.SHUTDOWN.set()
    try:
        wait_for(lambda: _ended(live), timeout=3)
    finally:
        admin.traffic.SHUTDOWN.clear()


def _ended(stream) -> bool:
    try:
        stream.next_event()
    except StopIteration:
        return True
    return False


def test_keepalive_comments_while_nothing_moves(make_admin, settings):
    client = make_admin(settings).test_client()
    stream = Stream(client, "/traffic/stream?symbols=QUIET")
    try:
        stream.read_until(b": keepalive\n\n")
    finally:
        stream.close()


def test_head_has_no_body(admin_client):
    answer = admin_client.head("/traffic/stream")
    assert answer.status_code == 200 and answer.mimetype == "text/event-stream"
