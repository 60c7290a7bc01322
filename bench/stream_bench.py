"""SSE fan-out (one Redis subscriber per worker) against the naive design (a pubsub per client)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psutil
import redis

from bench.snapshot_bench import gunicorn, wait_up
from livedata.bus import Bus
from livedata.connections import redis_client
from livedata.embedded_redis import RedisProcess, free_port
from livedata.settings import DEFAULT_SIM_SYMBOLS, Settings
from services.sim.model import Simulator

CLIENTS, RATE = 200, 1000
WARMUP, MEASURE, DRAIN = 2.0, 10.0, 1.5
SERVER_ENV = {"SSE_MAX_STREAMS": "200"}  # per worker: room for all 200 however they split
API = ("services.api:create_app()", "/api/feed/quotes/stream/", "/healthz")
NAIVE = ("bench.naive_stream_app:create_app()", "/stream/", "/stream/?symbols=ES")
PAIRS = [(DEFAULT_SIM_SYMBOLS[i % 11], DEFAULT_SIM_SYMBOLS[(i + 1) % 11]) for i in range(CLIENTS)]
ALL = [DEFAULT_SIM_SYMBOLS] * CLIENTS
RUNS = [  # (scenario, design, server, symbols per client, extra query)
    ("a", "LiveData: one subscriber per worker", API, PAIRS, ""),
    ("a", "naive: one pubsub per client", NAIVE, PAIRS, ""),
    ("b", "LiveData, `conflate_ms=250`", API, ALL, "&conflate_ms=250"),
    ("b", "naive, all 11 unconflated (it has no conflation)", NAIVE, ALL, ""),
]
DESCRIPTION = (
    f"{CLIENTS} SSE clients (raw sockets in one reader process) against gunicorn with the"
    " API's config (gthread, 2 workers), while a publisher process sends"
    f" {RATE:,} simulated quotes/s over the 11 symbols (`Bus.publish_quotes`, 10 every"
    " 10 ms) to a private redis-server. (a): each client follows 2 symbols and gets every"
    " quote; (b): dashboards following all 11. Baseline: a Flask app of the same config that"
    " opens one Redis pubsub per client and forwards its messages"
    " (`bench/naive_stream_app.py`). Latency: the publisher's clock just before the EVALSHA"
    " to the reader's clock at `recv`, for quotes published in a"
    f" {MEASURE:.0f} s window after {WARMUP:.0f} s of warm-up; CPU is CPU-seconds per second"
    " over that window (100% = one core of the 2 that publisher, Redis, server and readers"
    " share); RSS is the gunicorn master plus workers at the end. Delivered: the window's"
    f" quotes each client asked for that reached it by {DRAIN} s after the publisher stopped."
    " Redis clients: the most `connected_clients` seen, with the publisher and this sampler;"
    " LiveData's also holds pool connections opened by the burst of 200 simultaneous stream"
    " openings (an HMGET each while the worker's subscriber was not yet primed), idle after."
)


def _python(*args: str) -> subprocess.Popen:
    """A bench.stream_load role in its own process, talking over stdin/stdout."""
    argv = [sys.executable, "-m", "bench.stream_load", *args]
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def _tree_cpu(processes: list[psutil.Process]) -> float:
    """User + system CPU-seconds of `processes` so far."""
    return sum(sum(p.cpu_times()[:2]) for p in processes)


def _streams_per_worker(workers: list[psutil.Process], port: int) -> str:
    """How gunicorn's workers split the streams (whoever accepts first takes the client)."""
    counts = [
        sum(c.status == "ESTABLISHED" and c.laddr.port == port for c in w.net_connections())
        for w in workers
    ]
    return "/".join(map(str, counts))


def measure_run(server: RedisProcess, work: Path, spec, symbols, extra: str) -> dict:
    """One design under one scenario: start its server, readers, publisher; sample; stop."""
    app, path, probe = spec
    port = free_port()
    web, readers = gunicorn(app, port, {"REDIS_URL": server.url, **SERVER_ENV}), None
    try:
        wait_up(f"http://127.0.0.1:{port}{probe}")
        time.sleep(1.0)  # both workers booted, so neither takes every client
        paths = [f"{path}?symbols={','.join(s)}{extra}" for s in symbols]
        readers = _python("read", str(port), str(work / "reads.json"), *paths)
        opened = int(readers.stdout.readline().split()[1])
        result = {"opened": opened, **_sample(server, web, port, work)}
        readers.stdin.write(b"stop\n")
        readers.stdin.close()
        readers.wait(60)
    finally:
        if readers is not None and readers.poll() is None:
            readers.kill()
        web.terminate()  # after the readers left, so no stream holds up the graceful stop
        web.wait(15)
    reads = json.loads((work / "reads.json").read_text())
    sent = json.loads((work / "sent.json").read_text())
    return {
        **result,
        **_deliveries(sent, reads, symbols),
        "reader_cpu": reads["cpu_share"],
        "conflated": "conflate_ms" in extra,
    }


