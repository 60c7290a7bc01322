"""The admin app: provider health at a glance (the full htmx page comes with its own issue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, render_template

from livedata.connections import REDIS_ERRORS, redis_client
from livedata.exceptions import SettingsError
from livedata.health import read_health
from livedata.settings import Settings

LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the admin app; refuses a non-loopback bind without ADMIN_TOKEN."""
    app = Flask(__name__)
    app.config.from_mapping(config or {})
    settings = app.config.get("SETTINGS") or Settings.from_env()
    check_exposure(settings)
    client = redis_client(settings, retries=0)

    @app.get("/")
    def index():
        try:
            providers, error = read_health(client), None
        except REDIS_ERRORS:
            providers, error = [], "Redis is unavailable"
        simulated = any(p.get("simulated") and p["status"] != "down" for p in providers)
        page = render_template(
            "index.html",
            providers=providers,
            simulated=simulated,
            error=error,
            api_bind=settings.api_bind,
        )
        return page, (503 if error else 200)

    @app.after_request
    def security_headers(response):
        response.headers["Content-Security-Policy"] = "default-src 'self'"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return app


def check_exposure(settings: Settings) -> None:
    """The admin page controls logins: off loopback it must be behind ADMIN_TOKEN."""
    host = settings.admin_bind.rpartition(":")[0]
    if host not in LOOPBACK and not settings.admin_token:
        raise SettingsError(f"ADMIN_BIND {settings.admin_bind} is not loopback: set ADMIN_TOKEN")
