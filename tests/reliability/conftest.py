"""Real processes for the fault tests: `livedata sim` and `livedata api` (gunicorn) as
subprocesses with their output in files, and consumers that remember every seq they saw."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from livedata.client import LiveDataClient
from tests.conftest import free_port, wait_for
from tests.schwab import conftest as schwab_fixtures

# The fake Schwab server and what points at it: the environment, a login, a provider.
fake = schwab_fixtures.fake
schwab_env = schwab_fixtures.schwab_env
schwab_settings = schwab_fixtures.schwab_settings
login = schwab_fixtures.login
run_provider = schwab_fixtures.run_provider

LIVEDATA = str(Path(sys.executable).parent / "livedata")


class Service:
    """One `livedata ...` subprocess; its stdout and stderr go to a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("w")
        self.process = subprocess.Popen(
            [LIVEDATA, *args], env=env, stdout=self._out, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._out.close()


def service_env(redis_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "LIVEDATA_DATA_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@pytest.fixture
def spawn(tmp_path) -> Iterator:
    """Start `livedata` subcommands; every one is stopped (SIGTERM, then SIGKILL) at the end."""
    services: list[Service] = []

    def start(args: list[str], env: dict[str, str], name: str | None = None) -> Service:
        name = name or args[0]
        services.append(Service(args, env, tmp_path / f"{name}-{len(services)}.log"))
        return services[-1]

    yield start
    for service in reversed(services):
        service.stop()


@pytest.fixture
def start_api(spawn, tmp_path):
    """`livedata api` (gunicorn, one worker) on a free port; returns (service, base URL)."""

    def start(redis_url: str, **extra: str) -> tuple[Service, str]:
        port = free_port()
        env = service_env(
            redis_url, tmp_path, API_BIND=f"127.0.0.1:{port}", API_WORKERS="1", **extra
        )
        api = spawn(["api"], env)
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: status_of(f"{base}/healthz") == 200, timeout=20)
        return api, base

    return start


def status_of(url: str, timeout: float = 5) -> int | None:
    try:
        return requests.get(url, timeout=timeout).status_code
    except requests.RequestException:
        return None


def children(pid: int) -> set[int]:
    """The child processes of `pid` (gunicorn's workers)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


class Collector:
    """Runs `LiveDataClient.subscribe` in a thread; keeps (seq, arrival time) per symbol."""

    def __init__(self, client: LiveDataClient, symbols: tuple[str, ...]) -> None:
        self.client = client
        self.seen: dict[str, list[tuple[int, float]]] = {s: [] for s in symbols}
        self.symbols = symbols
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for quote in self.client.subscribe(self.symbols):
            self.seen[quote["symbol"]].append((quote["seq"], time.monotonic()))

    def count(self) -> int:
        return sum(len(v) for v in self.seen.values())

    def last_seq(self, symbol: str) -> int:
        return self.seen[symbol][-1][0] if self.seen[symbol] else 0

    def gaps(self) -> list[tuple[str, int, int, float]]:
        """(symbol, seq before, seq after, arrival of the one after) wherever seq skipped."""
        found = []
        for symbol, seen in self.seen.items():
            for (before, _), (after, at) in zip(seen, seen[1:], strict=False):
                if after != before + 1:
                    found.append((symbol, before, after, at))
        return found

    def close(self) -> None:
        self.client.close()
        self.thread.join(10)
        assert not self.thread.is_alive(), "the consumer did not end within 10 s of close()"


# --- docs/reliability.md: the table of faults and attacks, from this suite's own results ---
# Each test carries `@pytest.mark.reliability(fault, does, asserts)`. With RELIABILITY_REPORT
# set to a path (CI: docs/reliability.md), the run writes the table with each test's result.

RESULTS: dict[str, list] = {}
"""nodeid -> [(fault, does, asserts), outcome, seconds of the test itself]"""


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "reliability(fault, does, asserts): a row of docs/reliability.md"
    )


def pytest_runtest_makereport(item, call) -> None:
    mark = item.get_closest_marker("reliability")
    if mark is None:
        return
    row = RESULTS.setdefault(item.nodeid, [tuple(mark.args), "passed", 0.0])
    if call.excinfo is not None and row[1] == "passed":
        row[1] = "skipped" if call.excinfo.errisinstance(pytest.skip.Exception) else "FAILED"
    if call.when == "call":
        row[2] = call.duration


def pytest_sessionfinish(session) -> None:
    target = os.environ.get("RELIABILITY_REPORT")
    if not target or not RESULTS:
        return
    lines = [
        "# Reliability and security suite",
        "",
        "Generated by `RELIABILITY_REPORT=docs/reliability.md .venv/bin/pytest tests/reliability`"
        f" on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; the tests are in",
        "`tests/reliability/` (real redis-server, real `livedata` processes).",
        "",
        "| fault or attack | what the test does | what it asserts | last result |",
        "|---|---|---|---|",
    ]
    grouped: dict[str, list] = {}  # the cases of a parametrized test make one row
    for nodeid, (text, outcome, took) in RESULTS.items():  # in run order
        row = grouped.setdefault(nodeid.split("[")[0], [text, [], 0.0])
        row[1].append(outcome)
        row[2] += took
    for test, ((fault, does, asserts), outcomes, took) in grouped.items():
        worst = next((o for o in ("FAILED", "passed") if o in outcomes), "skipped")
        cases = f"{len(outcomes)} cases, " if len(outcomes) > 1 else ""
        result = f"{worst} ({cases}{took:.1f} s)" if worst != "skipped" else "skipped"
        name = test.split("::", 1)[1]
        lines.append(f"| {fault} | {does} (`{name}`) | {asserts} | {result} |")
    Path(target).write_text("\n".join(lines) + "\n")
