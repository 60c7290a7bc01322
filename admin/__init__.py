"""The admin app: provider health, live traffic, the snapshot board and the Schwab login.

Server-rendered Jinja fragments swapped in by htmx (vendored under static/vendor, so the page
works offline); live traffic arrives over Server-Sent Events. gunicorn runs `create_app()`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from flask import Flask

from admin import filters, security
from admin.context import AdminState
from livedata.settings import Settings

BLUEPRINTS = (
    "admin.auth",
    "admin.pages",
    "admin.providers",
    "admin.traffic",
    "admin.board",
    "admin.schwab",
)
"""Modules whose `bp` the app registers: one per area of the page."""


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the admin app. `config` may hold `SETTINGS`, `MAX_STREAMS` and Flask options.

    Refuses (SettingsError) a non-loopback ADMIN_BIND without ADMIN_TOKEN.
    """
    app = Flask(__name__)
    app.config.from_mapping(config or {})
    settings = app.config.get("SETTINGS") or Settings.from_env()
    security.check_exposure(settings)
    app.extensions["admin"] = AdminState(settings, app.config.get("MAX_STREAMS"))
    security.install(app, settings)
    filters.install(app)
    for module in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)
    return app


check_exposure = security.check_exposure  # kept importable from `admin`
