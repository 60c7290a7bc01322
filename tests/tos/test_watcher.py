"""The watcher against a real Redis: what reaches the bus, in how many round trips, and health."""

import json
import threading
import time

import pytest

from livedata import channels, provider
from livedata.exceptions import SettingsError
from livedata.provider import ProviderRuntime, StopFlag
from services.tos.errors import BadPath, BadRange
from services.tos.sample import write_sample
from services.tos.watcher import PROVIDER, Watcher
from tests.conftest import wait_for
from tests.tos.conftest import WORKBOOK, seconds_ago


@pytest.fixture
def runtime(settings, bus, monkeypatch) -> ProviderRuntime:
    # Every step writes its heartbeat, so a test reads the health of the step it just ran.
    monkeypatch.setattr(provider, "HEARTBEAT_INTERVAL", 0.0)
    return ProviderRuntime(PROVIDER, settings, bus=bus)


@pytest.fixture
def batches(runtime, monkeypatch) -> list[list[str]]:
    """The symbols of every write the bus makes (one entry per round trip)."""
    calls: list[list[str]] = []
    real = runtime.bus.write_quotes

    def counting(quotes):
        calls.append([q["symbol"] for q in quotes])
        return real(quotes)

    monkeypatch.setattr(runtime.bus, "write_quotes", counting)
    return calls


@pytest.fixture
def watcher(settings, runtime) -> Watcher:
    return Watcher(settings, runtime)


@pytest.fixture
def es_channel(rclient):
    pubsub = rclient.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channels.quote_channel("ES"))
    wait_for(lambda: pubsub.get_message(timeout=0.01) is None and pubsub.subscribed)
    yield pubsub
    pubsub.close()


def next_quote(pubsub, timeout=5.0):
    """The next quote published on a subscribed channel, or None after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.05)
        if message and message["type"] == "message":
            return json.loads(message["data"])
    return None


def health(rclient) -> dict:
    return json.loads(rclient.hget(channels.PROVIDERS, PROVIDER))


def test_first_poll_publishes_every_row_in_one_batch(watcher, workbook, batches, rclient):
    watcher.step()
    assert batches == [["YM", "ES", "NQ", "RTY", "CL", "SI", "HG", "GC", "VX", "$DXY", "ZB"]]
    es = json.loads(rclient.hget(channels.LATEST_QUOTES, "ES"))
    assert es["source"] == "tos_excel" and es["last"] == 6857.25 and es["stale"] is False
    record = health(rclient)
    assert record["status"] == "ok"
    assert record["workbooks"][0]["name"] == WORKBOOK and record["workbook_age_s"] < 5


def test_nothing_published_when_nothing_changed(watcher, workbook, batches, rclient):
    watcher.step()
    length = rclient.xlen(channels.QUOTE_STREAM)
    watcher.step()
    write_sample(workbook, saved_at=seconds_ago(0))  # re-saved, same values
    watcher.step()
    assert len(batches) == 1
    assert rclient.xlen(channels.QUOTE_STREAM) == length


def test_a_replaced_file_publishes_the_changed_cell_at_the_next_poll(
    watcher, workbook, batches, es_channel
):
    watcher.step()
    assert next_quote(es_channel)["last"] == 6857.25
    write_sample(workbook, {"ES": {"LAST": 6858.5, "BID": 6858.25}})  # temp file, then rename
    watcher.step()
    quote = next_quote(es_channel)
    assert (quote["last"], quote["bid"]) == (6858.5, 6858.25)
    assert batches[-1] == ["ES"]


def test_several_changed_rows_go_in_one_round_trip(watcher, workbook, batches):
    watcher.step()
    write_sample(workbook, {"ES": {"LAST": 6858.5}, "ZB": {"LAST": "117'15"}, "YM": {"ASK": 1}})
    watcher.step()
    assert batches[-1] == ["YM", "ES", "ZB"]


def test_published_within_one_poll_interval_of_the_rename(settings, runtime, workbook, es_channel):
    interval = settings.tos_poll_interval
    watcher, stop = Watcher(settings, runtime), StopFlag()
    thread = threading.Thread(target=runtime.run, args=(watcher.step, stop))
    thread.start()
    try:
        assert next_quote(es_channel)["last"] == 6857.25
        write_sample(workbook, {"ES": {"LAST": 6901.0}})
        renamed = time.monotonic()
        quote = next_quote(es_channel, timeout=5)
        latency = time.monotonic() - renamed
        assert quote["last"] == 6901.0
        # One interval until the next poll, plus the read itself (milliseconds) and slack.
        assert latency < interval + 0.15, f"{latency:.3f} s for a {interval} s poll"
        assert next_quote(es_channel, timeout=3 * interval) is None  # nothing more
    finally:
        stop.event.set()
        thread.join(5)
    assert not thread.is_alive()


def test_stale_workbook_marks_quotes_stale_and_the_provider_degraded(
    settings, runtime, workbook_dir, rclient
):
    write_sample(workbook_dir / WORKBOOK, saved_at=seconds_ago(60))
    Watcher(settings, runtime).step()
    assert json.loads(rclient.hget(channels.LATEST_QUOTES, "ES"))["stale"] is True
    record = health(rclient)
    assert record["status"] == "degraded"
    assert "not saved for" in record["detail"] and record["workbook_age_s"] >= 60
    assert record["workbooks"][0]["state"] == "stale"


def test_workbook_going_stale_later(settings, runtime, workbook, rclient):
    clock = [time.time()]
    watcher = Watcher(settings, runtime, clock=lambda: clock[0])
    watcher.step()
    assert json.loads(rclient.hget(channels.LATEST_QUOTES, "ES"))["stale"] is False
    clock[0] += settings.tos_stale_after + 1
    watcher.step()
    assert json.loads(rclient.hget(channels.LATEST_QUOTES, "ES"))["stale"] is True
    assert health(rclient)["status"] == "degraded"


def test_missing_then_garbage_then_good(watcher, workbook_dir, rclient):
    path = workbook_dir / WORKBOOK
    watcher.step()
    assert health(rclient)["status"] == "degraded" and "not found" in health(rclient)["detail"]
    path.write_bytes(b"PK\x03\x04half-written")
    watcher.step()
    assert "UnreadableWorkbook" in health(rclient)["detail"]
    assert rclient.hlen(channels.LATEST_QUOTES) == 0
    write_sample(path)
    watcher.step()
    assert rclient.hlen(channels.LATEST_QUOTES) == 11
    assert health(rclient)["status"] == "ok"


def test_two_workbooks_one_batch(settings, runtime, workbook_dir, batches):
    write_sample(workbook_dir / WORKBOOK)
    write_sample(workbook_dir / "Other.xlsx", {"ES": {"LAST": 1.0}})
    settings = settings.with_overrides(tos_workbooks=(WORKBOOK, "Other.xlsx"), tos_sheet="Futures")
    Watcher(settings, runtime).step()
    assert len(batches) == 1 and len(batches[0]) == 22


def test_step_returns_the_rest_of_the_interval(watcher, workbook):
    assert 0 <= watcher.step() <= watcher.settings.tos_poll_interval


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"tos_workbooks": ()}, SettingsError),
        ({"tos_workbooks": ("../x.xlsm",)}, BadPath),
        ({"tos_workbooks": ("x.csv",)}, BadPath),
        ({"tos_range": "A:M"}, BadRange),
    ],
)
def test_bad_configuration_is_refused_at_start(settings, runtime, overrides, error):
    with pytest.raises(error):
        Watcher(settings.with_overrides(**overrides), runtime)
