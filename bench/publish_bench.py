"""The publish path: our one-round-trip Lua batch against the original PUBLISH-then-HSET."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

import redis

from livedata import channels
from livedata.bus import Bus
from livedata.connections import redis_client
from livedata.embedded_redis import RedisProcess
from livedata.settings import Settings
from services.sim.model import Simulator

ROUNDS = 3
DESCRIPTION = (
    "Simulated quotes written to a fresh redis-server on loopback. The original design does"
    " PUBLISH then HSET per quote (two round trips); LiveData validates each payload"
    " (`build_quote`) and writes it with one EVALSHA per batch (seq, snapshot hash, capped"
    " stream, PUBLISH). Median of 3 rounds."
)


def payloads(count: int) -> list[dict]:
    sim = Simulator(Settings().sim_symbols, seed=1)
    return [sim.next_quote(datetime.now(UTC)) for _ in range(count)]


def original_publish(client: redis.Redis, payload: dict) -> None:
    """The original LiveData: encode, PUBLISH, then HSET -- two round trips per quote."""
    body = json.dumps(
        {
            **payload,
            "timestamp": payload["timestamp"].isoformat(),
            "received_at": payload["received_at"].isoformat(),
        }
    )
    client.publish(channels.quote_channel(payload["symbol"]), body)
    client.hset(channels.LATEST_QUOTES, payload["symbol"], body)


def rate(run, count: int) -> float:
    """Best-of-median quotes/s of `run()` publishing `count` quotes, over ROUNDS rounds."""
    results = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        run()
        results.append(count / (time.perf_counter() - started))
    return median(results)


def measure(workdir: Path) -> dict[str, float]:
    server = RedisProcess(workdir / "redis").start()
    try:
        settings = Settings.from_env({"REDIS_URL": server.url})
        client = redis_client(settings)
        bus = Bus(client, settings)
        singles, batch = payloads(3000), payloads(30_000)
        chunks = [batch[i : i + 100] for i in range(0, len(batch), 100)]
        return {
            "original (PUBLISH + HSET per quote)": rate(
                lambda: [original_publish(client, p) for p in singles], len(singles)
            ),
            "publish_quote (one quote, one EVALSHA)": rate(
                lambda: [bus.publish_quote(p["symbol"], p) for p in singles], len(singles)
            ),
            "publish_quotes (batches of 100)": rate(
                lambda: [bus.publish_quotes(c) for c in chunks], len(batch)
            ),
        }
    finally:
        server.kill()


def report(results: dict[str, float]) -> str:
    baseline = next(iter(results.values()))
    lines = ["| path | quotes/s | vs original |", "|---|---:|---:|"]
    for name, value in results.items():
        lines.append(f"| {name} | {value:,.0f} | {value / baseline:.1f}x |")
    return "\n".join(lines)


def run(work: Path) -> str:
    """The measurement as a RESULTS.md section."""
    return f"## Publish path\n\n{DESCRIPTION}\n\n{report(measure(work))}"
