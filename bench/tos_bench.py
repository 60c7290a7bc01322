"""TOS workbook reads and save-to-quote latency (part of `make bench` -> RESULTS.md).

1. Read `A1:N13` of a workbook that also holds a 100,000-row sheet: our reader (openpyxl
   read_only, values and formulas) beside a plain `load_workbook`, in the same run.
2. Excel-style save (temp file, rename) -> quote on the Redis channel, through the watcher,
   beside the floor of one poll's own work (read + diff + publish) on the same workbook.
"""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from statistics import median

from openpyxl import load_workbook

from livedata import channels
from livedata.embedded_redis import RedisProcess
from livedata.provider import ProviderRuntime, StopFlag
from livedata.settings import Settings
from services.tos.ranges import parse_range
from services.tos.reader import load_range, read_file
from services.tos.sample import sample_sheets, write_sample
from services.tos.watcher import Watcher
from services.tos.xlsx import workbook_bytes

HISTORY_ROWS = 100_000
READS = 20
PLAIN_READS = 2
SAVES = 12
BOUNDS = parse_range("A1:N13")


def big_workbook(path: Path) -> Path:
    """The sample workbook plus a `History` sheet of 100k rows x 6 columns."""
    sheets = sample_sheets()
    roots = ("ES", "NQ", "YM", "RTY", "CL")
    sheets["History"] = [["Seq", "Symbol", "Last", "Bid", "Ask", "Volume"]] + [
        [i, roots[i % 5], 6800 + i / 4, 6800 + i / 4 - 0.25, 6800 + i / 4 + 0.25, 3 * i]
        for i in range(HISTORY_ROWS)
    ]
    path.write_bytes(workbook_bytes(sheets, datetime.now(UTC)))
    return path


def timed(fn, times: int) -> list[float]:
    results = []
    for _ in range(times):
        started = time.perf_counter()
        fn()
        results.append(time.perf_counter() - started)
    return results


def plain_read(path: Path) -> None:
    """What a reader without read_only does: every sheet parsed, then 13 rows read."""
    workbook = load_workbook(BytesIO(path.read_bytes()), data_only=True)
    list(workbook["LiveData"].iter_rows(min_row=1, max_row=13, max_col=14, values_only=True))


def measure_reads(work: Path) -> dict[str, list[float]]:
    path = big_workbook(work / "Big.xlsm")
    return {
        "ours (read_only: values + formulas + saved time, file read at once)": timed(
            lambda: load_range(read_file(path)[0], "LiveData", BOUNDS), READS
        ),
        "openpyxl read_only, values only": timed(lambda: _read_only_values(path), READS),
        "plain load_workbook(data_only=True)": timed(lambda: plain_read(path), PLAIN_READS),
        "_size": [path.stat().st_size],
    }


def _read_only_values(path: Path) -> None:
    workbook = load_workbook(BytesIO(path.read_bytes()), read_only=True, data_only=True)
    list(workbook["LiveData"].iter_rows(min_row=1, max_row=13, max_col=14, values_only=True))
    workbook.close()


def measure_latency(work: Path, interval: float) -> dict[str, list[float]]:
    """Seconds from the rename to the quote on `live_data:quotes:ES`, and one poll's work."""
    server = RedisProcess(work / f"redis-{interval}").start()
    directory = work / f"workbooks-{interval}"
    directory.mkdir()
    settings = Settings.from_env({"REDIS_URL": server.url}).with_overrides(
        tos_workbook_dir=directory, tos_workbooks=("CleanData.xlsm",), tos_poll_interval=interval
    )
    path = write_sample(directory / "CleanData.xlsm")
    runtime = ProviderRuntime("tos", settings)
    try:
        floor = _poll_floor(settings, runtime, path)
        latencies = _save_to_quote(settings, runtime, path, interval)
    finally:
        server.kill()
    return {"latency": latencies, "floor": floor}


def _poll_floor(settings: Settings, runtime: ProviderRuntime, path: Path) -> list[float]:
    """One watcher poll after a save: stat, read, parse, diff, one EVALSHA; no waiting."""
    watcher, results = Watcher(settings, runtime), []
    watcher.step()
    for n in range(SAVES):
        write_sample(path, {"ES": {"LAST": 7000.0 + n}})
        started = time.perf_counter()
        watcher.step()
        results.append(time.perf_counter() - started)
    return results


def _save_to_quote(settings, runtime, path: Path, interval: float) -> list[float]:
    pubsub = runtime.bus.redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channels.quote_channel("ES"))
    watcher, stop = Watcher(settings, runtime), StopFlag()
    thread = threading.Thread(target=runtime.run, args=(watcher.step, stop))
    thread.start()
    results = []
    try:
        for n in range(SAVES):
            time.sleep(random.uniform(0, interval))  # noqa: S311 - saves land at any phase
            write_sample(path, {"ES": {"LAST": 8000.0 + n}})
            renamed = time.perf_counter()
            while True:
                message = pubsub.get_message(timeout=5)
                if message and json.loads(message["data"])["last"] == 8000.0 + n:
                    break
            results.append(time.perf_counter() - renamed)
    finally:
        stop.event.set()
        thread.join(5)
        pubsub.close()
    return results


def _ms(values: list[float]) -> str:
    low, mid, high = (1000 * v for v in (min(values), median(values), max(values)))
    return f"{mid:,.1f} ms (min {low:,.1f}, max {high:,.1f})"


def report(reads: dict, latencies: dict[float, dict]) -> str:
    size = reads.pop("_size")[0]
    baseline = median(reads["plain load_workbook(data_only=True)"])
    lines = [
        "## TOS workbook reader",
        "",
        f"Reading `LiveData!A1:N13` of a {size / 1e6:.1f} MB workbook that also holds a "
        f"{HISTORY_ROWS:,}-row `History` sheet. Median of {READS} reads ({PLAIN_READS} for the "
        "plain load, which parses every sheet).",
        "",
        "| reader | time | vs plain load |",
        "|---|---|---|",
    ]
    for name, values in reads.items():
        speed = f"{baseline / median(values):,.0f}x faster" if "read_only" in name else "baseline"
        lines.append(f"| {name} | {_ms(values)} | {speed} |")
    lines += [
        "",
        "## Workbook save -> quote on the Redis channel",
        "",
        f"The watcher (`livedata tos` loop) on the sample workbook; {SAVES} Excel-style saves "
        "(temp file, rename) at random phases of the poll; time from the rename to the ES "
        "quote arriving on `live_data:quotes:ES`. Floor: one poll's own work after a save "
        "(stat, read, parse, diff, one EVALSHA), no waiting.",
        "",
        "| TOS_POLL_INTERVAL | save -> quote | floor (one poll's work) |",
        "|---|---|---|",
    ]
    for interval, result in latencies.items():
        lines.append(f"| {interval} s | {_ms(result['latency'])} | {_ms(result['floor'])} |")
    lines.append(
        "\nExpected: about half the poll interval on average, never more than one interval plus"
        " the floor."
    )
    return "\n".join(lines)


def run(work: Path) -> str:
    """Both measurements, as a RESULTS.md section."""
    reads = measure_reads(work)
    latencies = {interval: measure_latency(work, interval) for interval in (0.5, 0.1)}
    return report(reads, latencies)
