"""`make bench`: run every benchmark, each beside its baseline, and write bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import publish_bench, snapshot_bench

RESULTS = Path(__file__).parent / "RESULTS.md"


def main() -> None:
    sections = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sections.append(
            (
                "Publish path",
                publish_bench.DESCRIPTION,
                publish_bench.report(publish_bench.measure(work / "publish")),
            )
        )
        sections.append(
            (
                "Snapshot endpoint",
                snapshot_bench.DESCRIPTION,
                snapshot_bench.report(snapshot_bench.measure(work / "snapshot")),
            )
        )
    header = (
        f"# Benchmark results\n\nWritten by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        f" ({platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores). Every number is measured beside its baseline in the same run;"
        " compare the ratios, not the absolute numbers, across machines.\n"
    )
    body = "\n".join(f"\n## {title}\n\n{text}\n\n{table}\n" for title, text, table in sections)
    RESULTS.write_text(header + body)
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
