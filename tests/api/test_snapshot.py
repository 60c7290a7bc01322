from datetime import UTC, datetime, timedelta

import pytest

URL = "/api/feed/quotes/snapshot/"


def publish(bus, symbol, last, age_s=0.0, **extra):
    when = datetime.now(UTC) - timedelta(seconds=age_s)
    bus.publish_quote(symbol, {"last": last, "timestamp": when, **extra}, source="test")


def test_quotes_come_back_in_the_order_asked_with_missing_listed(client, bus):
    for symbol, last in (("ES", 1.0), ("NQ", 2.0), ("YM", 3.0)):
        publish(bus, symbol, last)
    body = client.get(URL + "?symbols=YM,ZZ,/es:XCME,NQ").get_json()
    assert [q["symbol"] for q in body["quotes"]] == ["YM", "ES", "NQ"]
    assert body["missing"] == ["ZZ"]
    assert body["count"] == 3 and body["source"] == "redis_snapshot"


def test_each_quote_has_age_and_stale(client, bus):
    publish(bus, "ES", 1.0)
    publish(bus, "VX", 2.0, age_s=60)
    quotes = {q["symbol"]: q for q in client.get(URL + "?symbols=ES,VX").get_json()["quotes"]}
    assert 0 <= quotes["ES"]["age_ms"] < 5000 and quotes["ES"]["stale"] is False
    assert quotes["VX"]["age_ms"] >= 60_000 and quotes["VX"]["stale"] is True


def test_a_quote_its_provider_marked_stale_is_stale(client, bus):
    publish(bus, "ES", 1.0, stale=True)
    assert client.get(URL + "?symbols=ES").get_json()["quotes"][0]["stale"] is True


def test_trailing_slash_is_optional_and_duplicates_collapse(client, bus):
    publish(bus, "ES", 1.0)
    body = client.get(URL.rstrip("/") + "?symbols=ES,es,/ES").get_json()
    assert body["count"] == 1


def test_the_original_readme_recipe(client, bus):
    for symbol in ("YM", "ES", "NQ"):
        publish(bus, symbol, 1.0)
    resp = client.get(URL, query_string={"symbols": "YM,ES,NQ"})
    assert [q["symbol"] for q in resp.json["quotes"]] == ["YM", "ES", "NQ"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "symbols is required"),
        ("?symbols=", "symbols is required"),
        ("?symbols=,,%20,", "symbols is required"),
        ("?symbols=ES,E%20S", "symbol 'E S' must be"),
        ("?symbols=ES%3BDROP", "must be 1-32 characters"),
        ("?symbols=" + "A" * 33, "must be 1-32 characters"),
        ("?symbols=%00", "must be 1-32 characters"),
        ("?symbols=" + ",".join(f"S{i}" for i in range(501)), "too many symbols: 501"),
        ("?symbols=" + ",".join(f"S{i}" for i in range(10_000)), "too many symbols: 10000"),
    ],
)
def test_bad_input_is_a_400_json_error(client, rclient, query, message):
    resp = client.get(URL + query)
    assert resp.status_code == 400
    assert message in resp.get_json()["error"]
    assert rclient.dbsize() == 0  # nothing was written


def test_max_symbols_setting_is_honoured(make_app, settings):
    app = make_app(settings.with_overrides(max_symbols=2))
    resp = app.test_client().get(URL + "?symbols=ES,NQ,YM")
    assert resp.status_code == 400 and "at most 2" in resp.get_json()["error"]
