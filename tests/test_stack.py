"""`livedata up` end to end: embedded Redis, API, admin and simulator under supervisord."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from livedata.settings import DEFAULT_SIM_SYMBOLS
from tests.conftest import free_port, wait_for

LIVEDATA = str(Path(sys.executable).parent / "livedata")


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback test URL
            return json.load(resp)
    except OSError:
        return None


def get_text(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback test URL
            return resp.read().decode()
    except OSError:
        return ""


@pytest.fixture
def stack(tmp_path):
    ports = {name: free_port() for name in ("redis", "api", "admin")}
    env = {
        **os.environ,
        "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
        "API_BIND": f"127.0.0.1:{ports['api']}",
        "ADMIN_BIND": f"127.0.0.1:{ports['admin']}",
        "LIVEDATA_DATA_DIR": str(tmp_path / "var"),
    }
    log = (tmp_path / "up.log").open("w")
    process = subprocess.Popen(
        [LIVEDATA, "up"], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
    )
    yield process, ports
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(15)
    log.close()


@pytest.mark.slow
def test_up_serves_eleven_simulated_quotes_and_live_updates(stack):
    process, ports = stack
    symbols = ",".join(DEFAULT_SIM_SYMBOLS)
    url = f"http://127.0.0.1:{ports['api']}/api/feed/quotes/snapshot/?symbols={symbols}"
    body = wait_for(lambda: (b := get_json(url)) and b["count"] == 11 and b, timeout=15)
    assert [q["symbol"] for q in body["quotes"]] == list(DEFAULT_SIM_SYMBOLS)
    assert {q["source"] for q in body["quotes"]} == {"sim"}

    # The original consumer recipe: a plain pubsub on live_data:quotes:ES.
    client = redis.Redis(port=ports["redis"])
    pubsub = client.pubsub()
    pubsub.subscribe("live_data:quotes:ES")
    message = wait_for(
        lambda: (m := pubsub.get_message(timeout=0.5)) and m["type"] == "message" and m,
        timeout=10,
    )
    assert json.loads(message["data"])["symbol"] == "ES"
    pubsub.close()
    client.close()

    wait_for(lambda: "SIMULATED DATA" in get_text(f"http://127.0.0.1:{ports['admin']}/"), 5)

    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0
    assert time.monotonic() - started < 10
    assert get_json(url) is None  # the API is gone with it
