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
@click.option(
    "--listen",
    is_flag=True,
    help="Answer SCHWAB_CALLBACK_URL (https on 127.0.0.1/localhost/[::1] with a port) "
    "and finish when the browser lands there.",
)
def login(redirect_url: str | None, listen: bool) -> None:
    """Print the authorize URL, then exchange the redirected URL (stdin, --redirect-url, or
    the callback listener with --listen)."""
    from services.schwab.login import finish_login

    settings = Settings.from_env()
    try:
        if listen and not redirect_url:
            record = _login_listening(settings)
        else:
            record = finish_login(settings, redirect_url or _read_redirect(settings))
    except SchwabError as exc:
        raise click.ClickException(str(exc)) from None
    info = describe(record)
    click.echo(f"Logged in. Refresh token good for {info['refresh_token_days_left']} days.")


def _read_redirect(settings: Settings) -> str:
    from services.schwab.login import start_login

    click.echo("Open this URL, log in (brokerage account), click Allow:", err=True)
    click.echo(start_login(settings))
    click.echo("Then paste the URL the browser lands on (within 30 s):", err=True)
    redirect_url = sys.stdin.readline().strip()
    if not redirect_url:
        raise click.ClickException(
            "no redirected URL read; pass it with "
            "`livedata schwab login --redirect-url URL` within 10 minutes"
        )
    return redirect_url


def _login_listening(settings: Settings) -> dict:
    from services.schwab.callback import listen_for_login

    url, listener = listen_for_login(settings)
    try:
        click.echo("Open this URL, log in (brokerage account), click Allow:", err=True)
        click.echo(url)
        click.echo(
            f"Waiting for the browser at {settings.schwab_callback_url} (up to "
            f"{listener.timeout / 60:g} min). Its warning about the self-signed certificate "
            "is expected: proceed, it is this machine.",
            err=True,
        )
        outcome = listener.wait()
    finally:
        listener.stop()  # Ctrl-C included: free the port at once
    if outcome is None or outcome.record is None:
        raise click.ClickException(outcome.message if outcome else "the listener ended")
    return outcome.record


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
