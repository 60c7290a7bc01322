"""Pure parts: sparkline, number filters, the traffic tally, the price history, the Schwab card."""

from __future__ import annotations

import pytest

from admin import filters
from admin.history import POINTS, PriceHistory, price_of
from admin.schwab_card import card_state
from admin.sparkline import sparkline
from admin.tally import MAX_CHANNELS, OTHER, PREVIEW, Tally
from livedata.fanout import Message
from livedata.settings import Settings
from services.schwab.tokens import describe


def test_sparkline_scales_into_the_box():
    assert sparkline([1.0]) is None
    assert sparkline([1.0, 3.0, 2.0], width=100, height=24) == "0.0,22.0 50.0,2.0 100.0,12.0"
    assert sparkline([5.0, 5.0], width=10, height=20) == "0.0,10.0 10.0,10.0"


@pytest.mark.parametrize(
    ("value", "text"),
    [(4712.25, "4,712.25"), (61.5, "61.50"), (117.03125, "117.03125"), (47000, "47,000.00"),
     (None, "–"), ("N/A", "–"), (True, "–")],
)  # fmt: skip
def test_price(value, text):
    assert filters.price(value) == text


def test_other_filters():
    assert filters.signed(1.5) == "+1.50" and filters.signed(-0.25) == "-0.25"
    assert filters.signed(None) == "" and filters.percent(0.1234) == "+0.12%"
    assert [filters.age(s) for s in (0.34, 75, 7300, 200000)] == ["0.3 s", "75 s", "2 h", "2 d"]
    assert filters.rate(0.5) == "0.5/s" and filters.rate(212.3) == "212/s"
    assert [filters.countdown(s) for s in (-5, 42, 1830, 7300)] == [
        "expired", "42 s", "30 min 30 s", "2 h 1 min"
    ]  # fmt: skip


def msg(channel: str, data: bytes = b"{}") -> Message:
    return Message(channel, data)


def test_tally_counts_rates_and_the_last_message():
    tally = Tally(now=100.0)
    tally.absorb([msg("a", b"1"), msg("a", b"2"), msg("b")], None, True, 100.5)
    tally.absorb([msg("a", b"3")] * 4, None, True, 101.0)
    view = tally.view(101.0)
    rows = {r["channel"]: r for r in view["rows"]}
    assert rows["a"]["count"] == 6 and rows["a"]["preview"] == "3" and rows["b"]["count"] == 1
    assert rows["a"]["rate"] == 6.0 and view["total"] == 7 and view["total_rate"] == 7.0
    assert view["tail"][0]["preview"] == "3" and len(view["tail"]) == 7
    assert not tally.dirty


def test_tally_marks_itself_dirty_only_when_something_changed():
    tally = Tally(now=0.0)
    tally.view(0.0)
    tally.absorb([], None, None, 0.5)  # type: ignore[arg-type]
    assert not tally.dirty
    tally.absorb([], None, True, 0.6)  # the subscriber came up
    assert tally.dirty
    tally.view(0.6)
    tally.absorb([], "slow", True, 0.7)
    assert tally.dirty and tally.view(0.8)["notice"]["reason"] == "slow"


def test_tally_is_bounded():
    tally = Tally(now=0.0)
    tally.absorb([msg(f"c{i}") for i in range(MAX_CHANNELS + 10)], None, True, 0.1)
    view = tally.view(0.1)
    assert len(view["rows"]) == MAX_CHANNELS + 1
    assert {r["channel"]: r["count"] for r in view["rows"]}[OTHER] == 10
    assert len(view["tail"]) == 12
    long = Tally(now=0.0)
    long.absorb([msg("x", b"y" * 5000)], None, True, 0.1)
    assert len(long.view(0.1)["rows"][0]["preview"]) == PREVIEW + 1


def test_history_keeps_one_point_per_second_bounded():
    history = PriceHistory(fanout=None)  # type: ignore[arg-type]
    quote = lambda last: Message("live_data:quotes:ES", b'{"last":%d}' % last, "ES")  # noqa: E731
    history.absorb([quote(1), quote(2)], now=10.1)
    history.absorb([quote(3)], now=10.9)  # same second: replaces
    history.absorb([quote(4)], now=11.0)
    history.absorb([Message("live_data:positions:A1", b"{}")], now=12.0)
    assert history.prices("ES") == [3.0, 4.0] and history.prices("NQ") == []
    for second in range(POINTS + 5):
        history.absorb([quote(second)], now=100.0 + second)
    assert len(history.prices("ES")) == POINTS


@pytest.mark.parametrize(
    ("data", "price"),
    [(b'{"last":1.5}', 1.5), (b'{"last":null,"mark":2}', 2.0), (b'{"last":true}', None),
     (b"[1]", None), (b"not json", None)],
)  # fmt: skip
def test_price_of(data, price):
    assert price_of(data) == price


CONFIGURED = Settings(schwab_app_key="k" * 32, schwab_app_secret="s" * 16)


def login_record(age_days: float, now: float = 1_000_000_000.0) -> dict:
    token = {"access_token": "A" * 40, "refresh_token": "R" * 40, "expires_at": now + 1200}
    return {"creation_timestamp": now - age_days * 86400, "token": token}


def test_schwab_card_states():
    assert card_state(Settings(), {}, None)["state"] == "not_configured"
    missing = card_state(CONFIGURED, describe(None), None)
    assert missing["state"] == "login_required" and "no Schwab login" in missing["reason"]
    now = 1_000_000_000.0
    fresh = card_state(CONFIGURED, describe(login_record(1.0), now), {"status": "ok"})
    assert fresh["state"] == "connected" and fresh["access_expires_in_s"] == 1200
    assert fresh["refresh_days_left"] == 6.0 and not fresh["refresh_warning"]
    asked = card_state(CONFIGURED, describe(login_record(1.0), now), {"status": "auth_required"})
    assert asked["state"] == "login_required"
    gone = card_state(CONFIGURED, describe(login_record(7.5), now), None)
    assert gone["state"] == "login_required" and "run out" in gone["reason"]


def test_schwab_card_warns_from_day_six_and_never_holds_a_token():
    now = 1_000_000_000.0
    assert not card_state(CONFIGURED, describe(login_record(5.9), now), None)["refresh_warning"]
    card = card_state(CONFIGURED, describe(login_record(6.2), now), None)
    assert card["refresh_warning"] and card["refresh_days_left"] == 0.8
    assert "A" * 10 not in repr(card) and "R" * 10 not in repr(card)
