"""Schwab streamer frame -> quote on the Redis channel, beside the pure parse + merge ceiling."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil
import redis
import requests

from livedata import channels
from livedata.embedded_redis import RedisProcess
from livedata.provider import ProviderRuntime
from livedata.settings import Settings
from services.schwab.book import QuoteBook
from services.schwab.protocol import FUTURES, parse_frame
from tests.fakes.schwab_market import numbered_delta
from tests.fakes.schwab_server import FakeSchwab
from tests.fakes.schwab_stream import data_message

KEY, CHANNEL = "/ES", channels.quote_channel("ES")
CEILING_FRAMES = 20_000
RUNS = [(1_000, 5_000), (2_500, 10_000), (None, 20_000)]  # (frames/s, frames); None: flat out
VOLUME = re.compile(rb'"volume":(\d+)')
LIVEDATA = str(Path(sys.executable).parent / "livedata")
DESCRIPTION = (
    "The fake Schwab streamer (`tests/fakes`, in this process) sends one-quote LEVELONE_FUTURES"
    " delta frames for /ES, numbered by their volume, to `livedata schwab run` (its own"
    " process, logged in through `livedata schwab login`), which publishes through the bus"
    " to a private redis-server; a listener process subscribed to `live_data:quotes:ES` notes"
    " when each arrives. Latency: the fake's clock just before `send` to the listener's clock."
    " Ceiling, in the same run: the same frames through `parse_frame` + `QuoteBook` (+ the"
    " runtime's publish, one EVALSHA per frame) in one loop, no websocket; its latency is one"
    " frame's processing time. The paced fake sends in bursts when a sleep overshoots"
    " (asyncio timers have ~1 ms resolution); flat out, it writes all 20,000 frames into the"
    " socket buffers at once, so that row's frames/s is what the provider sustains and its"
    " latency is the wait behind that backlog. Provider CPU: CPU-seconds per second of the"
    " provider process (100% = one of the 2 cores, which everything shares)."
)


def frame_texts(count: int) -> list[str]:
    """The frames the fake sends, as text."""
    return [json.dumps(data_message(FUTURES, {KEY: numbered_delta(KEY, n)})) for n in range(count)]


def ceiling(texts: list[str], publish=None) -> dict:
    """Frames/s and per-frame time of parse + merge (+ `publish`) without a socket."""
    book, times = QuoteBook(), []
    started = time.perf_counter()
    for text in texts:
        begun = time.perf_counter()
        touched = [key for entry in parse_frame(text).data for key in book.apply(entry)]
        quotes = book.quotes(touched)
        if publish:
            publish(quotes)
        times.append(time.perf_counter() - begun)
    rate = len(texts) / (time.perf_counter() - started)
    return {"sent": None, "rate": rate, "delivered": 1.0, "latencies": times, "cpu": None}


def listen(redis_url: str, last: int, out: str) -> None:
    """(Listener process) note when each numbered ES quote arrives, until number `last`."""
    pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    pubsub.get_message(timeout=1)  # the subscribe confirmation: subscribed from here on
    print("listening", flush=True)
    got, quiet_until = [], time.monotonic() + 10
    while time.monotonic() < quiet_until:
        message = pubsub.get_message(timeout=1.0)
        if message:
            got.append((message["data"], time.time()))
            quiet_until = time.monotonic() + 10
            if VOLUME.search(message["data"])[1] == str(last).encode():
                break
    arrived = {int(VOLUME.search(data)[1]): at for data, at in got}
    Path(out).write_text(json.dumps(arrived))


def end_to_end(fake: FakeSchwab, server: RedisProcess, provider, rate, count, out: Path) -> dict:
    """Frames/s sustained and frame -> channel latency at `rate` frames/s (None: flat out)."""
    argv = [sys.executable, "-m", "bench.schwab_bench", server.url, str(count), str(out)]
    listener = subprocess.Popen(argv, stdout=subprocess.PIPE)
    listener.stdout.readline()
    process = psutil.Process(provider.pid)
    cpu = sum(process.cpu_times()[:2])
    sent = fake.push_numbered(KEY, count, rate)
    listener.wait(60)
    used = sum(process.cpu_times()[:2]) - cpu
    arrived = {int(n): at for n, at in json.loads(out.read_text()).items()}
    took = max(arrived.values()) - sent[0]
    return {
        "sent": count / (sent[-1] - sent[0]),  # what the fake managed to send: the offered rate
        "rate": len(arrived) / took,
        "delivered": len(arrived) / count,
        "latencies": [at - sent[n - 1] for n, at in arrived.items()],
        "cpu": used / took,
    }


_TEXT = {"capture_output": True, "text": True, "timeout": 30, "check": False}


def start_provider(fake: FakeSchwab, server: RedisProcess, work: Path) -> subprocess.Popen:
    """Log in with the CLI as a user would, then run the provider process."""
    env = {
        **os.environ,
        "REDIS_URL": server.url,
        "LIVEDATA_DATA_DIR": str(work),
        "SCHWAB_API_BASE": fake.api_base,
        "SCHWAB_APP_KEY": fake.state.config.app_key,
        "SCHWAB_APP_SECRET": fake.state.config.app_secret,
        "SCHWAB_SYMBOLS": "/ES,/NQ",
        "OAUTHLIB_INSECURE_TRANSPORT": "1",  # the fake speaks http; only these processes allow it
    }
    first = subprocess.run([LIVEDATA, "schwab", "login"], env=env, input="", **_TEXT)
    url = next(line for line in first.stdout.splitlines() if line.startswith("http"))
    redirect = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    argv = [LIVEDATA, "schwab", "login", "--redirect-url", redirect]
    done = subprocess.run(argv, env=env, **_TEXT)
    if done.returncode:
        raise RuntimeError(f"`livedata schwab login` failed: {done.stderr[-300:]}")
    log = (work / "provider.log").open("w")
    provider = subprocess.Popen([LIVEDATA, "schwab", "run"], env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 15
    while fake.subscribed(FUTURES) != {"/ES", "/NQ"}:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the provider did not subscribe; see {work / 'provider.log'}")
        time.sleep(0.05)
    return provider


def measure(work: Path) -> dict[str, dict]:
    """The two ceilings, then the provider against the fake at each pace of RUNS."""
    server = RedisProcess(work / "redis").start()
    fake = FakeSchwab().start()
    provider = None
    try:
        texts = frame_texts(CEILING_FRAMES)
        runtime = ProviderRuntime("bench", Settings.from_env({"REDIS_URL": server.url}))
        results = {
            "ceiling: parse + merge + build quote, no I/O": ceiling(texts),
            "ceiling + the runtime's publish (one EVALSHA per frame)": ceiling(
                texts, runtime.publish
            ),
        }
        provider = start_provider(fake, server, work)
        end_to_end(fake, server, provider, None, 2_000, work / "warmup.json")  # imports, caches
        for rate, count in RUNS:
            pace = f"at {rate:,} frames/s" if rate else "sending flat out"
            results[f"provider end to end, fake {pace}"] = end_to_end(
                fake, server, provider, rate, count, work / f"{rate}.json"
            )
        return results
    finally:
        if provider is not None:
            provider.terminate()
            provider.wait(10)
        fake.stop()
        server.kill()


def _ms(ordered: list[float], q: float) -> str:
    """The `q` quantile of sorted seconds, as ms."""
    return f"{1000 * ordered[int(q * (len(ordered) - 1))]:,.2f} ms"


def report(results: dict[str, dict]) -> str:
    top = next(iter(results.values()))["rate"]
    lines = [
        "| path | fake sent/s | frames/s processed | vs ceiling | delivered | latency p50 | p99 "
        "| provider CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        ordered = sorted(r["latencies"])
        cpu = "-" if r["cpu"] is None else f"{r['cpu']:.0%}"
        sent = "-" if r["sent"] is None else f"{r['sent']:,.0f}"
        lines.append(
            f"| {name} | {sent} | {r['rate']:,.0f} | {r['rate'] / top:.2f}x | {r['delivered']:.1%} "
            f"| {_ms(ordered, 0.5)} | {_ms(ordered, 0.99)} | {cpu} |"
        )
    return "\n".join(lines)


def run(work: Path) -> str:
    """The measurement as a RESULTS.md section."""
    return f"## Schwab streamer -> Redis\n\n{DESCRIPTION}\n\n{report(measure(work))}"


if __name__ == "__main__":
    listen(sys.argv[1], int(sys.argv[2]), sys.argv[3])
