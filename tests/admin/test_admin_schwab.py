"""The Schwab card's endpoints against the fake Schwab server (Flask test client, real Redis)."""

from __future__ import annotations

import json
import time

import pytest
import requests

from livedata.health import write_health
from livedata.quotes import to_iso
from services.schwab.callback_cert import cert_paths
from services.schwab.control import CONTROL_CHANNEL
from services.schwab.tokens import TokenStore
from tests.admin.conftest import csrf_of
from tests.conftest import free_port


@pytest.fixture
def client(make_admin, schwab_settings):
    return make_admin(schwab_settings).test_client()


def post(client, path, **form):
    return client.post(path, data=form, headers={"X-CSRF-Token": csrf_of(client)})


def state_of(client) -> str:
    html = client.get("/schwab").data.decode()
    return html.split('data-state="')[1].split('"')[0]


def test_login_walk_through_and_logout(client, schwab_settings):
    assert state_of(client) == "login_required"
    start = client.post("/schwab/authorize", data={"csrf_token": csrf_of(client)})
    assert start.status_code == 303
    authorize_url = start.headers["Location"]
    assert authorize_url.startswith(schwab_settings.schwab_api_base + "/v1/oauth/authorize")
    redirected = requests.get(authorize_url, allow_redirects=False, timeout=5).headers["Location"]
    done = post(client, "/schwab/finish", redirect_url=redirected)
    assert done.status_code == 200 and b"Logged in to Schwab" in done.data
    assert done.headers["HX-Trigger"] == "schwab-changed"
    card = client.get("/schwab").data.decode()
    assert 'data-state="connected"' in card and "7.0 days left" in card and "min" in card
    token = TokenStore.for_settings(schwab_settings).load()["token"]
    for secret in (
        token["access_token"],
        token["refresh_token"],
        schwab_settings.schwab_app_secret,
    ):
        assert secret not in card and secret not in client.get("/").data.decode()
    assert b"tokens deleted" in post(client, "/schwab/logout").data
    assert state_of(client) == "login_required"


@pytest.mark.parametrize(
    ("url", "message"),
    [("", b"Paste the redirected URL"), ("x" * 5000, b"Paste the redirected URL"),
     ("https://evil.example/?code=1", b"must start with SCHWAB_CALLBACK_URL"),
     ("https://127.0.0.1:8182/?code=abc&state=zzz", b"no login in progress")],
)  # fmt: skip
def test_bad_redirected_url_is_a_400_with_the_reason(client, url, message):
    answer = post(client, "/schwab/finish", redirect_url=url)
    assert answer.status_code == 400 and message in answer.data


def test_refresh_token_warning_from_day_six(client, schwab_settings):
    token = {"access_token": "a" * 40, "refresh_token": "r" * 40, "expires_in": 1800}
    TokenStore.for_settings(schwab_settings).save_login(token, now=time.time() - 6.5 * 86400)
    card = client.get("/schwab").data.decode()
    assert 'class="refresh warning"' in card and "0.5 days left" in card
    assert "log in again" in card


def test_symbols_go_to_the_control_channel(client, rclient):
    refused = post(client, "/schwab/symbols", action="add", symbols="/YM")
    assert refused.status_code == 409 and b"not running" in refused.data
    write_health(rclient, {"provider": "schwab", "status": "ok", "last_seen": to_iso(time.time())})
    pubsub = rclient.pubsub()
    pubsub.subscribe(CONTROL_CHANNEL)
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    answer = post(client, "/schwab/symbols", action="remove", symbols="/ym, msft")
    assert answer.status_code == 200 and b"Removing /YM, MSFT" in answer.data
    message = pubsub.get_message(timeout=2)
    assert json.loads(message["data"]) == {"action": "remove", "symbols": ["/YM", "MSFT"]}
    pubsub.close()


@pytest.mark.parametrize(
    "form",
    [{"action": "add"}, {"action": "drop", "symbols": "/ES"}, {"symbols": "/ES"},
     {"action": "add", "symbols": "BAD;SYMBOL"}, {"action": "add", "symbols": "A" * 5000}],
)  # fmt: skip
def test_bad_symbol_requests_are_400(client, form):
    assert post(client, "/schwab/symbols", **form).status_code == 400


def test_not_configured_card_offers_no_actions(admin_client):
    page = admin_client.get("/").data.decode()
    assert 'data-state="not_configured"' in page and "Log in to Schwab" not in page
    answer = admin_client.post("/schwab/authorize", data={"csrf_token": csrf_of(admin_client)})
    assert answer.status_code == 400 and b"SCHWAB_APP_KEY" in answer.data


def test_form_action_allows_the_schwab_redirect_chain(client, schwab_settings):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert f"form-action 'self' {schwab_settings.schwab_api_base} https://127.0.0.1:8182" in csp


@pytest.fixture
def local_callback(make_admin, schwab_settings, fake):
    """A test client whose SCHWAB_CALLBACK_URL is https on 127.0.0.1, on a free port."""
    url = f"https://127.0.0.1:{free_port()}"
    fake.state.config.callback_url = url  # the fake checks redirect_uri against it
    settings = schwab_settings.with_overrides(schwab_callback_url=url)
    return make_admin(settings).test_client(), settings


def callback_of(card: str) -> str | None:
    return card.split('data-callback="')[1].split('"')[0] if "data-callback" in card else None


def test_the_callback_listener_completes_the_login(local_callback):
    client, settings = local_callback
    assert "the login completes by itself" in client.get("/").data.decode()
    start = client.post("/schwab/authorize", data={"csrf_token": csrf_of(client)})
    assert callback_of(client.get("/schwab").data.decode()) == "listening"
    redirected = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    cert = cert_paths(settings.data_dir, "127.0.0.1")[0]
    page = requests.get(redirected.headers["Location"], verify=str(cert), timeout=15)
    assert page.status_code == 200 and "Logged in to Schwab" in page.text
    listener = client.application.extensions["schwab_callback"].current
    assert listener.wait(5).status == "logged_in"  # ends within one poll of its loop
    card = client.get("/schwab").data.decode()
    assert 'data-state="connected"' in card and callback_of(card) == "logged_in"


def test_a_pasted_url_stops_the_listener(local_callback):
    client, _ = local_callback
    start = client.post("/schwab/authorize", data={"csrf_token": csrf_of(client)})
    listener = client.application.extensions["schwab_callback"].current
    redirected = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    done = post(client, "/schwab/finish", redirect_url=redirected.headers["Location"])
    assert done.status_code == 200 and not listener.running
    assert callback_of(client.get("/schwab").data.decode()) is None
