"""Admin fixtures: apps from Settings, a real threaded server, and a headless Debian Chromium."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from admin import create_app
from admin.traffic import SHUTDOWN
from livedata.settings import Settings
from tests.conftest import free_port
from tests.fakes.schwab_server import FakeConfig, FakeSchwab

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKEN = "correct-horse-battery-staple-42"  # noqa: S105 - a test token


@pytest.fixture
def make_admin() -> Iterator[Callable[..., Flask]]:
    """Build admin apps; their threads and connections end with the test."""
    apps: list[Flask] = []

    def build(settings: Settings, **config) -> Flask:
        apps.append(create_app({"SETTINGS": settings, "TESTING": True, **config}))
        return apps[-1]

    yield build
    for app in apps:
        app.extensions["admin"].close()
        if "schwab_callback" in app.extensions:  # "Log in to Schwab" started a listener
            app.extensions["schwab_callback"].stop()


@pytest.fixture
def fake() -> Iterator[FakeSchwab]:
    """The fake Schwab (OAuth, REST, streamer) on free local ports."""
    server = FakeSchwab(FakeConfig()).start()
    yield server
    server.stop()


@pytest.fixture
def schwab_settings(fake: FakeSchwab, settings: Settings, monkeypatch) -> Settings:
    """Settings pointing the Schwab card at the fake."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks plain http
    return settings.with_overrides(
        schwab_app_key=fake.state.config.app_key,
        schwab_app_secret=fake.state.config.app_secret,
        schwab_api_base=fake.api_base,
        schwab_symbols=("/ES", "AAPL"),
    )


@pytest.fixture
def admin_app(make_admin, settings: Settings) -> Flask:
    return make_admin(settings)


@pytest.fixture
def admin_client(admin_app: Flask):
    return admin_app.test_client()


def csrf_of(client) -> str:
    """Load the dashboard and return the CSRF token htmx would send."""
    client.get("/")
    with client.session_transaction() as session:
        return session["csrf"]


@pytest.fixture
def serve() -> Iterator[Callable[[Flask], str]]:
    """Run admin apps on real threaded HTTP servers on free ports; yields a starter -> URL."""
    servers = []

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", free_port(), app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    SHUTDOWN.set()  # end open traffic streams so the servers can stop
    for server, thread in servers:
        server.shutdown()
        thread.join(5)
    SHUTDOWN.clear()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@dataclass
class Watched:
    """A page with every console error, page error and request it made recorded."""

    page: object
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def open_page(browser) -> Iterator[Callable[[], Watched]]:
    contexts = []

    def open_() -> Watched:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        watched = Watched(page)
        page.on("console", lambda m: m.type == "error" and watched.errors.append(m.text))
        page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
        context.on("request", lambda r: watched.requests.append(r.url))
        return watched

    yield open_
    for context in contexts:
        context.close()
