"""The publish path: our one-round-trip Lua batch against the original PUBLISH-then-HSET."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

import redis

from bench import ratios
from livedata import channels
from livedata.bus import Bus
from livedata.connections import redis_client
from livedata.embedded_redis import RedisProcess
from livedata.settings import Settings
from services.sim.model import Simulator

ROUNDS = 9
DESCRIPTION = (
    "Simulated quotes written to a fresh redis-server on loopback. The original design does"
    " PUBLISH then HSET per quote (two round trips); LiveData validates each payload"
    " (`build_quote`) and writes it with one EVALSHA per batch (seq, snapshot hash, capped"
    " stream, PUBLISH). Every round publishes fresh quotes (none refused as older). 9 rounds,"
    " the paths taking turns within each; the ratio is the median of the rounds' ratios, as"
    " the baseline's loopback round trips swing with the machine's load from round to round."
    " The baseline and the single-quote path use the simulator's 19-field"
    " quotes; a batch's cost grows with the quote's size (JSON encoding and the stream"
    " entry), hence the two batch rows."
)


SIM = Simulator(Settings().sim_symbols, seed=1)
CORE_FIELDS = ("symbol", "bid", "ask", "last", "volume", "timestamp")
PING = "PING round trip"


def payloads(count: int, fields: tuple[str, ...] | None = None) -> list[dict]:
    """Fresh quotes (timestamps later than any before: none is refused as older)."""
    quotes = [SIM.next_quote(datetime.now(UTC)) for _ in range(count)]
    if fields:
        quotes = [{k: q[k] for k in fields} for q in quotes]
    return quotes


def original_publish(client: redis.Redis, payload: dict) -> None:
    """The original LiveData: encode, PUBLISH, then HSET -- two round trips per quote."""
    times = {k: payload[k].isoformat() for k in ("timestamp", "received_at") if k in payload}
    body = json.dumps({**payload, **times})
    client.publish(channels.quote_channel(payload["symbol"]), body)
    client.hset(channels.LATEST_QUOTES, payload["symbol"], body)


def one_round(publish, count: int, fields: tuple[str, ...] | None = None) -> float:
    """Quotes/s of `publish(quotes)` over `count` fresh quotes."""
    quotes = payloads(count, fields)
    started = time.perf_counter()
    publish(quotes)
    return count / (time.perf_counter() - started)


def batches(bus: Bus):
    return lambda quotes: [
        bus.publish_quotes(quotes[i : i + 100]) for i in range(0, len(quotes), 100)
    ]


def measure(workdir: Path) -> dict[str, list[float]]:
    """Quotes/s of every path, ROUNDS rounds each; the paths take turns within a round.

    Why in turns: the baseline waits on loopback round trips, whose cost swings with the
    machine's load far more than our CPU-bound batches do; in turns, each round compares
    the paths under the same conditions.
    """
    server = RedisProcess(workdir / "redis").start()
    try:
        settings = Settings.from_env({"REDIS_URL": server.url})
        client = redis_client(settings)
        bus = Bus(client, settings)
        original = lambda quotes: [original_publish(client, q) for q in quotes]  # noqa: E731
        single = lambda quotes: [bus.publish_quote(q["symbol"], q) for q in quotes]  # noqa: E731
        batch = batches(bus)
        paths = {
            "original (PUBLISH + HSET per quote)": (original, 3000, None),
            "publish_quote (one quote, one EVALSHA)": (single, 3000, None),
            "publish_quotes, batches of 100 (simulator quotes, 19 fields)": (batch, 30_000, None),
            "publish_quotes, batches of 100 (bid/ask/last/volume/timestamp)": (
                batch,
                30_000,
                CORE_FIELDS,
            ),
        }
        results: dict[str, list[float]] = {name: [] for name in paths}
        results[PING] = []
        for _ in range(ROUNDS):
            for name, (publish, count, fields) in paths.items():
                results[name].append(one_round(publish, count, fields))
            results[PING].append(round_trip_us(client))
        return results
    finally:
        server.kill()


def round_trip_us(client: redis.Redis, count: int = 2000) -> float:
    """Microseconds of one PING: what the baseline waits for twice per quote."""
    started = time.perf_counter()
    for _ in range(count):
        client.ping()
    return (time.perf_counter() - started) / count * 1e6


def report(results: dict[str, list[float]]) -> str:
    rtt = median(results[PING])
    paths = {name: rounds for name, rounds in results.items() if name != PING}
    baseline = next(iter(paths.values()))
    lines = [
        "| path | quotes/s (median) | µs per quote | vs original: median of rounds (range) |",
        "|---|---:|---:|---:|",
    ]
    for name, rounds in paths.items():
        rate = median(rounds)
        lines.append(
            f"| {name} | {rate:,.0f} | {1e6 / rate:.1f} | {ratios.summary(rounds, baseline)} |"
        )
    return "\n".join(lines) + (
        f"\n\nLoopback round trip in the same rounds (PING, median): {rtt:.0f} µs. The original"
        " waits for two per quote, our batches for one per 100 quotes, so the ratio grows with"
        " the round trip: read it beside this figure, and the µs per quote beside the machine."
    )


def run(work: Path) -> str:
    """The measurement as a RESULTS.md section."""
    return f"## Publish path\n\n{DESCRIPTION}\n\n{report(measure(work))}"
