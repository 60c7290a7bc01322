"""`livedata tos`: poll the configured workbooks, publish changed rows, report health."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import click

from livedata.exceptions import SettingsError
from livedata.logs import setup_logging
from livedata.provider import ProviderRuntime, StopFlag
from livedata.settings import Settings
from services.tos.errors import TosError
from services.tos.paths import workbook_name
from services.tos.ranges import parse_range
from services.tos.watch import WorkbookWatch

PROVIDER = "tos"


class Watcher:
    """Every configured workbook, polled together; one publish per poll."""

    def __init__(self, settings: Settings, runtime: ProviderRuntime, clock=time.time) -> None:
        if not settings.tos_workbooks:
            raise SettingsError(
                "TOS_WORKBOOK is not set: name the workbook(s) to watch, "
                "e.g. TOS_WORKBOOK=CleanData.xlsm"
            )
        bounds = parse_range(settings.tos_range)
        self.settings, self.runtime, self.clock = settings, runtime, clock
        directory, sheet = settings.tos_workbook_dir, settings.tos_sheet
        self.watches = [
            WorkbookWatch(workbook_name(name), directory, sheet, bounds)
            for name in settings.tos_workbooks
        ]

    def step(self) -> float:
        """One poll; returns the seconds until the next one."""
        started = self.clock()
        now = datetime.fromtimestamp(started, UTC)
        quotes: list[dict[str, Any]] = []
        for watch in self.watches:
            watch.refresh()
            quotes += watch.changed_quotes(
                now, self.settings.tos_stale_after, self.settings.symbol_aliases
            )
        if quotes:
            self.runtime.publish(quotes)  # one batch, one round trip
        status, detail, extra = self.health(now)
        self.runtime.beat(status, detail, **extra)
        return max(0.0, self.settings.tos_poll_interval - (self.clock() - started))

    def health(self, now: datetime) -> tuple[str, str, dict[str, Any]]:
        """Provider status, a one-line detail, and each workbook's state and age."""
        books = [self._book(watch, now) for watch in self.watches]
        problems = [f"{b['name']}: {b['detail']}" for b in books if b["state"] != "ok"]
        ages = [b["age_s"] for b in books if b["age_s"] is not None]
        extra = {"workbooks": books, "workbook_age_s": max(ages, default=None)}
        return ("degraded" if problems else "ok"), "; ".join(problems)[:300], extra

    def _book(self, watch: WorkbookWatch, now: datetime) -> dict[str, Any]:
        age = watch.age(now)
        age_s = round(age, 1) if age != float("inf") else None
        if watch.problem:
            state, detail = "error", watch.problem
        elif age > self.settings.tos_stale_after:
            state, detail = "stale", f"not saved for {age:.0f} s; quotes marked stale"
        else:
            state, detail = "ok", ""
        return {
            "name": watch.name,
            "state": state,
            "detail": detail,
            "rows": len(watch.rows),
            "age_s": age_s,
        }


@click.command()
@click.option("--once", is_flag=True, help="Read every workbook once, publish, exit.")
def tos(once: bool) -> None:
    """Watch the Thinkorswim RTD workbook(s) and publish their rows."""
    setup_logging()
    settings = Settings.from_env()
    runtime = ProviderRuntime(PROVIDER, settings)
    try:
        watcher = Watcher(settings, runtime)
    except (SettingsError, TosError) as exc:
        raise click.ClickException(str(exc)) from None
    if once:
        watcher.step()
        return
    runtime.run(watcher.step, StopFlag().install())
