"""Shared fixtures: a real redis-server on a free port, settings, bus, API app and client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from werkzeug.serving import make_server

from livedata.bus import Bus
from livedata.connections import redis_client
from livedata.embedded_redis import RedisProcess, free_port
from livedata.settings import Settings
from services.api.stream_session import SHUTDOWN


def wait_for(condition: Callable[[], object], timeout: float = 10.0, every: float = 0.02):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.kill()


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisProcess]:
    """A Redis of this test's own, for tests that kill or freeze it."""
    server = RedisProcess(tmp_path / "own-redis").start()
    yield server
    server.kill()  # SIGKILL ends a frozen (SIGSTOPped) server too


@pytest.fixture
def redis_url(redis_server: RedisProcess) -> str:
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def settings(redis_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env({"REDIS_URL": redis_url, "LIVEDATA_DATA_DIR": str(tmp_path)})


@pytest.fixture
def rclient(settings: Settings) -> Iterator[redis.Redis]:
    client = redis_client(settings)
    yield client
    client.close()


@pytest.fixture
def bus(settings: Settings, rclient: redis.Redis) -> Bus:
    return Bus(rclient, settings)


@pytest.fixture
def make_app():
    """Build API apps (from Settings); their threads and connections end with the test."""
    from services.api import create_app

    apps = []

    def build(settings: Settings):
        apps.append(create_app({"SETTINGS": settings, "TESTING": True}))
        return apps[-1]

    yield build
    for app in apps:
        app.extensions["livedata_fanout"].stop()
        app.extensions["livedata"].close()


@pytest.fixture
def app(make_app, settings: Settings):
    return make_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


RedisServer = RedisProcess  # the name tests use for a server they own
__all__ = ["RedisServer", "free_port", "wait_for"]


@pytest.fixture
def serve():
    """Serve API apps on real HTTP servers (threaded werkzeug, free ports); yields a starter.

    At teardown every open SSE stream is ended and waited for, so no request thread
    outlives the test (and its Redis connections).
    """
    servers = []

    def start(app) -> str:
        server = make_server("127.0.0.1", free_port(), app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append((server, app))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    SHUTDOWN.set()
    try:
        for server, app in servers:
            server.shutdown()
            slots = app.extensions["livedata_streams"]
            limit = app.extensions["livedata_settings"].sse_max_streams
            wait_for(lambda slots=slots, limit=limit: slots._value == limit, timeout=5)
    finally:
        SHUTDOWN.clear()


@pytest.fixture
def api_server(serve, app) -> str:
    """The test's API app on a real HTTP server; its URL."""
    return serve(app)
