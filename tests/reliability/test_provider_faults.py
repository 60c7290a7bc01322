"""Provider faults the Schwab and TOS suites leave out: a stream dropped five times in a row,
and a workbook locked by another program."""

from __future__ import annotations

import json
import time

import pytest

from livedata import channels
from livedata.health import read_health
from livedata.provider import ProviderRuntime
from services.tos.sample import write_sample
from services.tos.watcher import Watcher
from tests.conftest import wait_for


def health_of(rclient, provider: str) -> dict:
    return next((r for r in read_health(rclient) if r["provider"] == provider), {})


@pytest.mark.reliability(
    "Schwab stream dropped five times within seconds",
    "the provider against the fake; cut every streamer connection five times in a row",
    (
        "it reconnects and resubscribes each time, with no extra token request and well "
        "within the REST budget; quotes flow after the last drop; health back to ok"
    ),
)
@pytest.mark.slow
def test_a_schwab_stream_dropped_five_times_recovers_within_budget(
    schwab_env, login, fake, run_provider, rclient
):
    login()
    running = run_provider()
    streamer = running.provider.streamer
    wait_for(lambda: streamer.state == "streaming", timeout=10)
    started = time.time()
    for drop in range(1, 6):
        fake.drop_streams()
        wait_for(lambda n=drop: streamer.connections > n and streamer.state == "streaming", 10)
    fake.push_quote("AAPL", {1: 250.0})
    wait_for(lambda: '"bid":250.0' in (rclient.hget(channels.LATEST_QUOTES, "AAPL") or ""), 5)
    wait_for(lambda: health_of(rclient, "schwab").get("status") == "ok", timeout=5)
    assert streamer.connections == 6
    assert all(code == 0 for _, code in fake.stream.logins)
    assert fake.state.count_token_requests(since=started) == 0  # no refresh storm
    assert fake.state.count_requests("/", since=started) <= 12  # ~1 preferences call a connect
    assert fake.subscribed("LEVELONE_EQUITIES") == {"AAPL", "$SPX"}
    assert running.thread.is_alive()


@pytest.mark.reliability(
    "TOS workbook locked by another program (Excel, a sync client)",
    "the watcher polls while every open of the workbook fails with PermissionError",
    "no crash; provider degraded naming the problem; the old quotes stay; recovers when unlocked",
)
def test_a_locked_workbook_degrades_the_watcher_until_it_is_unlocked(
    settings, bus, rclient, tmp_path, monkeypatch
):
    directory = tmp_path / "workbooks"
    directory.mkdir()
    path = write_sample(directory / "CleanData.xlsm")
    tos = settings.with_overrides(tos_workbook_dir=directory, tos_workbooks=("CleanData.xlsm",))
    watcher = Watcher(tos, ProviderRuntime("tos", tos, bus))
    watcher.step()
    assert rclient.hlen(channels.LATEST_QUOTES) == 11
    before = rclient.hget(channels.LATEST_QUOTES, "ES")

    def locked(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("services.tos.watch.read_file", locked)
    write_sample(path, overrides={"ES": {"LAST": 6001.0}})  # changed, but cannot be read
    watcher.runtime._next_beat = 0.0
    watcher.step()
    record = health_of(rclient, "tos")
    assert record["status"] == "degraded" and "PermissionError" in record["detail"]
    assert rclient.hget(channels.LATEST_QUOTES, "ES") == before

    monkeypatch.undo()  # unlocked
    watcher.runtime._next_beat = 0.0
    watcher.step()
    assert health_of(rclient, "tos")["status"] == "ok"
    assert json.loads(rclient.hget(channels.LATEST_QUOTES, "ES"))["last"] == 6001.0
