"""REST against the fake: error sorting, 429 and the request budget, account polling onto
Redis, account activity on the orders channel, and REST quotes while the stream is down."""

from __future__ import annotations

import json

import pytest

from livedata import channels
from services.schwab.accounts import Accounts
from services.schwab.errors import RestError, TransientError
from services.schwab.oauth import TokenManager
from services.schwab.rest import RateLimiter, SchwabRest
from tests.conftest import wait_for
from tests.fakes.schwab_market import ACCOUNT_NUMBER
from tests.fakes.schwab_state import account_hash

HASH = account_hash(ACCOUNT_NUMBER)


@pytest.fixture
def rest(schwab_settings, login):
    login()
    client = SchwabRest(schwab_settings, TokenManager(schwab_settings))
    yield client
    client.close()


def test_429_honours_retry_after_without_more_requests(rest, fake):
    fake.state.fail_next("/marketdata", "429", retry_after=30)
    with pytest.raises(TransientError, match="429") as caught:
        rest.get("/marketdata/v1/quotes", symbols="AAPL")
    assert caught.value.retry_after == 30
    before = fake.state.count_requests("/marketdata")
    with pytest.raises(TransientError, match="429"):
        rest.get("/marketdata/v1/quotes", symbols="AAPL")
    assert fake.state.count_requests("/marketdata") == before  # held back locally


@pytest.mark.parametrize(("kind", "match"), [("500", "HTTP 500"), ("denied", "text/html")])
def test_server_errors_and_html_pages_are_transient(rest, fake, kind, match):
    fake.state.fail_next("/trader", kind)
    with pytest.raises(TransientError, match=match):
        rest.get("/trader/v1/accounts/accountNumbers")
    assert rest.get("/trader/v1/accounts/accountNumbers")[0]["hashValue"] == HASH


def test_other_4xx_name_the_problem(rest):
    with pytest.raises(RestError, match="min of 1"):
        rest.get("/marketdata/v1/quotes", symbols="")


def test_the_budget_caps_requests_per_minute():
    limiter = RateLimiter(per_minute=3)
    for _ in range(3):
        limiter.acquire()
    with pytest.raises(TransientError, match="budget") as caught:
        limiter.acquire()
    assert 59 < caught.value.retry_after <= 60


def test_accounts_are_published_under_the_hash(rest, bus, fake, rclient):
    fake.add_order(1001)
    fake.add_transaction(5001)
    pubsub = rclient.pubsub()
    pubsub.psubscribe("live_data:*")
    Accounts(rest, bus).poll()
    positions = bus.latest_account("positions", HASH)
    assert positions["positions"][1] == {
        "symbol": "AAPL",
        "asset_type": "EQUITY",
        "quantity": -100.0,
        "avg_price": 240.0,
        "market_value": -23487.0,
        "day_pnl": -87.0,
    }
    assert bus.latest_account("balances", HASH)["net_liquidation"] == 250000.5
    messages = [
        m for m in iter(lambda: pubsub.get_message(timeout=0.5), None) if m["type"] == "pmessage"
    ]
    kinds = sorted(m["channel"].split(":")[1] for m in messages)
    assert kinds == ["balances", "orders", "positions", "transactions"]
    assert all(m["channel"].endswith(HASH) for m in messages)
    assert not any(ACCOUNT_NUMBER in m["data"] for m in messages)  # only hashes leave
    pubsub.close()


def test_orders_and_transactions_are_published_once_until_they_change(rest, bus, fake):
    accounts = Accounts(rest, bus)
    fake.add_order(1001)
    accounts.poll()
    seen = dict(accounts._orders)
    accounts.poll()
    assert accounts._orders == seen
    fake.state.orders[ACCOUNT_NUMBER][0]["status"] = "FILLED"
    accounts.poll()
    assert accounts._orders[1001] == ("FILLED", 0.0)


def test_account_activity_lands_on_the_orders_channel(
    schwab_env, login, fake, run_provider, rclient
):
    login()
    running = run_provider()
    wait_for(lambda: running.provider.streamer.state == "streaming")
    wait_for(lambda: running.provider.accounts.hashes)
    pubsub = rclient.pubsub()
    pubsub.subscribe(channels.account_channel("orders", HASH))
    wait_for(lambda: pubsub.get_message(timeout=0.1))  # the subscribe confirmation
    fake.push_activity("OrderCreated", {"orderId": 77, "accountNumber": ACCOUNT_NUMBER})
    message = wait_for(lambda: pubsub.get_message(timeout=0.1), timeout=5)
    event = json.loads(message["data"])
    assert event["event"] == "OrderCreated" and event["data"] == {"orderId": 77}
    assert event["account_id"] == HASH and ACCOUNT_NUMBER not in message["data"]
    pubsub.close()


def test_rest_quotes_fill_in_while_the_stream_is_down(
    schwab_env, login, fake, run_provider, rclient
):
    login()
    fake.stream.refuse = True  # every streamer LOGIN is denied
    running = run_provider(fallback_after=0.0)
    wait_for(lambda: running.provider.fallback_active, timeout=5)
    es = json.loads(wait_for(lambda: rclient.hget(channels.LATEST_QUOTES, "ES"), timeout=5))
    assert es["bid"] == 6712.25 and es["provider_symbol"] == "/ESZ26" and es["source"] == "schwab"
    assert fake.state.count_requests("/marketdata/v1/quotes") <= 2
