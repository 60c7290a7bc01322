"""One watched workbook: re-read when its file changes, hand out only the quotes that changed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.tos.errors import BadPath, BadRange, TosError, UnknownSheet, WorkbookTooLarge
from services.tos.paths import resolve_workbook
from services.tos.ranges import Bounds
from services.tos.reader import load_range, read_file, signature
from services.tos.rows import Row, build_quotes, parse_rows

log = logging.getLogger("livedata.tos")

# Wrong for this file until it changes: no point re-reading it every poll.
LASTING_ERRORS = (BadPath, BadRange, UnknownSheet, WorkbookTooLarge)
UNCHANGING = ("received_at", "timestamp")
"""Quote fields that differ on every read; a quote whose other fields match is not resent."""


class WorkbookWatch:
    """The state of one workbook between polls."""

    def __init__(self, name: str, directory: Path, sheet: str, bounds: Bounds) -> None:
        self.name, self.directory, self.sheet, self.bounds = name, directory, sheet, bounds
        self.signature: tuple[int, ...] | None = None
        self.rows: list[Row] = []
        self.as_of: datetime | None = None
        self.problem: str | None = "not read yet"
        self.sent: dict[str, dict[str, Any]] = {}

    def refresh(self) -> bool:
        """Re-read the workbook if its file changed; a failed read is retried next poll."""
        try:
            path = resolve_workbook(self.name, self.directory)
            if signature(path.stat()) == self.signature:
                return False
            data, stat = read_file(path)
            grid = load_range(data, self.sheet, self.bounds)
            rows = parse_rows(grid)
        except LASTING_ERRORS as exc:
            self.signature = _signature_or_none(self.directory / self.name)
            return self._failed(str(exc))
        except (TosError, OSError) as exc:  # missing or torn mid-save (BadZipFile, zlib...)
            return self._failed(f"{type(exc).__name__}: {exc}")
        self.signature, self.rows, self.problem = signature(stat), rows, None
        self.as_of = grid.saved_at or datetime.fromtimestamp(stat.st_mtime, UTC)
        return True

    def changed_quotes(
        self, now: datetime, stale_after: float, aliases: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Quotes whose values (or stale flag) differ from what was last handed out."""
        if self.as_of is None:
            return []
        stale = self.age(now) > stale_after
        quotes = build_quotes(self.rows, as_of=self.as_of, aliases=aliases, stale=stale, now=now)
        # A symbol on two rows would otherwise differ from itself on every poll: first row wins.
        unique: dict[str, dict[str, Any]] = {}
        for quote in quotes:
            unique.setdefault(quote["symbol"], quote)
        changed = []
        for quote in unique.values():
            key = {k: v for k, v in quote.items() if k not in UNCHANGING}
            if self.sent.get(quote["symbol"]) != key:
                self.sent[quote["symbol"]] = key
                changed.append(quote)
        return changed

    def age(self, now: datetime) -> float:
        """Seconds since the workbook was saved (0 when its clock is ahead of ours)."""
        return max(0.0, (now - self.as_of).total_seconds()) if self.as_of else float("inf")

    def _failed(self, problem: str) -> bool:
        if problem != self.problem:
            log.warning("%s: %s", self.name, problem)
        self.problem = problem
        return False


def _signature_or_none(path: Path) -> tuple[int, ...] | None:
    try:
        return signature(path.stat())
    except OSError:
        return None