def _sample(server: RedisProcess, web: subprocess.Popen, port: int, work: Path) -> dict:
    """Publish for WARMUP + MEASURE s; sample CPU, RSS and Redis clients over the window."""
    master = psutil.Process(web.pid)
    workers = master.children(recursive=True)
    tree, redis_proc = [master, *workers], psutil.Process(server.process.pid)
    seconds = str(WARMUP + MEASURE + 0.5)
    publisher = _python("publish", server.url, str(RATE), seconds, str(work / "sent.json"))
    publisher.stdout.readline()
    time.sleep(WARMUP)
    cpu, redis_cpu, clients = _tree_cpu(tree), _tree_cpu([redis_proc]), []
    sampler = redis.Redis.from_url(server.url)
    ends = time.monotonic() + MEASURE
    while time.monotonic() < ends:
        clients.append(sampler.info("clients")["connected_clients"])
        time.sleep(0.5)
    result = {
        "server_cpu": (_tree_cpu(tree) - cpu) / MEASURE,
        "redis_cpu": (_tree_cpu([redis_proc]) - redis_cpu) / MEASURE,
        "rss_mb": sum(p.memory_info().rss for p in tree) / 1e6,
        "redis_clients": max(clients),
        "split": _streams_per_worker(workers, port),
    }
    sampler.close()
    publisher.wait(30)
    time.sleep(DRAIN)  # late deliveries still count; what is missing after this is lost
    return result


def _deliveries(sent: dict, reads: dict, symbols: list) -> dict:
    """Latencies of window quotes, and how many of the quotes each client wanted it got."""
    start = sent["started"] + WARMUP
    window = {sid: (sym, at) for sid, sym, at in sent["sent"] if start <= at < start + MEASURE}
    per_symbol = Counter(sym for sym, _ in window.values())
    latencies, delivered, expected, resyncs = [], 0, 0, 0
    for client, wanted in zip(reads["clients"], symbols, strict=True):
        first = {}
        for sid, at in client["got"]:
            if sid in window:
                first.setdefault(sid, at)
        latencies += [at - window[sid][1] for sid, at in first.items()]
        delivered += len(first)
        expected += sum(per_symbol[s] for s in wanted)
        resyncs += client["resyncs"]
    latencies.sort()
    return {
        "events_per_s": delivered / MEASURE,
        "delivered": delivered / expected,
        "p50": _ms_at(latencies, 0.5),
        "p99": _ms_at(latencies, 0.99),
        "resyncs": resyncs,
        "refused": sum(c["status"] != "200" for c in reads["clients"]),
    }


def _ms_at(ordered: list[float], q: float) -> float:
    """The `q` quantile of sorted seconds, in ms."""
    return 1000 * ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


def measure(work: Path) -> list[tuple[str, str, dict]]:
    """Every run of RUNS against one private redis-server, seeded with a quote per symbol."""
    server = RedisProcess(work / "redis").start()
    try:
        settings = Settings.from_env({"REDIS_URL": server.url})
        bus, sim = Bus(redis_client(settings), settings), Simulator(DEFAULT_SIM_SYMBOLS, seed=1)
        bus.publish_quotes([sim.quote_of(s, datetime.now(UTC)) for s in DEFAULT_SIM_SYMBOLS])
        results = []
        for n, (scenario, design, spec, symbols, extra) in enumerate(RUNS):
            run_dir = work / f"run{n}"
            run_dir.mkdir()
            results.append((scenario, design, measure_run(server, run_dir, spec, symbols, extra)))
        return results
    finally:
        server.kill()


def report(results: list[tuple[str, str, dict]]) -> str:
    lines = [
        "| scenario | design | streams (per worker) | quote events/s | delivered | p50 | p99 "
        "| Redis clients | server CPU | server RSS | redis-server CPU | reader CPU |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario, design, r in results:
        delivered = "latest per 250 ms" if r["conflated"] else f"{r['delivered']:.1%}"
        delivered += f", {r['resyncs']} resyncs" if r["resyncs"] else ""
        refused = f", {r['refused']} refused" if r["refused"] else ""
        lines.append(
            f"| ({scenario}) | {design} | {r['opened']} ({r['split']}){refused} "
            f"| {r['events_per_s']:,.0f} | {delivered} | {r['p50']:,.1f} ms | {r['p99']:,.1f} ms "
            f"| {r['redis_clients']} | {r['server_cpu']:.0%} | {r['rss_mb']:,.0f} MB "
            f"| {r['redis_cpu']:.0%} | {r['reader_cpu']:.0%} |"
        )
    return "\n".join(lines)


def run(work: Path) -> str:
    """The measurement as a RESULTS.md section."""
    return f"## SSE fan-out\n\n{DESCRIPTION}\n\n{report(measure(work))}"
