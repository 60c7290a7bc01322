"""The snapshot endpoint (11 symbols) against a constant-JSON endpoint, same gunicorn config."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from livedata.bus import Bus
from livedata.connections import redis_client
from livedata.embedded_redis import RedisProcess, free_port
from livedata.settings import DEFAULT_SIM_SYMBOLS, Settings
from services.sim.model import Simulator

SECONDS = 5
DESCRIPTION = (
    "`wrk -t2 -c16 -d5s` against gunicorn with the API's config (gthread, 2 workers x 16"
    " threads) serving the 11-symbol snapshot, and the same config serving a Flask endpoint"
    " that answers the same bytes as a constant. wrk, gunicorn and Redis share the 2 cores."
)
CONNECTIONS = 16
SNAPSHOT = "/api/feed/quotes/snapshot/?symbols=" + ",".join(DEFAULT_SIM_SYMBOLS)


def gunicorn(app: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    """The API's gunicorn config (gthread, same workers and threads) serving `app`."""
    gunicorn_bin = str(Path(sys.executable).parent / "gunicorn")
    argv = [gunicorn_bin, "-c", "python:services.api.gunicorn_conf", app]
    env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def load(url: str) -> dict[str, float]:
    """Requests/s and latency percentiles from wrk (Debian package `wrk`)."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency.get("50", "?"),
        "p99": latency.get("99", "?"),
    }


def measure(workdir: Path) -> dict[str, dict]:
    if not shutil.which("wrk"):
        raise RuntimeError("the snapshot bench needs wrk: apt-get install wrk")
    server = RedisProcess(workdir / "redis").start()
    processes = []
    try:
        settings = Settings.from_env({"REDIS_URL": server.url})
        bus = Bus(redis_client(settings), settings)
        sim = Simulator(DEFAULT_SIM_SYMBOLS, seed=1)
        from datetime import UTC, datetime

        bus.publish_quotes([sim.quote_of(s, datetime.now(UTC)) for s in DEFAULT_SIM_SYMBOLS])
        api_port, const_port = free_port(), free_port()
        env = {"REDIS_URL": server.url}
        processes.append(gunicorn("services.api:create_app()", api_port, env))
        snapshot_url = f"http://127.0.0.1:{api_port}{SNAPSHOT}"
        wait_up(snapshot_url)
        with urllib.request.urlopen(snapshot_url) as resp:  # noqa: S310 - loopback
            body = json.dumps(json.load(resp))  # the same bytes, served as a constant
        processes.append(gunicorn(f"bench.constant_app:create_app({body!r})", const_port, env))
        constant_url = f"http://127.0.0.1:{const_port}/constant/"
        wait_up(constant_url)
        return {
            "constant JSON (baseline)": load(constant_url),
            "snapshot, 11 symbols": load(snapshot_url),
        }
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        server.kill()


def report(results: dict[str, dict]) -> str:
    baseline = next(iter(results.values()))["rps"]
    lines = ["| endpoint | requests/s | p50 | p99 | vs constant |", "|---|---:|---:|---:|---:|"]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} | {r['rps'] / baseline:.2f}x |"
        )
    return "\n".join(lines)


def run(work: Path) -> str:
    """The measurement as a RESULTS.md section."""
    return f"## Snapshot endpoint\n\n{DESCRIPTION}\n\n{report(measure(work))}"
