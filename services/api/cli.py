"""`livedata api`: the HTTP API under gunicorn."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


@click.command()
def api() -> None:
    """Serve the API with gunicorn (gthread workers, API_BIND)."""
    exec_gunicorn("services.api.gunicorn_conf", "services.api:create_app()")


def exec_gunicorn(conf_module: str, app: str) -> None:
    """Replace this process with gunicorn, so supervisord's signals reach it directly."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    argv = [gunicorn, "-c", f"python:{conf_module}", app]
    os.execv(gunicorn, argv)  # noqa: S606
