"""`livedata up` under supervisord: a provider killed with SIGKILL is restarted and publishing
again within 5 s; `supervisorctl stop all` ends everything within 10 s with SSE streams open."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
import requests

from livedata import channels
from livedata.settings import Settings
from livedata.stack import config_path, supervisor_environment
from services.schwab.login import finish_login, start_login
from services.tos.sample import write_sample
from tests.conftest import free_port, wait_for
from tests.reliability.conftest import LIVEDATA, status_of
from tests.schwab.conftest import browse

SUPERVISORCTL = str(Path(sys.executable).parent / "supervisorctl")
SIM_SYMBOLS = "SIMA,SIMB,SIMC"  # apart from the workbook's symbols: each source is visible
PROVIDERS = {"sim": "sim", "tos": "tos_excel", "schwab": "schwab"}
"""supervisord program -> the `source` of the quotes it publishes."""


class Stack:
    """`livedata up` on free ports: its own Redis, the API, the admin, and every provider --
    the sim, the TOS watcher (on the sample workbook), Schwab (against the fake, logged in)."""

    def __init__(self, tmp_path: Path, fake) -> None:
        ports = {name: free_port() for name in ("redis", "api", "admin")}
        workbooks = tmp_path / "workbooks"
        workbooks.mkdir()
        write_sample(workbooks / "CleanData.xlsm")
        self.env = {
            **os.environ,
            "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
            "API_BIND": f"127.0.0.1:{ports['api']}",
            "ADMIN_BIND": f"127.0.0.1:{ports['admin']}",
            "LIVEDATA_DATA_DIR": str(tmp_path / "var"),
            "LIVEDATA_PROVIDERS": "sim,tos,schwab",
            "SIM_SYMBOLS": SIM_SYMBOLS,
            "SIM_RATE": "50",
            "TOS_WORKBOOK_DIR": str(workbooks),
            "TOS_WORKBOOK": "CleanData.xlsm",
            "TOS_POLL_INTERVAL": "0.2",
            "SCHWAB_API_BASE": fake.api_base,
            "SCHWAB_APP_KEY": fake.state.config.app_key,
            "SCHWAB_APP_SECRET": fake.state.config.app_secret,
            "SCHWAB_SYMBOLS": "AAPL,$SPX",  # not in the workbook: each source stays visible
            "OAUTHLIB_INSECURE_TRANSPORT": "1",  # the fake speaks http on loopback
        }
        settings = Settings.from_env(self.env)
        finish_login(settings, browse(start_login(settings)))  # the token file, as `login` does
        self.api = f"http://127.0.0.1:{ports['api']}"
        self.log_path = tmp_path / "up.log"
        # Not append-only on purpose: `livedata up` must make it so (supervisord reopens
        # /dev/stdout for its programs, and separate offsets would overwrite lines).
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [LIVEDATA, "up"], env=self.env, cwd=tmp_path, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.redis = redis.Redis(port=ports["redis"], socket_timeout=2, decode_responses=True)
        # supervisorctl reads the same supervisord.conf, with the environment `up` sets.
        self.ctl_env = {**supervisor_environment(settings, embedded=True), **self.env}

    def ctl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [SUPERVISORCTL, "-c", str(config_path()), *args],
            env=self.ctl_env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    def pid(self, program: str) -> int:
        out = self.ctl("pid", program).stdout.strip()
        return int(out) if out.isdigit() else 0

    def published_since(self, source: str, since_ms: int) -> bool:
        """Has `source` put a quote in the stream after `since_ms` (Redis's clock)?"""
        try:
            entries = self.redis.xrange(channels.QUOTE_STREAM, min=str(since_ms + 1))
        except redis.RedisError:
            return False
        return any(json.loads(fields["quote"])["source"] == source for _, fields in entries)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.redis.close()
        self.log.close()


@pytest.fixture
def stack(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # this process logs in too
    up = Stack(tmp_path, fake)
    try:
        wait_for(lambda: status_of(up.api + "/healthz") == 200, timeout=30)
        wait_for(lambda: all(up.pid(p) for p in PROVIDERS), timeout=15)
        for symbol in ("SIMA", "ES", "AAPL"):  # the sim, the workbook, Schwab
            wait_for(lambda s=symbol: up.redis.hexists(channels.LATEST_QUOTES, s), timeout=15)
        yield up
    finally:
        up.close()
    # Every program's output went to up.log: no Schwab secret, token or code in any line.
    output = up.log_path.read_text(errors="replace")
    assert "Schwab provider started" in output
    for secret in [fake.state.config.app_secret, *fake.state.issued]:
        assert secret not in output and quote(secret, safe="") not in output, secret[:6]


def redis_ms(client: redis.Redis) -> int:
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


@pytest.mark.reliability(
    "A provider process killed (`kill -9`) under supervisord",
    "`livedata up` with sim, TOS (sample workbook) and Schwab (fake, logged in); kill one provider",
    "restarted by supervisord and its quotes in the stream again < 5 s after the kill",
)
@pytest.mark.slow
@pytest.mark.parametrize("program", PROVIDERS)
def test_a_killed_provider_is_restarted_and_publishing_within_5_s(stack, program):
    source = PROVIDERS[program]
    old = stack.pid(program)
    killed_ms = redis_ms(stack.redis)
    os.kill(old, signal.SIGKILL)
    killed = time.monotonic()
    wait_for(lambda: stack.pid(program) not in (0, old), timeout=5)
    wait_for(lambda: stack.published_since(source, killed_ms), timeout=5)
    assert time.monotonic() - killed < 5
    assert stack.process.poll() is None


@pytest.mark.reliability(
    "`supervisorctl stop all` with SSE streams open",
    "three open SSE streams on the API of `livedata up`",
    "`stop all` exits 0 in < 10 s, nothing RUNNING, every stream ended",
)
@pytest.mark.slow
def test_supervisorctl_stop_all_finishes_within_10_s_with_sse_streams_open(stack):
    ended: list[threading.Thread] = []
    streams = []
    for symbols in ("SIMA", "SIMB,SIMC", "ES,SIMA"):
        resp = requests.get(
            f"{stack.api}/api/feed/quotes/stream/",
            params={"symbols": symbols},
            stream=True,
            timeout=(3, 30),
        )
        assert resp.status_code == 200
        streams.append(resp)
        reader = threading.Thread(target=_drain, args=(resp,), daemon=True)
        reader.start()
        ended.append(reader)

    started = time.monotonic()
    result = stack.ctl("stop", "all")
    took = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert took < 10, f"stop all took {took:.1f} s"
    status = stack.ctl("status").stdout
    running = [line for line in status.splitlines() if "RUNNING" in line]
    assert not running, status
    for reader in ended:
        reader.join(5)
        assert not reader.is_alive(), "an SSE stream outlived the API"
    for resp in streams:
        resp.close()


def _drain(resp: requests.Response) -> None:
    try:
        for _ in resp.iter_lines():
            pass
    except requests.RequestException:
        pass
