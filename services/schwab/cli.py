"""`livedata schwab run|login|status|logout`."""

from __future__ import annotations

import json
import sys

import click

from livedata.settings import Settings
from services.schwab.errors import SchwabError
from services.schwab.tokens import TokenStore, describe


@click.group()
def schwab() -> None:
    """Schwab provider: log in, check the login, log out, run the provider."""


@schwab.command()
@click.option("--redirect-url", help="The URL the browser was redirected to after Allow.")
def login(redirect_url: str | None) -> None:
    """Print the authorize URL, then exchange the redirected URL (stdin or --redirect-url)."""
    from services.schwab.login import finish_login, start_login

    settings = Settings.from_env()
    try:
        if not redirect_url:
            click.echo("Open this URL, log in (brokerage account), click Allow:", err=True)
            click.echo(start_login(settings))
            click.echo("Then paste the URL the browser lands on (within 30 s):", err=True)
            redirect_url = sys.stdin.readline().strip()
            if not redirect_url:
                raise click.ClickException(
                    "no redirected URL read; pass it with "
                    "`livedata schwab login --redirect-url URL` within 10 minutes"
                )
        record = finish_login(settings, redirect_url)
    except SchwabError as exc:
        raise click.ClickException(str(exc)) from None
    info = describe(record)
    click.echo(f"Logged in. Refresh token good for {info['refresh_token_days_left']} days.")


@schwab.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """Login state, access token expiry, refresh token age and days left."""
    info = describe(TokenStore.for_settings(Settings.from_env()).load())
    if as_json:
        click.echo(json.dumps(info))
    elif not info["logged_in"]:
        click.echo("Not logged in: run `livedata schwab login`.")
    else:
        click.echo(
            f"Logged in at {info['login_at']}\n"
            f"Access token {info['access_token']} expires at {info['access_token_expires_at']} "
            f"(in {info['access_token_expires_in_s']} s)\n"
            f"Refresh token is {info['refresh_token_age_days']} days old, "
            f"{info['refresh_token_days_left']} days left"
        )
        if info["refresh_rejected"]:
            click.echo(
                f"Schwab refused the refresh token at {info['refresh_rejected']['at']}: "
                "run `livedata schwab login`."
            )
    if not info["logged_in"] or info["refresh_rejected"]:
        sys.exit(1)


@schwab.command()
def logout() -> None:
    """Delete the stored tokens (the provider then reports auth_required)."""
    removed = TokenStore.for_settings(Settings.from_env()).delete()
    click.echo("Tokens deleted." if removed else "No tokens were stored.")


@schwab.command()
def run() -> None:
    """Run the Schwab provider until SIGTERM."""
    from livedata.logs import setup_logging
    from livedata.provider import StopFlag
    from services.schwab.provider import SchwabProvider

    setup_logging()
    SchwabProvider(Settings.from_env()).run(StopFlag().install())
