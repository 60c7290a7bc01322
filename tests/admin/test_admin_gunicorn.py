"""`livedata admin` under gunicorn: serves the page, and SIGTERM ends open traffic streams."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from admin import gunicorn_conf
from tests.conftest import free_port, wait_for

LIVEDATA = str(Path(sys.executable).parent / "livedata")


def get(url, **options):
    try:
        return requests.get(url, timeout=2, **options)
    except requests.ConnectionError:
        return None


@pytest.mark.slow
def test_sigterm_ends_open_streams_within_the_graceful_timeout(redis_url, tmp_path):
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis_url, "ADMIN_BIND": f"127.0.0.1:{port}",
           "LIVEDATA_DATA_DIR": str(tmp_path)}  # fmt: skip
    process = subprocess.Popen([LIVEDATA, "admin"], env=env, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        page = wait_for(lambda: get(base + "/"), timeout=15)
        assert page.status_code == 200 and "Live traffic" in page.text
        stream = requests.get(base + "/traffic/stream", stream=True, timeout=10)
        lines = stream.iter_lines()
        wait_for(lambda: next(lines).startswith(b"event: traffic"), timeout=5)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        for _ in lines:  # the stream ends (it is not cut by a kill after the graceful timeout)
            pass
        assert process.wait(10) == 0
        assert time.monotonic() - started < gunicorn_conf.graceful_timeout
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)


def test_gunicorn_settings():
    assert gunicorn_conf.worker_class == "gthread" and gunicorn_conf.workers == 1
    assert gunicorn_conf.threads > 16 and gunicorn_conf.accesslog is None
