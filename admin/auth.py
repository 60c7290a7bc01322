"""ADMIN_TOKEN login (a session cookie), the gate in front of every view, and CSRF checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Blueprint, Response, current_app, redirect, render_template, request, session
from flask.typing import ResponseReturnValue

from admin.context import state
from admin.security import auth_required

bp = Blueprint("auth", __name__)

OPEN_ENDPOINTS = frozenset({"auth.login", "static"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """This session's CSRF token (created on first use); htmx sends it as X-CSRF-Token."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def fingerprint(token: str) -> str:
    """What a session stores instead of the token: a new ADMIN_TOKEN ends old sessions."""
    key = current_app.secret_key
    assert isinstance(key, bytes)
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def logged_in() -> bool:
    settings = state().settings
    if not auth_required(settings):
        return True
    if not settings.admin_token:  # check_exposure makes this unreachable; fail closed anyway
        return False
    expected = fingerprint(settings.admin_token)
    return hmac.compare_digest(session.get("auth", "").encode(), expected.encode())


@bp.before_app_request
def gate() -> ResponseReturnValue | None:
    """CSRF on every unsafe method, then the login, for every view but the login form."""
    if request.method in UNSAFE_METHODS and not _csrf_ok():
        return Response("CSRF token missing or wrong: reload the page\n", 403)
    if request.endpoint in OPEN_ENDPOINTS or logged_in():
        return None
    if request.headers.get("HX-Request") or request.endpoint == "traffic.stream":
        return Response("log in first\n", 401, {"HX-Redirect": "/login"})
    return redirect("/login")


def _csrf_ok() -> bool:
    given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf", "")
    origin = request.headers.get("Origin", "null")  # "null" under Referrer-Policy: no-referrer
    if origin != "null" and origin.partition("://")[2] != request.host:
        return False  # a cross-site form; SameSite=Strict should already have stopped it
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@bp.app_context_processor
def template_globals() -> dict[str, object]:
    return {"csrf_token": csrf_token, "auth_on": auth_required(state().settings)}


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    settings = state().settings
    if not auth_required(settings):
        return redirect("/")
    if request.method == "GET":
        return render_template("login.html", error=None)
    token = settings.admin_token or ""
    given = request.form.get("token", "")
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        return render_template("login.html", error="That is not the ADMIN_TOKEN."), 401
    session.clear()  # a fresh session (and CSRF token) after a login
    session.permanent = True
    session["auth"] = fingerprint(token)
    return redirect("/")


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    session.clear()
    return redirect("/login" if auth_required(state().settings) else "/", 303)
