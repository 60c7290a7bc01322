"""`GET /api/feed/accounts/` and `/api/feed/accounts/{id}/positions|balances/`: the latest
account data the Schwab provider published, read from the bus's hashes."""

from __future__ import annotations

import json

from flask import Blueprint, jsonify

from livedata import channels
from livedata.bus import ACCOUNT_ID, FULL_ACCOUNT_NUMBER
from services.api.context import bus
from services.api.errors import BadRequest

bp = Blueprint("accounts", __name__)


@bp.get("/api/feed/accounts/")
def accounts():
    """Every account with data, and when its positions and balances were last published."""
    client = bus().redis
    found: dict[str, dict[str, str | None]] = {}
    for kind in channels.ACCOUNT_KINDS_WITH_LATEST:
        for account_id, raw in client.hgetall(channels.latest_account(kind)).items():
            entry = found.setdefault(account_id, {"account_id": account_id})
            entry[f"{kind}_at"] = _timestamp(raw)
    rows = [found[key] for key in sorted(found)]
    return jsonify(accounts=rows, count=len(rows))


@bp.get("/api/feed/accounts/<account_id>/positions/")
def positions(account_id: str):
    return jsonify(_latest("positions", account_id))


@bp.get("/api/feed/accounts/<account_id>/balances/")
def balances(account_id: str):
    return jsonify(_latest("balances", account_id))


def _latest(kind: str, account_id: str) -> dict:
    if not ACCOUNT_ID.fullmatch(account_id):
        raise BadRequest("account id must be 1-128 characters of A-Z a-z 0-9 . _ -")
    if FULL_ACCOUNT_NUMBER.fullmatch(account_id):
        raise BadRequest("that looks like a full account number; use the account hash")
    latest = bus().latest_account(kind, account_id)
    if latest is None:
        raise BadRequest(f"no {kind} for account {account_id}; see /api/feed/accounts/", 404)
    return latest


def _timestamp(raw: str) -> str | None:
    try:
        return json.loads(raw).get("timestamp")
    except (ValueError, AttributeError):
        return None
