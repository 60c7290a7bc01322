"""The admin page in a real headless Chromium (Debian's), against a real server and Redis."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from livedata.health import write_health
from livedata.quotes import to_iso
from services.schwab.control import CONTROL_CHANNEL
from tests.admin.conftest import TOKEN
from tests.conftest import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def base_url(make_admin, settings, serve) -> str:
    return serve(make_admin(settings))


def health(name, age=0.0, **extra):
    seen = to_iso(time.time() - age)
    return {"provider": name, "status": "ok", "last_seen": seen, "quotes_total": 1,
            "rate_per_s": 20.0, "detail": "", **extra}  # fmt: skip


def quote(symbol, last):
    return {"symbol": symbol, "bid": last - 0.25, "ask": last + 0.25, "last": last,
            "close": last - 3, "timestamp": time.time()}  # fmt: skip


def live(page):
    """The page, once its traffic stream is connected and the subscriber is up."""
    expect(page.locator('#traffic-stream .meta[data-live="yes"]')).to_be_visible(timeout=5000)
    return page


def test_page_loads_clean_and_offline(base_url, open_page, rclient, bus):
    write_health(rclient, health("sim", simulated=True))
    bus.publish_quote("ES", quote("ES", 6800.25), source="sim")
    watched = open_page()
    watched.page.goto(base_url + "/")
    live(watched.page)
    expect(watched.page.locator(".banner")).to_have_text("SIMULATED DATA")
    expect(watched.page.locator('#board tr[data-symbol="ES"]')).to_contain_text("6,800.25")
    expect(watched.page.locator('[data-provider="sim"]')).to_have_attribute("data-status", "ok")
    assert watched.errors == []
    assert watched.requests and all(url.startswith(base_url + "/") for url in watched.requests)


def test_published_quote_reaches_the_tail_and_the_board_within_2s(base_url, open_page, bus):
    page = live(_opened(open_page, base_url))
    bus.publish_quote("ZB", quote("ZB", 117.03125), source="sim")
    row = page.locator('#traffic-stream tr[data-channel="live_data:quotes:ZB"]')
    expect(row).to_contain_text("117.03125", timeout=2000)
    expect(page.locator("#traffic-stream ol.tail")).to_contain_text("live_data:quotes:ZB")
    expect(page.locator('#board tr[data-symbol="ZB"]')).to_contain_text("117.03125", timeout=2000)


def test_a_silent_provider_turns_down(base_url, open_page, rclient):
    write_health(rclient, health("tos", age=3.0))  # its last heartbeat; then nothing
    page = _opened(open_page, base_url)
    card = page.locator('[data-provider="tos"]')
    expect(card).to_have_attribute("data-status", "ok")
    expect(card).to_have_attribute("data-status", "down", timeout=6000)
    expect(card).to_contain_text("no heartbeat for")


def test_pause_holds_the_tail_and_the_filter_narrows_it(base_url, open_page, bus):
    page = live(_opened(open_page, base_url))
    page.click("#pause")
    expect(page.locator("#pause")).to_have_attribute("aria-pressed", "true")
    bus.publish_quote("GC", quote("GC", 4100.5), source="sim")
    expect(page.locator('#board tr[data-symbol="GC"]')).to_be_visible(timeout=2000)
    expect(page.locator('#traffic-stream tr[data-channel="live_data:quotes:GC"]')).to_have_count(0)
    page.click("#pause")
    expect(page.locator('#traffic-stream tr[data-channel="live_data:quotes:GC"]')).to_be_visible()

    page.fill('input[name="symbols"]', "nq")
    page.click(".filter button")
    expect(page.locator("#traffic-stream")).to_have_attribute(
        "sse-connect", "/traffic/stream?symbols=NQ"
    )
    live(page)
    bus.publish_quotes([quote("ES", 6801.0), quote("NQ", 25001.0)], source="sim")
    expect(page.locator('#traffic-stream tr[data-channel="live_data:quotes:NQ"]')).to_be_visible()
    expect(page.locator('#traffic-stream tr[data-channel="live_data:quotes:ES"]')).to_have_count(0)


def _opened(open_page, base_url):
    page = open_page().page
    page.goto(base_url + "/")
    return page


def test_post_without_the_csrf_token_is_refused(base_url, open_page):
    page = _opened(open_page, base_url)
    post = "async (headers) => (await fetch('/logout', {method: 'POST', headers})).status"
    assert page.evaluate(post, {}) == 403
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
    assert page.evaluate(post, {"X-CSRF-Token": token}) == 200  # 303 to / followed


def test_non_loopback_bind_asks_for_the_token(make_admin, settings, serve, open_page):
    exposed = settings.with_overrides(admin_bind="0.0.0.0:8001", admin_token=TOKEN)
    base_url = serve(make_admin(exposed))
    watched = open_page()
    page = watched.page
    page.goto(base_url + "/")
    expect(page).to_have_url(base_url + "/login")
    page.fill('input[name="token"]', "wrong")
    page.click('button[type="submit"]')
    expect(page.locator(".error")).to_contain_text("not the ADMIN_TOKEN")
    page.fill('input[name="token"]', TOKEN)
    page.click('button[type="submit"]')
    live(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == "livedata_admin")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert TOKEN not in page.content()
    page.click(".logout button")
    expect(page).to_have_url(base_url + "/login")


def test_schwab_walk_through(make_admin, schwab_settings, fake, serve, open_page, rclient):
    """login required -> Log in to Schwab -> paste the redirected URL -> connected -> log out."""
    # No port in the callback URL: the admin starts no listener (the test below has one), the
    # browser lands where nothing listens and the user copies the URL.
    fake.state.config.callback_url = "https://127.0.0.1"
    base_url = serve(
        make_admin(schwab_settings.with_overrides(schwab_callback_url="https://127.0.0.1"))
    )
    watched = open_page()
    page = watched.page
    callback = "https://127.0.0.1/**"
    page.context.route(callback, lambda route: route.fulfill(body="unreachable callback"))
    page.goto(base_url + "/")
    state = page.locator("#schwab-status .state")
    expect(state).to_have_attribute("data-state", "login_required")
    with page.expect_popup() as opened:
        page.click("#schwab-login")
    popup = opened.value
    popup.wait_for_url(callback)
    page.fill('input[name="redirect_url"]', popup.url)
    popup.close()
    page.click(".paste button")
    expect(page.locator("#schwab-result")).to_contain_text("Logged in to Schwab")
    expect(state).to_have_attribute("data-state", "connected")
    expect(page.locator("#schwab-status .countdown")).to_contain_text("min")
    expect(page.locator("#schwab-status .refresh")).to_contain_text("7.0 days left")

    write_health(rclient, health("schwab", symbols=["/ES", "AAPL"]))
    control = rclient.pubsub()
    control.subscribe(CONTROL_CHANNEL)
    page.fill('.symbols input[name="symbols"]', "/nq")
    page.click('.symbols button[value="add"]')
    expect(page.locator("#schwab-result")).to_contain_text("Adding /NQ")
    heard = [
        m for m in iter(lambda: control.get_message(timeout=1), None) if m["type"] == "message"
    ]
    assert json.loads(heard[0]["data"]) == {"action": "add", "symbols": ["/NQ"]}
    control.close()

    page.click("#schwab-logout")
    expect(page.locator("#schwab-result")).to_contain_text("tokens deleted")
    expect(state).to_have_attribute("data-state", "login_required")
    assert watched.errors == []


def test_schwab_login_completes_through_the_callback(
    make_admin, schwab_settings, fake, serve, browser
):
    """Log in to Schwab -> Allow -> the browser lands on the local HTTPS listener -> connected."""
    url = f"https://127.0.0.1:{free_port()}"
    fake.state.config.callback_url = url
    base_url = serve(make_admin(schwab_settings.with_overrides(schwab_callback_url=url)))
    # A person clicks through the self-signed certificate warning; this context just accepts it.
    context = browser.new_context(ignore_https_errors=True)
    try:
        page = context.new_page()
        page.goto(base_url + "/")
        expect(page.locator("#schwab-auto-callback")).to_contain_text("completes by itself")
        with page.expect_popup() as opened:
            page.click("#schwab-login")
        expect(opened.value.locator("h1")).to_have_text("Logged in to Schwab")
        state = page.locator("#schwab-status .state")
        expect(state).to_have_attribute("data-state", "connected")
        callback = page.locator("#schwab-status [data-callback]")
        expect(callback).to_have_attribute("data-callback", "logged_in")
    finally:
        context.close()
