"""Provider cards, the snapshot board and the page with Redis up and down (Flask test client)."""

from __future__ import annotations

import re
import time

from livedata.fanout import Message
from livedata.health import write_health
from livedata.quotes import to_iso
from livedata.settings import Settings
from tests.conftest import free_port, wait_for


def health(name, status="ok", age=0.0, **extra):
    seen = to_iso(time.time() - age)
    return {"provider": name, "status": status, "last_seen": seen, "quotes_total": 42,
            "rate_per_s": 20.0, "detail": f"{name} detail", **extra}  # fmt: skip


def card_status(html: str, provider: str) -> str:
    return re.search(rf'data-provider="{provider}" data-status="([a-z_]+)"', html)[1]


def test_provider_cards_show_each_status(admin_client, rclient):
    write_health(rclient, health("sim", simulated=True))
    write_health(rclient, health("tos", "degraded"))
    write_health(rclient, health("schwab", "auth_required", access_token="never-shown"))
    write_health(rclient, health("old", age=30))
    html = admin_client.get("/providers").data.decode()
    assert [card_status(html, p) for p in ("sim", "tos", "schwab", "old")] == [
        "ok", "degraded", "auth_required", "down"
    ]  # fmt: skip
    assert "SIMULATED DATA" in html and "no heartbeat for 30 s" in html
    assert "20/s" in html and "tos detail" in html and "never-shown" not in html


def test_banner_only_while_the_simulator_is_not_down(admin_client, rclient):
    write_health(rclient, health("sim", age=30, simulated=True))
    assert "SIMULATED DATA" not in admin_client.get("/providers").data.decode()
    write_health(rclient, health("sim", simulated=True))
    assert "SIMULATED DATA" in admin_client.get("/").data.decode()


def test_no_provider_yet(admin_client):
    assert "No provider has reported yet" in admin_client.get("/providers").data.decode()


def test_redis_down_is_shown_not_a_500(make_admin, tmp_path):
    settings = Settings.from_env(
        {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "LIVEDATA_DATA_DIR": str(tmp_path)}
    )
    client = make_admin(settings).test_client()
    for path in ("/", "/providers", "/board", "/schwab"):
        answer = client.get(path)
        assert answer.status_code == 200, path
    assert b"Redis is not answering" in client.get("/providers").data
    assert b"Redis is not answering" in client.get("/board").data


def quote(symbol, last, age=0.0, **extra):
    return {"symbol": symbol, "bid": last - 0.25, "ask": last + 0.25, "last": last,
            "close": last - 10, "timestamp": time.time() - age, **extra}  # fmt: skip


def row_of(html: str, symbol: str) -> str:
    return re.search(rf'<tr data-symbol="{symbol}"[^>]*>.*?</tr>', html, re.S)[0]


def test_board_rows_fresh_and_stale(admin_client, bus):
    bus.publish_quote("ES", quote("ES", 4712.25), source="sim")
    bus.publish_quote("CL", quote("CL", 61.5, age=60), source="tos_excel")
    bus.publish_quote("GC", quote("GC", 4100.1, stale=True), source="tos_excel")
    html = admin_client.get("/board").data.decode()
    es = row_of(html, "ES")
    assert "stale" not in es and "4,712.25" in es and "+10.00" in es and "sim" in es
    assert 'class="stale"' in row_of(html, "CL") and "61.50" in row_of(html, "CL")
    assert 'class="stale"' in row_of(html, "GC")


def test_board_reads_the_mirror_once_the_subscriber_is_up(admin_app, admin_client, bus):
    admin_client.get("/board")
    wait_for(lambda: admin_app.extensions["admin"].fanout.healthy, 5)
    bus.publish_quote("NQ", quote("NQ", 25000.0), source="sim")
    wait_for(lambda: 'data-symbol="NQ"' in admin_client.get("/board").data.decode(), 2)


def test_board_draws_a_sparkline_from_the_history(admin_app, admin_client, bus):
    history = admin_app.extensions["admin"].history
    admin_client.get("/board")  # starts the subscriber and the history feed
    wait_for(lambda: admin_app.extensions["admin"].fanout.healthy, 5)
    bus.publish_quote("YM", quote("YM", 47000.0), source="sim")
    wait_for(lambda: history.prices("YM") == [47000.0], 3)
    later = Message("live_data:quotes:YM", b'{"last":47010.0}', "YM")
    history.absorb([later], time.time() + 1)  # the next second's price
    html = admin_client.get("/board").data.decode()
    assert re.search(r'<svg class="spark up"[^>]*><polyline points="0\.0,[\d.]+ 120\.0,', html)


def test_board_without_quotes(admin_client):
    assert "No quotes yet" in admin_client.get("/board").data.decode()


def test_page_prefills_the_traffic_filter_and_rejects_a_bad_one(admin_client):
    page = admin_client.get("/?symbols=es,nq").data.decode()
    assert 'sse-connect="/traffic/stream?symbols=ES,NQ"' in page and 'value="ES,NQ"' in page
    bad = admin_client.get("/?symbols=E%20S!")
    assert bad.status_code == 400 and b"must be 1-32 characters" in bad.data
