"""The HTTP API: snapshot, providers, health, OpenAPI; gunicorn runs `create_app()`."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask

from livedata.bus import Bus
from livedata.connections import redis_client
from livedata.fanout import Fanout
from livedata.settings import Settings
from services.api import errors

BLUEPRINTS = (
    "services.api.snapshot",
    "services.api.stream",
    "services.api.health",
    "services.api.openapi",
    "services.schwab.accounts_api",
    "services.tos.endpoint",
)
"""Modules whose `bp` the app registers; a feature adds its module here."""


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the API. `config` may hold `SETTINGS` (a Settings) and Flask options."""
    app = Flask(__name__)
    app.url_map.strict_slashes = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config.from_mapping(config or {})
    settings = app.config.get("SETTINGS") or Settings.from_env()
    # Requests never retry: with Redis away the caller gets a 503 in one socket timeout.
    app.extensions["livedata"] = Bus(redis_client(settings, retries=0), settings)
    app.extensions["livedata_settings"] = settings
    app.extensions["livedata_fanout"] = fanout = Fanout(settings)
    if not app.testing:
        # Under gunicorn: subscribe now, so the first requests of a burst are served from
        # the mirror instead of each opening a pool connection for its own HMGET.
        fanout.start()
    app.extensions["livedata_streams"] = threading.BoundedSemaphore(settings.sse_max_streams)
    errors.register(app)
    for module in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)
    return app
