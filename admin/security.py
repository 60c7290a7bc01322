"""Who may reach the admin page at all: the bind check, trusted hosts, headers, the secret key."""

from __future__ import annotations

import ipaddress
import socket
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request

from admin.secret import secret_key
from livedata.exceptions import SettingsError
from livedata.settings import Settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
# Names of wildcard binds to recognise in ADMIN_BIND, not an address we bind to.
WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]", "")  # noqa: S104  # nosec B104


def bind_host(bind: str) -> str:
    return bind.rpartition(":")[0].strip("[]").lower()


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def auth_required(settings: Settings) -> bool:
    """Off loopback always; on loopback only when ADMIN_TOKEN is set (then it means it)."""
    return bool(settings.admin_token) or not is_loopback(bind_host(settings.admin_bind))


def check_exposure(settings: Settings) -> None:
    """The admin page controls logins: off loopback it must be behind ADMIN_TOKEN."""
    if not is_loopback(bind_host(settings.admin_bind)) and not settings.admin_token:
        raise SettingsError(f"ADMIN_BIND {settings.admin_bind} is not loopback: set ADMIN_TOKEN")


def trusted_hosts(settings: Settings) -> frozenset[str]:
    """Host names the page answers to: loopback, the bound address, this machine's name on a
    wildcard bind. Anything else (DNS rebinding, a stray proxy) is refused with a 400."""
    hosts = {"localhost", "127.0.0.1", "::1"}
    host = bind_host(settings.admin_bind)
    if host in WILDCARD_HOSTS:
        hosts |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    else:
        hosts.add(host)
    return frozenset(hosts)


def host_name(host_header: str) -> str:
    """`"[::1]:8001"` -> `"::1"`, `"Example:80"` -> `"example"`."""
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0].lower()
    return host_header.partition(":")[0].lower()


def content_policy(settings: Settings) -> str:
    """The CSP; "Log in to Schwab" posts here, then redirects to Schwab and on to the callback
    URL, and Chrome checks form-action on every hop of that chain."""
    if not settings.schwab_app_key:
        return CSP
    origins = {_origin(settings.schwab_api_base), _origin(settings.schwab_callback_url)}
    return f"{CSP} {' '.join(sorted(o for o in origins if o))}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""


def install(app: Flask, settings: Settings) -> None:
    """Session cookie settings, the Host check and the headers of every response."""
    app.secret_key = app.config.get("SECRET_KEY") or secret_key(settings.data_dir)
    app.config.update(
        SESSION_COOKIE_NAME="livedata_admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    hosts = app.config.get("ADMIN_HOSTS") or trusted_hosts(settings)
    policy = content_policy(settings)

    @app.before_request
    def check_host() -> None:
        if host_name(request.host) not in hosts:
            abort(Response("unknown Host header: open the admin page by its own address\n", 400))

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if request.endpoint != "static":  # pages hold the CSRF token and live data
            response.headers["Cache-Control"] = "no-store"
        return response
