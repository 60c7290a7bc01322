"""`make bench`: run every benchmark, each beside its baseline, and write bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import admin_bench, publish_bench, schwab_bench, snapshot_bench, stream_bench, tos_bench

RESULTS = Path(__file__).parent / "RESULTS.md"
BENCHES = {
    "publish": publish_bench,
    "snapshot": snapshot_bench,
    "stream": stream_bench,
    "tos": tos_bench,
    "schwab": schwab_bench,
    "admin": admin_bench,
}


def main() -> None:
    sections = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, bench in BENCHES.items():
            work = Path(tmp) / name
            work.mkdir()
            sections.append(bench.run(work))
    header = (
        f"# Benchmark results\n\nWritten by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        f" ({platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores). Every number is measured beside its baseline in the same run;"
        " compare the ratios, not the absolute numbers, across machines.\n"
    )
    RESULTS.write_text(header + "\n" + "\n\n".join(sections) + "\n")
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
