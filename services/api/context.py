"""The per-app objects a request needs, kept on `app.extensions` by `create_app`."""

from __future__ import annotations

from flask import current_app

from livedata.bus import Bus
from livedata.fanout import Fanout
from livedata.settings import Settings


def bus() -> Bus:
    """The app's Bus (one Redis connection pool per process)."""
    return current_app.extensions["livedata"]


def settings() -> Settings:
    """The app's Settings."""
    return current_app.extensions["livedata_settings"]


def fanout() -> Fanout:
    """The process's subscriber and snapshot mirror (started on first use)."""
    return current_app.extensions["livedata_fanout"].start()
