"""`livedata tos` as a real process: publishes, survives Excel's saves, stops on SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from livedata import channels
from services.tos.sample import write_sample
from tests.conftest import wait_for
from tests.tos.conftest import WORKBOOK

LIVEDATA = str(Path(sys.executable).parent / "livedata")


def _env(redis_url, workbook_dir, **extra):
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "TOS_WORKBOOK_DIR": str(workbook_dir),
        "TOS_WORKBOOK": WORKBOOK,
        "TOS_POLL_INTERVAL": "0.1",
        **extra,
    }


@pytest.fixture
def tos_process(redis_url, workbook_dir):
    process = subprocess.Popen(
        [LIVEDATA, "tos"], env=_env(redis_url, workbook_dir), stdout=subprocess.PIPE, text=True
    )
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(5)
    process.stdout.close()


def _health(rclient):
    return json.loads(rclient.hget(channels.PROVIDERS, "tos"))


def _last(rclient, symbol):
    raw = rclient.hget(channels.LATEST_QUOTES, symbol)
    return json.loads(raw)["last"] if raw else None


@pytest.mark.slow
def test_process_follows_saves_and_stops_on_sigterm_within_2_s(tos_process, workbook_dir, rclient):
    path = workbook_dir / WORKBOOK
    wait_for(lambda: rclient.hget(channels.PROVIDERS, "tos"), timeout=10)  # started, no file yet
    write_sample(path)
    wait_for(lambda: _last(rclient, "ES") == 6857.25, timeout=5)
    path.write_bytes(path.read_bytes()[:500])  # a torn file must not kill it
    wait_for(lambda: "UnreadableWorkbook" in _health(rclient)["detail"], timeout=5)
    assert tos_process.poll() is None
    write_sample(path, {"ES": {"LAST": 6862.0}})
    wait_for(lambda: _last(rclient, "ES") == 6862.0, timeout=5)
    started = time.monotonic()
    tos_process.send_signal(signal.SIGTERM)
    assert tos_process.wait(5) == 0
    assert time.monotonic() - started < 2
    assert _health(rclient)["status"] == "down"


@pytest.mark.slow
def test_once_reads_publishes_and_exits(redis_url, workbook_dir, rclient):
    write_sample(workbook_dir / WORKBOOK)
    result = subprocess.run(
        [LIVEDATA, "tos", "--once"], env=_env(redis_url, workbook_dir), timeout=30,
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert rclient.hlen(channels.LATEST_QUOTES) == 11


@pytest.mark.slow
def test_without_a_configured_workbook_it_says_what_to_set(redis_url, workbook_dir):
    env = _env(redis_url, workbook_dir, TOS_WORKBOOK="")
    result = subprocess.run([LIVEDATA, "tos"], env=env, timeout=30, capture_output=True, text=True)
    assert result.returncode == 1
    assert "TOS_WORKBOOK is not set" in result.stderr
