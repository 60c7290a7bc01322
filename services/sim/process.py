"""`livedata sim`: the simulated provider, publishing random-walk futures quotes."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click

from livedata.exceptions import InvalidQuote
from livedata.logs import setup_logging
from livedata.provider import ProviderRuntime, StopFlag
from livedata.quotes import build_quote
from livedata.settings import Settings
from services.sim.model import Simulator

SOURCE = "sim"
BATCH_INTERVAL = 0.05
"""Seconds between batches: 20 round trips a second whatever the quote rate."""

MAX_CATCH_UP = 1.0
"""After a stall, publish at most this many seconds' worth of quotes at once."""


class SimProvider:
    """Publishes `rate` quotes a second, in batches, through a ProviderRuntime."""

    def __init__(self, settings: Settings, runtime: ProviderRuntime | None = None) -> None:
        self.settings = settings
        self.runtime = runtime or ProviderRuntime("sim", settings)
        self.simulator = Simulator(settings.sim_symbols)
        self.rate = settings.sim_rate
        self._started = time.monotonic()
        self._published = 0
        self.runtime.beat("ok", f"simulated data, {self.rate:g} quotes/s", simulated=True)

    def step(self) -> float:
        """Publish the quotes due since the last step; return the wait before the next."""
        now = datetime.now(UTC)
        if self._published == 0:  # fill the snapshot with every symbol at once
            payloads = [self.simulator.quote_of(s, now) for s in self.settings.sim_symbols]
        else:
            payloads = [self.simulator.next_quote(now) for _ in range(self._due())]
        self._published += len(payloads)
        if payloads:
            self.runtime.publish(self._build(payloads))
        return min(BATCH_INTERVAL, 1 / self.rate)

    def _due(self) -> int:
        elapsed = time.monotonic() - self._started
        due = int(elapsed * self.rate) - self._published
        limit = max(1, int(self.rate * MAX_CATCH_UP))
        if due > limit:  # a stall (Redis frozen, machine busy): skip, don't burst
            self._published += due - limit
            due = limit
        return max(0, due)

    def _build(self, payloads: list[dict]) -> list[dict]:
        quotes = []
        for payload in payloads:
            try:
                quotes.append(build_quote(payload, source=SOURCE))
            except InvalidQuote as exc:  # a model bug must not stop the feed
                self.runtime.log.error("dropped a simulated quote: %s", exc)
        return quotes


@click.command()
@click.option("--rate", type=click.FloatRange(min=0.1), help="Quotes per second (SIM_RATE).")
@click.option("--symbols", help="Comma-separated symbols (SIM_SYMBOLS).")
def sim(rate: float | None, symbols: str | None) -> None:
    """Run the simulated provider until SIGTERM/SIGINT."""
    setup_logging()
    settings = Settings.from_env()
    if rate:
        settings = settings.with_overrides(sim_rate=rate)
    if symbols:
        names = tuple(s.strip() for s in symbols.split(",") if s.strip())
        settings = settings.with_overrides(sim_symbols=names)
    provider = SimProvider(settings)
    provider.runtime.run(provider.step, StopFlag().install())
