"""The snapshot endpoint (11 symbols) against a constant-JSON endpoint, same gunicorn config."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

from bench import ratios
from livedata.bus import Bus
from livedata.connections import redis_client
from livedata.embedded_redis import RedisProcess, free_port
from livedata.settings import DEFAULT_SIM_SYMBOLS, Settings
from services.sim.model import Simulator

SECONDS = 3
ROUNDS = 5
DESCRIPTION = (
    "`wrk -t2 -c16 -d3s` against gunicorn with the API's config (gthread, 2 workers)"
    " serving the 11-symbol snapshot, and the same config serving a Flask endpoint that"
    " answers the same bytes as a constant, while 20 simulated quotes/s are published."
    " Five rounds taking the two in turn; requests/s and latencies are each endpoint's median"
    " round, the ratio is of those medians. The range is of the rounds' own ratios: the"
    " constant endpoint alone swings 2x from one 3 s run to the next here, so pairing"
    " rounds does not steady this ratio as it does the publish bench's. wrk, gunicorn and"
    " Redis share the 2 cores. The snapshot is served from each worker's mirror of the hash"
    " (livedata.fanout); one HMGET per request when the mirror is not healthy."
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


class Feed:
    """Publishes the simulator's default 20 quotes/s while the load runs, as `make up` does."""

    def __init__(self, bus: Bus, sim: Simulator) -> None:
        self.bus, self.sim, self.stop = bus, sim, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.05):
            self.bus.publish_quotes([self.sim.next_quote(datetime.now(UTC))])

    def __enter__(self) -> Feed:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)


def alternate(urls: dict[str, str]) -> dict[str, list[dict]]:
    """ROUNDS rounds, taking the URLs in turn (drift hits both)."""
    rounds: dict[str, list[dict]] = {name: [] for name in urls}
    for _ in range(ROUNDS):
        for name, url in urls.items():
            rounds[name].append(load(url))
    return rounds


def measure(workdir: Path) -> dict[str, list[dict]]:
    if not shutil.which("wrk"):
        raise RuntimeError("the snapshot bench needs wrk: apt-get install wrk")
    server = RedisProcess(workdir / "redis").start()
    processes = []
    try:
        settings = Settings.from_env({"REDIS_URL": server.url})
        bus = Bus(redis_client(settings), settings)
        sim = Simulator(DEFAULT_SIM_SYMBOLS, seed=1)
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
        with Feed(bus, sim):
            return alternate(
                {"constant JSON (baseline)": constant_url, "snapshot, 11 symbols": snapshot_url}
            )
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        server.kill()


def report(results: dict[str, list[dict]]) -> str:
    baseline_rounds = next(iter(results.values()))
    baseline = median(r["rps"] for r in baseline_rounds)
    lines = [
        "| endpoint | requests/s | p50 | p99 | vs constant | rounds' ratios |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, rounds in results.items():
        mid = sorted(rounds, key=lambda r: r["rps"])[len(rounds) // 2]
        spread = ratios.per_round([r["rps"] for r in rounds], [r["rps"] for r in baseline_rounds])
        lines.append(
            f"| {name} | {mid['rps']:,.0f} | {mid['p50']} | {mid['p99']}"
            f" | {mid['rps'] / baseline:.2f}x | {spread[0]:.2f}x - {spread[-1]:.2f}x |"
        )
    return "\n".join(lines)


def run(work: Path) -> str:
    """The measurement as a RESULTS.md section."""
    return f"## Snapshot endpoint\n\n{DESCRIPTION}\n\n{report(measure(work))}"
