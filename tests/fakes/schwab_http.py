"""The fake Schwab's HTTP side: OAuth authorize + token endpoints and the REST API."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from urllib.parse import quote

from flask import Flask, Response, jsonify, redirect, request

from . import schwab_market as market
from .schwab_state import FakeState, account_hash, account_numbers

ACCESS_DENIED = (
    "<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY><H1>Access Denied</H1>"
    "You don't have permission to access this server.</BODY></HTML>"
)


def error(status: int, title: str, detail: str = "") -> tuple[Response, int]:
    """Schwab's error envelope."""
    item = {"id": str(uuid.uuid4()), "status": str(status), "title": title, "detail": detail}
    return jsonify(errors=[item]), status


def create_fake_app(state: FakeState, stream_url: Callable[[], str]) -> Flask:
    """The Flask app of the fake; `stream_url` gives the streamer's ws:// address."""
    app = Flask("fake_schwab")
    cfg = state.config

    @app.before_request
    def injected_failure():
        failure = state.take_failure(request.path)
        if failure is None:
            return None
        status = int(failure.kind) if failure.kind.isdigit() else 403
        state.note(request.path, status, request.form.get("grant_type") or None)
        if failure.kind == "429":
            body = jsonify(errors=[{"status": 429, "title": "Too Many Requests"}])
            return body, 429, {"Retry-After": str(failure.retry_after)}
        if failure.kind == "500":
            return jsonify(errors=[{"status": 500, "title": "Internal Server Error"}]), 500
        return Response(ACCESS_DENIED, 403, mimetype="text/html")

    @app.get("/v1/oauth/authorize")
    def authorize():
        args = request.args
        if args.get("client_id") != cfg.app_key or args.get("redirect_uri") != cfg.callback_url:
            return Response(ACCESS_DENIED, 403, mimetype="text/html")
        code = quote(state.issue_code(), safe="")  # '@' -> '%40', as Schwab sends it
        target = f"{cfg.callback_url}/?code={code}&session={uuid.uuid4()}"
        if "state" in args:
            target += "&state=" + quote(args["state"], safe="")
        return redirect(target, 302)

    @app.post("/v1/oauth/token")
    def token():
        grant = request.form.get("grant_type", "")
        body, status = _token(grant)
        state.note(request.path, status, grant)
        return jsonify(body), status

    def _token(grant: str) -> tuple[dict, int]:
        expected = base64.b64encode(f"{cfg.app_key}:{cfg.app_secret}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return {"error": "invalid_client", "error_description": "Unauthorized"}, 401
        form = request.form
        if grant == "authorization_code":
            if form.get("redirect_uri") != cfg.callback_url:
                return {"error": "invalid_request", "error_description": "redirect_uri"}, 400
            if not state.use_code(form.get("code", "")):
                return {"error": "invalid_grant", "error_description": "code expired"}, 400
            return state.mint(new_login=True), 200
        if grant == "refresh_token":
            if not state.refresh_alive(form.get("refresh_token", "")):
                return {
                    "error": "unsupported_token_type",
                    "error_description": "400 Bad Request: refresh_token_authentication_error",
                }, 400
            return state.mint(new_login=False), 200
        return {"error": "unsupported_grant_type"}, 400

    @app.before_request
    def bearer():
        if not request.path.startswith(("/trader/", "/marketdata/")):
            return None
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        if not auth.startswith("Bearer ") or not state.access_ok(token) or cfg.refuse_bearer:
            state.note(request.path, 401)
            return error(401, "Unauthorized", "Client not authorized")
        state.note(request.path, 200)
        return None

    register_rest(app, state, stream_url)
    return app


def register_rest(app: Flask, state: FakeState, stream_url: Callable[[], str]) -> None:
    """The REST endpoints a quote/account pipeline calls (Bearer already checked)."""
    hashes = {account_hash(n): n for n in market.ACCOUNTS}
    cfg_customer = state.config.customer_id

    @app.get("/trader/v1/userPreference")
    def user_preference():
        info = {
            "streamerSocketUrl": stream_url(),
            "schwabClientCustomerId": cfg_customer,
            "schwabClientCorrelId": str(uuid.uuid4()),
            "schwabClientChannel": "N9",
            "schwabClientFunctionId": "APIAPP",
        }
        accounts = [{"accountNumber": n, "primaryAccount": True} for n in market.ACCOUNTS]
        return jsonify(accounts=accounts, streamerInfo=[info], offers=[])

    @app.get("/trader/v1/accounts/accountNumbers")
    def numbers():
        return jsonify(account_numbers())

    @app.get("/trader/v1/accounts")
    def accounts():
        positions = "positions" in request.args.get("fields", "")
        return jsonify([market.account_body(n, h, positions) for h, n in hashes.items()])

    @app.get("/trader/v1/accounts/<hash_value>")
    def account(hash_value: str):
        if hash_value not in hashes:
            return error(404, "Not Found", "unknown account hash")
        positions = "positions" in request.args.get("fields", "")
        return jsonify(market.account_body(hashes[hash_value], hash_value, positions))

    @app.get("/trader/v1/accounts/<hash_value>/orders")
    def orders(hash_value: str):
        if not {"fromEnteredTime", "toEnteredTime"} <= set(request.args):
            return error(400, "Bad Request", "fromEnteredTime and toEnteredTime are required")
        if hash_value not in hashes:
            return error(404, "Not Found", "unknown account hash")
        return jsonify(state.orders.get(hashes[hash_value], []))

    @app.get("/trader/v1/accounts/<hash_value>/transactions")
    def transactions(hash_value: str):
        if not {"startDate", "endDate", "types"} <= set(request.args):
            return error(400, "Bad Request", "startDate, endDate and types are required")
        if hash_value not in hashes:
            return error(404, "Not Found", "unknown account hash")
        return jsonify(state.transactions.get(hashes[hash_value], []))

    @app.get("/marketdata/v1/quotes")
    def quotes():
        symbols = [s for s in request.args.get("symbols", "").split(",") if s]
        if not symbols:
            return error(400, "Bad Request", "Search combination should have min of 1.")
        with state.lock:
            known = {s: dict(state.market[s]) for s in symbols if s in state.market}
        found = dict(market.rest_quote(s, fields) for s, fields in known.items())
        missing = [s for s in symbols if s not in known]
        if missing:
            found["errors"] = {"invalidSymbols": missing}
        return jsonify(found)
