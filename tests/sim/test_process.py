import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from livedata import channels
from livedata.settings import DEFAULT_SIM_SYMBOLS
from tests.conftest import wait_for

LIVEDATA = str(Path(sys.executable).parent / "livedata")


@pytest.fixture
def sim_process(redis_url, tmp_path):
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "SIM_RATE": "200",
        "LIVEDATA_DATA_DIR": str(tmp_path),
    }
    process = subprocess.Popen([LIVEDATA, "sim"], env=env, stdout=subprocess.PIPE, text=True)
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(5)
    process.stdout.close()


@pytest.mark.slow
def test_sim_publishes_all_eleven_symbols_with_heartbeats(sim_process, rclient):
    wait_for(lambda: rclient.hlen(channels.LATEST_QUOTES) == 11, timeout=10)
    quotes = [json.loads(q) for q in rclient.hmget(channels.LATEST_QUOTES, DEFAULT_SIM_SYMBOLS)]
    assert all(q["source"] == "sim" and q["bid"] < q["ask"] for q in quotes)
    health = wait_for(lambda: rclient.hget(channels.PROVIDERS, "sim"), timeout=5)
    assert json.loads(health)["status"] == "ok"


@pytest.mark.slow
def test_sigterm_stops_the_sim_within_2_seconds(sim_process, rclient):
    wait_for(lambda: rclient.hget(channels.PROVIDERS, "sim"), timeout=10)
    started = time.monotonic()
    sim_process.send_signal(signal.SIGTERM)
    assert sim_process.wait(5) == 0
    assert time.monotonic() - started < 2
    assert json.loads(rclient.hget(channels.PROVIDERS, "sim"))["status"] == "down"
