"""Random-walk futures quotes (pure): realistic prices, tick sizes and sessions, no I/O."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Contract:
    """A futures root: where its price sits, its tick, its spread and how it moves."""

    root: str
    description: str
    price: float
    tick: float
    spread_ticks: int = 1
    volatility_ticks: float = 2.0


CONTRACTS = {
    c.root: c
    for c in (
        Contract("YM", "E-mini Dow ($5)", 47_000, 1.0, volatility_ticks=3),
        Contract("ES", "E-mini S&P 500", 6_800, 0.25),
        Contract("NQ", "E-mini Nasdaq-100", 25_000, 0.25, volatility_ticks=4),
        Contract("RTY", "E-mini Russell 2000", 2_450, 0.1, volatility_ticks=3),
        Contract("CL", "Crude Oil", 61.50, 0.01, volatility_ticks=2),
        Contract("SI", "Silver", 50.0, 0.005, volatility_ticks=2),
        Contract("HG", "Copper", 5.0, 0.0005, volatility_ticks=1.5),
        Contract("GC", "Gold", 4_100, 0.1, volatility_ticks=3),
        Contract("VX", "VIX Futures", 17.5, 0.05, volatility_ticks=1),
        Contract("DX", "US Dollar Index", 99.5, 0.005, volatility_ticks=1),
        Contract("ZB", "30-Year US Treasury Bond", 117.0, 1 / 32, volatility_ticks=1),
    )
}
"""The eleven futures the original dashboard watches."""

GENERIC = Contract("?", "Simulated instrument", 100.0, 0.01)


@dataclass
class InstrumentState:
    """One symbol's walking price and session statistics."""

    contract: Contract
    ticks: int
    open_ticks: int
    high_ticks: int
    low_ticks: int
    close_ticks: int
    volume: int = 0
    history: list[int] = field(default_factory=list)


class Simulator:
    """Generates one quote at a time for a set of symbols; seedable for tests."""

    def __init__(self, symbols: tuple[str, ...], seed: int | None = None) -> None:
        self.random = random.Random(seed)  # noqa: S311 - simulated prices, not secrets
        self.states = {symbol: self._start(symbol) for symbol in symbols}
        self._symbols = list(symbols)

    def _start(self, symbol: str) -> InstrumentState:
        contract = CONTRACTS.get(symbol, GENERIC)
        ticks = round(contract.price / contract.tick)
        close = ticks + self.random.randint(-40, 40)
        return InstrumentState(contract, ticks, ticks, ticks, ticks, close)

    def next_quote(self, now: datetime) -> dict[str, Any]:
        """Move a random symbol one step and return its quote payload."""
        return self.quote_of(self.random.choice(self._symbols), now)

    def quote_of(self, symbol: str, now: datetime) -> dict[str, Any]:
        """Move `symbol` one step and return its quote payload."""
        state = self.states[symbol]
        c = state.contract
        state.ticks = max(1, state.ticks + round(self.random.gauss(0, c.volatility_ticks)))
        state.high_ticks = max(state.high_ticks, state.ticks)
        state.low_ticks = min(state.low_ticks, state.ticks)
        last_size = self.random.choice((1, 1, 1, 2, 3, 5, 10))
        state.volume += last_size
        return self._payload(symbol, state, last_size, now)

    def _payload(
        self, symbol: str, state: InstrumentState, last_size: int, now: datetime
    ) -> dict[str, Any]:
        c = state.contract
        bid_ticks = state.ticks - self.random.randint(0, c.spread_ticks)
        ask_ticks = bid_ticks + c.spread_ticks
        price = _pricer(c.tick)
        last = price(state.ticks)
        close = price(state.close_ticks)
        return {
            "symbol": symbol,
            "bid": price(bid_ticks),
            "ask": price(ask_ticks),
            "last": last,
            "volume": state.volume,
            "bid_size": self.random.randint(1, 40),
            "ask_size": self.random.randint(1, 40),
            "last_size": last_size,
            "open": price(state.open_ticks),
            "high": price(state.high_ticks),
            "low": price(state.low_ticks),
            "close": close,
            "net_change": round(last - close, 6),
            "percent_change": round((last - close) / close * 100, 4),
            "mark": round((price(bid_ticks) + price(ask_ticks)) / 2, 6),
            "description": c.description,
            "asset_type": "FUTURE",
            "timestamp": now,
            "received_at": now,
        }


def _pricer(tick: float):
    """Ticks -> price rounded to the tick's decimals (no 0.30000000000000004 artefacts)."""
    decimals = max(0, len(f"{tick:.10f}".rstrip("0").split(".")[1]))
    return lambda ticks: round(ticks * tick, decimals)
