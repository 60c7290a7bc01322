import time

from livedata.health import Heartbeat, write_health
from livedata.settings import Settings
from tests.conftest import free_port


def test_healthz_is_200_when_redis_answers(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json()["redis"] == "ok"


def test_providers_lists_health_records(client, rclient):
    write_health(rclient, Heartbeat("sim").record("ok", "simulated"))
    body = client.get("/api/feed/providers/").get_json()
    assert body["count"] == 1 and body["providers"][0]["provider"] == "sim"


def app_on(make_app, url):
    return make_app(Settings.from_env({"REDIS_URL": url}))


def test_redis_down_is_a_fast_503_everywhere(make_app):
    client = app_on(make_app, f"redis://127.0.0.1:{free_port()}/0").test_client()
    for url in ("/healthz", "/api/feed/providers/", "/api/feed/quotes/snapshot/?symbols=ES"):
        started = time.monotonic()
        resp = client.get(url)
        assert resp.status_code == 503, url
        assert "Redis is unavailable" in resp.get_json()["error"]
        assert time.monotonic() - started < 3


def test_a_frozen_redis_is_a_503_within_3_seconds(make_app, own_redis):
    client = app_on(make_app, own_redis.url).test_client()
    assert client.get("/healthz").status_code == 200
    own_redis.freeze()
    started = time.monotonic()
    resp = client.get("/api/feed/quotes/snapshot/?symbols=ES")
    assert resp.status_code == 503 and time.monotonic() - started < 3
    own_redis.thaw()
    assert client.get("/healthz").status_code == 200  # and it recovers by itself


def test_unknown_paths_are_json_404(client):
    resp = client.get("/api/feed/nothing/")
    assert resp.status_code == 404 and "error" in resp.get_json()
