"""`livedata admin`: the admin page under gunicorn."""

import click

from services.api.cli import exec_gunicorn


@click.command()
def admin() -> None:
    """Serve the admin page with gunicorn (ADMIN_BIND)."""
    exec_gunicorn("admin.gunicorn_conf", "admin:create_app()")
