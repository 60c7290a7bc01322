"""`GET /api/feed/accounts/` and `/api/feed/accounts/{id}/positions|balances/`."""

from __future__ import annotations

import pytest

HASH = "A1B2C3D4E5F6"


@pytest.fixture
def published(bus):
    bus.publish_account("positions", HASH, {"positions": [{"symbol": "AAPL", "quantity": 5}]})
    bus.publish_account("balances", HASH, {"net_liquidation": 1000.5})
    bus.publish_account("balances", "ira", {"net_liquidation": 2.0})


def test_lists_accounts_with_their_times(client, published):
    body = client.get("/api/feed/accounts/").get_json()
    assert body["count"] == 2
    assert [a["account_id"] for a in body["accounts"]] == [HASH, "ira"]
    assert body["accounts"][0]["positions_at"].endswith("Z")
    assert "positions_at" not in body["accounts"][1]


def test_empty_list_without_data(client):
    assert client.get("/api/feed/accounts").get_json() == {"accounts": [], "count": 0}


@pytest.mark.parametrize("kind", ["positions", "balances"])
def test_latest_of_one_account(client, published, kind):
    answer = client.get(f"/api/feed/accounts/{HASH}/{kind}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["type"] == kind and body["account_id"] == HASH


def test_published_by_the_provider_and_served(client, rest_accounts):
    rest_accounts.poll(with_orders=False)
    account_id = next(iter(rest_accounts.hashes.values()))
    body = client.get(f"/api/feed/accounts/{account_id}/balances/").get_json()
    assert body["net_liquidation"] == 250000.5 and body["source"] == "schwab"


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/api/feed/accounts/nobody/positions/", 404, "no positions for account nobody"),
        ("/api/feed/accounts/12345678/balances/", 400, "full account number"),
        ("/api/feed/accounts/bad%20id/balances/", 400, "account id must be"),
        ("/api/feed/accounts/" + "x" * 129 + "/positions/", 400, "account id must be"),
        (f"/api/feed/accounts/{HASH}/orders/", 404, ""),
    ],
)
def test_bad_or_unknown_ids_are_json_errors(client, published, path, status, words):
    answer = client.get(path)
    assert answer.status_code == status
    assert words in answer.get_json()["error"]


@pytest.fixture
def rest_accounts(schwab_settings, login, bus):
    from services.schwab.accounts import Accounts
    from services.schwab.oauth import TokenManager
    from services.schwab.rest import SchwabRest

    login()
    rest = SchwabRest(schwab_settings, TokenManager(schwab_settings))
    yield Accounts(rest, bus)
    rest.close()
