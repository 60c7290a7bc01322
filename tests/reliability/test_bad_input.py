"""Bad input is refused with a clear error, logged once, and nothing is published: huge
requests against the real gunicorn API, malformed JSON on the Schwab control channel,
provider payloads with NaN, Infinity, absurd or non-numeric prices."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from decimal import Decimal

import pytest

from livedata import channels
from livedata.exceptions import InvalidQuote
from services.schwab.control import CONTROL_CHANNEL, listen
from services.sim.process import SimProvider
from tests.conftest import wait_for


def raw_get(base: str, target: str, headers: str = "") -> tuple[int, float]:
    """Send one GET with a raw socket (any size); (status, seconds to the status line)."""
    host, port = base.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{headers}Connection: close\r\n\r\n"
        try:
            sock.sendall(request.encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading it all: that is fine
        status_line = sock.makefile("rb").readline()
    assert status_line.startswith(b"HTTP/1."), status_line[:80]
    return int(status_line.split()[1]), time.monotonic() - started


@pytest.fixture
def api(redis_url, start_api):
    return start_api(redis_url)[1]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("what", "target", "headers"),
    [
        ("1 MB query string", "/api/feed/quotes/snapshot/?symbols=" + "A" * 1_000_000, ""),
        ("10,000 symbols", "/api/feed/quotes/snapshot/?symbols=" + ",".join(["ES"] * 10_000), ""),
        ("1 MB on the stream", "/api/feed/quotes/stream/?symbols=" + "ES," * 350_000, ""),
        ("1 MB header", "/api/feed/quotes/snapshot/?symbols=ES", "X-Big: " + "a" * 10**6 + "\r\n"),
        ("600 symbols", "/api/feed/quotes/snapshot/?symbols=" + ",".join(["ES"] * 600), ""),
    ],
)
@pytest.mark.reliability(
    "Huge requests",
    "1 MB query strings, 10,000 symbols, a 1 MB header, 600 symbols against `livedata api`",
    "a 4xx in < 3 s, never a 500 or a hang; the server answers afterwards",
)
def test_huge_requests_are_a_fast_4xx_from_gunicorn(api, rclient, what, target, headers):
    status, took = raw_get(api, target, headers)
    assert 400 <= status < 500, f"{what}: {status}"
    assert took < 3, f"{what}: {took:.1f} s"
    assert raw_get(api, "/healthz")[0] == 200  # and the server is fine afterwards


@pytest.mark.reliability(
    "10,000 symbols that reach the app (no proxy limit in front)",
    "the snapshot endpoint",
    "400 naming the count and the limit",
)
def test_too_many_symbols_names_the_limit(client):
    resp = client.get("/api/feed/quotes/snapshot/?symbols=" + ",".join(["ES"] * 10_000))
    assert resp.status_code == 400
    assert "too many symbols: 10000 requested, at most 500" in resp.get_json()["error"]


class ControlListener:
    """`services.schwab.control.listen` in a thread of its own, recording every command."""

    def __init__(self, settings) -> None:
        self.handled: list[tuple[str, list[str]]] = []
        self.loop = asyncio.new_event_loop()
        self.task: asyncio.Task | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.settings = settings
        self.thread.start()

    async def _handle(self, action: str, symbols: list[str]) -> None:
        self.handled.append((action, symbols))

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.task = self.loop.create_task(listen(self.settings, self._handle))
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        finally:
            self.loop.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(lambda: self.task and self.task.cancel())
        self.thread.join(5)
        assert not self.thread.is_alive()


BAD_CONTROL_MESSAGES = [
    "{not json",
    "",
    "null",
    '["add", "/ES"]',
    '{"action": "delete", "symbols": ["/ES"]}',
    '{"action": "add", "symbols": "/ES"}',
    '{"action": "add", "symbols": [1, 2]}',
    '{"action": "add", "symbols": []}',
    '{"action": "add", "symbols": ["/ES<script>"]}',
    '{"action": "add", "symbols": ["' + "A" * 5000 + '"]}',
    "\xff\xfe garbage",
]


@pytest.mark.reliability(
    "Malformed JSON and bad commands on the Schwab control channel",
    "11 bad messages, then one good one, to the real listener over Redis",
    "only the good one is handled; one short warning per bad one; nothing published",
)
def test_malformed_control_messages_are_refused_logged_once_and_change_nothing(
    settings, rclient, caplog
):
    caplog.set_level(logging.WARNING, logger="livedata.schwab.control")
    listener = ControlListener(settings)
    try:
        wait_for(lambda: rclient.pubsub_numsub(CONTROL_CHANNEL)[0][1] == 1, timeout=5)
        for message in BAD_CONTROL_MESSAGES:
            rclient.publish(CONTROL_CHANNEL, message)
        rclient.publish(CONTROL_CHANNEL, json.dumps({"action": "add", "symbols": ["/YM"]}))
        wait_for(lambda: listener.handled, timeout=5)  # the good one after them all
    finally:
        listener.stop()
    assert listener.handled == [("add", ["/YM"])]
    refusals = [r.getMessage() for r in caplog.records if "control message ignored" in r.message]
    assert len(refusals) == len(BAD_CONTROL_MESSAGES), refusals  # once each
    assert all(len(line) < 300 for line in refusals)  # a clear line, not the payload echoed
    assert not rclient.exists(channels.LATEST_QUOTES, channels.QUOTE_STREAM)


BAD_PRICES = [
    (float("nan"), "last must be a finite number"),
    (float("inf"), "last must be a finite number"),
    (float("-inf"), "last must be a finite number"),
    (Decimal("NaN"), "last must be a finite number"),
    (Decimal("Infinity"), "last must be a finite number"),
    ("NaN", "last must be a finite number"),
    ("Infinity", "last must be a finite number"),
    ("-inf", "last must be a finite number"),
    ("N/A", "last must be a number"),
    ("12.5.3", "last must be a number"),
    ("", "last must be a number"),
    (True, "last must be a number"),
    ([4712.25], "last must be a number"),
    ({"value": 1}, "last must be a number"),
    ("1e999", "last is out of range"),
    ("1e99999999", "last is out of range"),  # would build a 100-million-digit int
    (Decimal("-1e400"), "last is out of range"),
    (10**400, "last is out of range"),
]


@pytest.mark.reliability(
    "Provider payloads with NaN, Infinity, text, booleans, lists, absurd magnitudes",
    "`Bus.publish_quotes` with one bad price in a batch (core and optional fields)",
    "`InvalidQuote` naming the field, in < 0.5 s; nothing in the hash, stream or channels",
)
@pytest.mark.parametrize(("price", "says"), BAD_PRICES, ids=[repr(p)[:20] for p, _ in BAD_PRICES])
def test_a_bad_price_is_refused_quickly_and_nothing_is_published(bus, rclient, price, says):
    listener = rclient.pubsub()
    listener.psubscribe(channels.ALL_CHANNELS_PATTERN)
    wait_for(lambda: listener.get_message(timeout=0.1))  # the psubscribe confirmation
    started = time.monotonic()
    with pytest.raises(InvalidQuote, match=says):
        bus.publish_quotes([{"symbol": "ES", "last": 1.0}, {"symbol": "NQ", "last": price}])
    assert time.monotonic() - started < 0.5
    with pytest.raises(InvalidQuote, match=says.replace("last", "high")):
        bus.publish_quote("ES", {"last": 1.0, "high": price})  # optional fields too
    assert not rclient.exists(channels.LATEST_QUOTES, channels.QUOTE_STREAM, channels.QUOTE_STATE)
    assert listener.get_message(timeout=0.2) is None
    listener.close()


@pytest.mark.reliability(
    "A provider model producing a NaN price",
    "the simulator's step with one bad quote",
    "one error line naming it; the good quote published, the bad one not",
)
def test_a_provider_drops_a_bad_quote_logs_it_once_and_publishes_the_rest(
    settings, rclient, caplog
):
    """The simulator's guard for a model bug: the bad quote is dropped with one error line."""
    caplog.set_level(logging.INFO)
    provider = SimProvider(settings.with_overrides(sim_symbols=("ES", "NQ")))
    good = provider.simulator.quote_of
    provider.simulator.quote_of = lambda s, now: (
        {**good(s, now), "last": float("nan")} if (s == "NQ") else good(s, now)
    )
    provider.step()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["dropped a simulated quote: last must be a finite number, got nan"]
    assert rclient.hexists(channels.LATEST_QUOTES, "ES")
    assert not rclient.hexists(channels.LATEST_QUOTES, "NQ")
