"""The Schwab card: login state and token clocks, the login walk-through, log out, symbols.

Everything goes through services.schwab's public functions (start_login, finish_login,
TokenStore, describe, send_control, the callback listener): the admin never reads or writes
tokens itself. When SCHWAB_CALLBACK_URL is https on loopback with a port, "Log in to Schwab"
also starts the callback listener in this process (one at a time), so the browser's redirect
completes the login by itself; pasting the address stays the fallback.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue

from admin.context import state
from admin.schwab_card import card_state
from livedata.connections import REDIS_ERRORS
from livedata.health import read_health
from services.schwab.callback import ListenerSlot, local_callback
from services.schwab.control import parse_command, send_control
from services.schwab.errors import SchwabError
from services.schwab.login import finish_login, start_login
from services.schwab.tokens import TokenStore, describe

bp = Blueprint("schwab", __name__)

MAX_FIELD = 4096
"""Longest redirected URL or symbol list accepted (a real redirect URL is ~300 characters)."""


def schwab_view() -> dict[str, Any]:
    settings = state().settings
    login = describe(TokenStore.for_settings(settings).load())
    return card_state(settings, login, _health(), listener_slot().view())


def listener_slot() -> ListenerSlot:
    """This app's one callback listener slot (the admin runs one process, see gunicorn_conf)."""
    return current_app.extensions.setdefault("schwab_callback", ListenerSlot())


def _health() -> dict[str, Any] | None:
    try:
        records = read_health(state().redis)
    except REDIS_ERRORS:
        return None
    return next((r for r in records if r.get("provider") == "schwab"), None)


def result(message: str, status: int = 200, ok: bool = True) -> tuple[str, int, dict]:
    """The outcome line under the actions; HX-Trigger makes the status part refresh now."""
    page = render_template("_schwab_result.html", message=message, ok=ok)
    return page, status, {"HX-Trigger": "schwab-changed"}


def field(name: str) -> str | None:
    value = request.form.get(name, "").strip()
    return value if 0 < len(value) <= MAX_FIELD else None


@bp.get("/schwab")
def status() -> str:
    return render_template("_schwab_status.html", schwab=schwab_view())


@bp.post("/schwab/authorize")
def authorize() -> ResponseReturnValue:
    """A fresh authorize URL (its state remembered by services.schwab), opened in a new tab;
    with a local https callback URL, a listener waits there for the browser."""
    settings = state().settings
    try:
        if local_callback(settings.schwab_callback_url):
            return redirect(listener_slot().listen(settings), 303)
        return redirect(start_login(settings), 303)
    except SchwabError as exc:
        return f"Cannot start a Schwab login: {exc}\n", 400


@bp.post("/schwab/finish")
def finish() -> tuple[str, int, dict]:
    url = field("redirect_url")
    if url is None:
        return result(f"Paste the redirected URL (1-{MAX_FIELD} characters).", 400, False)
    try:
        record = finish_login(state().settings, url)
    except SchwabError as exc:
        return result(str(exc), 400, False)
    listener_slot().stop()  # the pasted URL did the listener's job: free its port
    days = describe(record)["refresh_token_days_left"]
    return result(f"Logged in to Schwab: the login is good for {days:g} days.")


@bp.post("/schwab/logout")
def logout() -> tuple[str, int, dict]:
    removed = TokenStore.for_settings(state().settings).delete()
    return result("Schwab tokens deleted." if removed else "No Schwab tokens were stored.")


@bp.post("/schwab/symbols")
def symbols() -> tuple[str, int, dict]:
    """Add or remove streamed symbols through the provider's control channel."""
    action, raw = request.form.get("action"), field("symbols")
    if action not in ("add", "remove") or raw is None:
        return result("Give symbols (e.g. /ES, AAPL) and add or remove.", 400, False)
    names = raw.upper().replace(",", " ").split()
    try:
        parse_command(json.dumps({"action": action, "symbols": names}))  # the provider's check
    except ValueError as exc:
        return result(str(exc), 400, False)
    provider = _health()
    # PUBLISH's receiver count cannot tell: every Fanout's `live_data:*` pattern hears it too.
    if provider is None or provider.get("status") == "down":
        return result("The Schwab provider is not running: start it, then retry.", 409, False)
    try:
        send_control(state().redis, action, names)
    except REDIS_ERRORS:
        return result("Redis is not answering: nothing was sent.", 503, False)
    verb = "Adding" if action == "add" else "Removing"
    return result(f"{verb} {', '.join(names)}: sent to the provider.")
