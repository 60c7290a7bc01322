"""The admin page with 1 and 10 SSE viewers in headless Chromium, the simulator at 500 quotes/s."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from bench.snapshot_bench import wait_up
from livedata.bus import Bus
from livedata.connections import redis_client
from livedata.embedded_redis import RedisProcess, free_port
from livedata.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RATE, VIEWERS = 500, (1, 10)
MARKERS, IDLE_MARKERS, FRESH_LOADS = 20, 10, 3
SPACING = 1.1
"""Seconds between markers: longer than the board's 1 s poll, so each one can reach it, and
not a multiple of the 0.25 s traffic frame or the poll, so markers land at every phase."""
SYMBOL = "ZZBENCH"  # not a sim symbol: its rows change only when a marker is published
CHROMIUM = "/usr/bin/chromium"  # Debian's, as tests/admin use it; never `playwright install`
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OBSERVER = """(() => {
  // First wall-clock ms at which each marker `last` is in the DOM, per area. Installed through
  // the DevTools protocol, so the page's CSP (script-src 'self') does not apply to it.
  const seen = {tail: {}, board: {}};
  window.__bench = seen;
  const note = (area, value) => {
    if (value && !(value in seen[area])) seen[area][value] = Date.now();
  };
  const check = () => {
    const msg = document.querySelector(
      '#traffic-stream tr[data-channel="live_data:quotes:__SYMBOL__"] td.msg');
    const match = msg && /"last":([0-9.]+)/.exec(msg.textContent);
    note("tail", match && match[1]);
    const last = document.querySelector('#board tr[data-symbol="__SYMBOL__"] td.last');
    note("board", last && last.textContent.replace(/,/g, "").trim());
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true});
})();""".replace("__SYMBOL__", SYMBOL)
DESCRIPTION = (
    "The admin app under gunicorn with its own config (`admin.gunicorn_conf`: one gthread"
    f" worker), `livedata sim` at SIM_RATE={RATE} and a private redis-server, viewed by one"
    " headless Debian Chromium with N pages on `/` (one browser context each, as separate"
    " operators: one profile caps HTTP/1.1 at 6 connections per host, fewer than 10 streams)."
    f" Every {SPACING} s a marker quote for {SYMBOL} (no sim symbol) with a unique `last` is"
    " published through `Bus.publish_quote`; a MutationObserver in every page notes the wall"
    " clock when that `last` first shows in the traffic table (SSE, one frame per 0.25 s) and"
    " in the board (polled every 1 s). Delay: publisher clock just before the publish to the"
    " page's `Date.now()`; p50/p99 over every page's markers (and the worst page's p99)."
    " Server CPU: utime+stime of gunicorn master and worker over the marker window, 100% ="
    " one core; RSS at the end. Browser CPU: every Chromium process, same window. Fresh load:"
    " a new page opened while the viewers stay open; `goto` to the load event, to the first"
    " traffic frame, and the round trip of its first `/providers` poll (fired 1 s after"
    " load). 2 cores shared by Redis, sim, gunicorn, Chromium and this script."
)


def _start(argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, **env}
    return subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _chromium() -> list[psutil.Process]:
    """Chromium's processes: children of Playwright's driver, itself our child."""
    kids = psutil.Process().children(recursive=True)
    return [p for p in kids if "chrom" in p.name()]


def _cpu(processes: list[psutil.Process]) -> float:
    """User + system CPU-seconds so far; a process gone meanwhile counts as zero."""
    total = 0.0
    for process in processes:
        try:
            total += sum(process.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total


def _ms_at(ordered: list[float], q: float) -> float:
    """The `q` quantile of sorted seconds, in ms (nearest rank: with 20 markers p99 is max)."""
    return 1000 * ordered[round(q * (len(ordered) - 1))] if ordered else float("nan")


class Viewers:
    """The headless browser and the pages open on the admin page."""

    def __init__(self, browser, base: str) -> None:
        self.browser, self.base, self.pages = browser, base, []

    def open(self, count: int) -> None:
        for _ in range(count):
            context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_init_script(OBSERVER)
            page = context.new_page()
            page.goto(self.base + "/", wait_until="commit")  # the pages load side by side
            self.pages.append(page)
        for page in self.pages:  # every stream connected and its subscriber up
            page.wait_for_selector('#traffic-stream .meta[data-live="yes"]', timeout=15000)

    def seen(self) -> list[dict]:
        return [page.evaluate("window.__bench") for page in self.pages]

    def fresh_load(self) -> dict[str, float]:
        """One more page while the viewers stay open: seconds to load, first frame, first poll."""
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        page, polls = context.new_page(), []
        page.on("requestfinished", lambda r: r.url.endswith("/providers") and polls.append(r))
        start = time.perf_counter()
        page.goto(self.base + "/", wait_until="load")
        loaded = time.perf_counter() - start
        page.wait_for_selector("#traffic-stream .meta", timeout=10000)
        framed = time.perf_counter() - start
        while not polls and time.perf_counter() - start < 10:
            page.wait_for_timeout(20)  # lets Playwright deliver the requestfinished event
        poll = polls[0].timing["responseEnd"] / 1000 if polls else float("nan")
        context.close()
        return {"load": loaded, "frame": framed, "poll": poll}


class Scenario:
    """Markers published at SPACING while CPU is sampled; delays read back from every page."""

    values = itertools.count(900_001)

    def __init__(self, bus: Bus, viewers: Viewers, server_pid: int) -> None:
        self.bus, self.viewers, self.server_pid = bus, viewers, server_pid

    def marker(self) -> tuple[str, float]:
        """Publish one marker; its `last` as both areas show it (commas aside), and when."""
        last = next(self.values) + 0.25  # exact in binary: repr and the board agree
        now = time.time()
        self.bus.publish_quote(SYMBOL, {"bid": last, "ask": last, "last": last, "timestamp": now})
        return repr(last), now

    def run(self, name: str, markers: int, loads: int = FRESH_LOADS) -> dict:
        self.marker()  # warm-up: the symbol's rows exist on every page before the window
        time.sleep(SPACING)
        server, browser = _tree(self.server_pid), _chromium()
        cpu0, chrome0, start = _cpu(server), _cpu(browser), time.monotonic()
        sent = {}
        for _ in range(markers):
            value, at = self.marker()
            sent[value] = at
            time.sleep(SPACING)  # also the last marker's time to reach the board
        wall = time.monotonic() - start
        result = {
            "name": name,
            "server_cpu": (_cpu(server) - cpu0) / wall,
            "browser_cpu": (_cpu(browser) - chrome0) / wall,
            "rss_mb": sum(p.memory_info().rss for p in server) / 1e6,
            "pages": [_delays(sent, seen) for seen in self.viewers.seen()],
            "markers": markers,
        }
        result["loads"] = [self.viewers.fresh_load() for _ in range(loads)]
        result["loadavg"] = os.getloadavg()[0]
        return result


def _delays(sent: dict[str, float], seen: dict) -> dict[str, list[float]]:
    """Per area, the sorted seconds from publish to DOM of the markers this page showed."""
    return {
        area: sorted(seen[area][v] / 1000 - at for v, at in sent.items() if v in seen[area])
        for area in ("tail", "board")
    }


def scenarios(browser, base: str, bus: Bus, sim: subprocess.Popen, server_pid: int) -> list:
    viewers = Viewers(browser, base)
    scenario = Scenario(bus, viewers, server_pid)
    viewers.open(VIEWERS[0])
    results = [scenario.run(f"{VIEWERS[0]} viewer, sim {RATE}/s", MARKERS)]
    viewers.open(VIEWERS[1] - VIEWERS[0])
    results.append(scenario.run(f"{VIEWERS[1]} viewers, sim {RATE}/s", MARKERS))
    sim.terminate()
    sim.wait(10)
    # The idle baseline skips fresh loads: the bench stays under ~90 s.
    results.append(scenario.run(f"{VIEWERS[1]} viewers, sim stopped (idle)", IDLE_MARKERS, 0))
    return results


def measure(work: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright  # the other benches run without it

    server = RedisProcess(work / "redis").start()
    port, processes = free_port(), []
    env = {"REDIS_URL": server.url, "LIVEDATA_DATA_DIR": str(work)}
    try:
        gunicorn = [str(BIN / "gunicorn"), "-c", "python:admin.gunicorn_conf", "admin:create_app()"]
        bind = f"127.0.0.1:{port}"
        processes.append(_start(gunicorn, {**env, "GUNICORN_BIND": bind, "ADMIN_BIND": bind}))
        processes.append(_start([str(BIN / "livedata"), "sim"], {**env, "SIM_RATE": str(RATE)}))
        wait_up(f"http://{bind}/board")
        settings = Settings.from_env(env)
        bus = Bus(redis_client(settings), settings)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                return scenarios(browser, f"http://{bind}", bus, processes[1], processes[0].pid)
            finally:
                browser.close()
    finally:
        for process in processes:
            process.terminate()
            process.wait(15)
        server.kill()


def _pooled(result: dict, area: str) -> tuple[list[float], int]:
    delays = sorted(d for page in result["pages"] for d in page[area])
    return delays, len(result["pages"]) * result["markers"]


def report(results: list[dict]) -> str:
    lines = [
        "| scenario | server CPU | server RSS | browser CPU | traffic p50 / p99 (worst page p99)"
        " | board p50 / p99 (worst page p99) | markers shown (traffic, board) | load avg 1 min |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cells, shown = [], []
        for area in ("tail", "board"):
            delays, expected = _pooled(r, area)
            worst = max(_ms_at(page[area], 0.99) for page in r["pages"])
            cells.append(
                f"{_ms_at(delays, 0.5):,.0f} / {_ms_at(delays, 0.99):,.0f} ms ({worst:,.0f})"
            )
            shown.append(f"{len(delays)}/{expected}")
        lines.append(
            f"| {r['name']} | {r['server_cpu']:.0%} | {r['rss_mb']:,.0f} MB "
            f"| {r['browser_cpu']:.0%} | {cells[0]} | {cells[1]} | {', '.join(shown)} "
            f"| {r['loadavg']:.2f} |"
        )
    return "\n".join(lines) + "\n\n" + _loads(results) + "\n\n" + _per_page(results[1])


def _loads(results: list[dict]) -> str:
    lines = [
        f"| fresh page load (median / max of {FRESH_LOADS}) | load event | first traffic frame"
        " | first `/providers` poll round trip |",
        "|---|---:|---:|---:|",
    ]
    for r in (r for r in results if r["loads"]):
        cells = []
        for key in ("load", "frame", "poll"):
            values = sorted(load[key] for load in r["loads"])
            cells.append(f"{1000 * values[len(values) // 2]:,.0f} / {1000 * values[-1]:,.0f} ms")
        lines.append(f"| {r['name']} | {' | '.join(cells)} |")
    return "\n".join(lines)


def _per_page(result: dict) -> str:
    lines = [
        f"| {result['name']}: page | traffic p50 / p99 | board p50 / p99 |",
        "|---|---:|---:|",
    ]
    for n, page in enumerate(result["pages"], 1):
        cells = [f"{_ms_at(page[a], 0.5):,.0f} / {_ms_at(page[a], 0.99):,.0f} ms" for a in page]
        lines.append(f"| {n} | {' | '.join(cells)} |")
    return "\n".join(lines)


def run(work: Path) -> str:
    """The measurement as a RESULTS.md section."""
    return f"## Admin page under load\n\n{DESCRIPTION}\n\n{report(measure(work))}"
