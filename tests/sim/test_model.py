from datetime import UTC, datetime

from livedata.quotes import build_quote
from services.sim.model import CONTRACTS, Simulator

NOW = datetime(2025, 10, 24, 14, 0, tzinfo=UTC)


def walk(symbols, steps=2000, seed=7):
    sim = Simulator(symbols, seed=seed)
    return [sim.next_quote(NOW) for _ in range(steps)]


def test_the_eleven_futures_of_the_original_dashboard():
    assert set(CONTRACTS) == {"YM", "ES", "NQ", "RTY", "CL", "SI", "HG", "GC", "VX", "DX", "ZB"}


def test_bid_below_ask_and_last_between_them():
    for q in walk(tuple(CONTRACTS)):
        assert q["bid"] < q["ask"], q
        assert q["bid"] <= q["last"] <= q["ask"], q


def test_prices_sit_on_the_tick_grid():
    for q in walk(tuple(CONTRACTS)):
        tick = CONTRACTS[q["symbol"]].tick
        for name in ("bid", "ask", "last", "open", "high", "low", "close"):
            ticks = q[name] / tick
            assert abs(ticks - round(ticks)) < 1e-6, (q["symbol"], name, q[name])


def test_volume_is_cumulative_and_session_stats_hold():
    last_volume = {}
    for q in walk(("ES", "ZB")):
        assert q["volume"] > last_volume.get(q["symbol"], 0)
        last_volume[q["symbol"]] = q["volume"]
        assert q["low"] <= q["last"] <= q["high"]
        assert q["net_change"] == round(q["last"] - q["close"], 6)


def test_payloads_are_valid_quotes():
    for q in walk(("ES", "CUSTOM"), steps=50):
        assert build_quote(q, source="sim")["source"] == "sim"


def test_same_seed_same_walk():
    assert walk(("ES",), 100, seed=3) == walk(("ES",), 100, seed=3)
