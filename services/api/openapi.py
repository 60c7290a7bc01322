"""`GET /api/openapi.json`: the hand-written OpenAPI 3.1 document of what the API serves.

Each blueprint's paths are listed here; a test checks that every route of the app appears.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

import livedata

bp = Blueprint("openapi", __name__)

ERROR = {"$ref": "#/components/schemas/Error"}
# One symbol as `normalize_symbol` takes it: 1-32 of A-Z a-z 0-9 / $ . _ : -, with a name
# left once a leading `/` and a `:MARKET` suffix are dropped (`/`, `:X` and `/:` are not).
_SYMBOL = r"(?:/[A-Za-z0-9/$._-][A-Za-z0-9/$._:-]{0,30}|[A-Za-z0-9$._-][A-Za-z0-9/$._:-]{0,31})"
SYMBOLS_PARAM = {
    "name": "symbols",
    "in": "query",
    "required": True,
    "description": "Comma-separated symbols, e.g. `YM,ES,NQ` (`/ES` and `/ES:XCME` mean ES; "
    "case and spaces around a symbol do not matter, empty items are skipped); at least one, "
    "at most MAX_SYMBOLS (500), each 1-32 of `A-Z0-9/$._:-`.",
    "schema": {
        "type": "string",
        "pattern": rf"^[\s,]*{_SYMBOL}(?:\s*,[\s,]*{_SYMBOL})*[\s,]*$",
    },
}
STREAM_ID_PATTERN = "[0-9]{1,19}-[0-9]{1,19}"
_CELL = r"\$?[A-Za-z]{1,3}\$?[0-9]{1,7}"
RANGE_PATTERN = rf"^(\s*{_CELL}:{_CELL}\s*)?$"


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


QUOTE_SCHEMA = {
    "type": "object",
    "required": ["type", "symbol", "bid", "ask", "last", "volume", "timestamp", "source", "seq"],
    "properties": {
        "type": {"const": "quote"},
        "symbol": {"type": "string"},
        **{name: {"type": ["number", "null"]} for name in ("bid", "ask", "last", "volume")},
        "timestamp": {"type": "string", "format": "date-time"},
        "received_at": {"type": "string", "format": "date-time"},
        "source": {"type": "string"},
        "seq": {"type": "integer"},
        "age_ms": {"type": "integer"},
        "stale": {"type": "boolean"},
    },
}


WORKBOOK_QUOTE_SCHEMA = {
    **QUOTE_SCHEMA,
    "description": "A quote built from a row; `seq` only when the bus published it (a quote "
    "older than the stored one for its symbol is not).",
    "required": [name for name in QUOTE_SCHEMA["required"] if name != "seq"],
}


def _event(name: str, data: dict[str, Any], **more: Any) -> dict[str, Any]:
    """One kind of SSE event: its `event` name and its `data` line (JSON of `data`)."""
    return {
        "type": "object",
        "required": ["event", "data", *more.pop("required", [])],
        "properties": {
            "event": {"const": name},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": data,
            },
            "id": {"type": "string", "pattern": f"^{STREAM_ID_PATTERN}$"},
            **more,
        },
    }


SSE_EVENT = {
    "description": "One event of the stream (`retry:` hints and `:` keepalive comments aside)",
    "oneOf": [
        _event(
            "snapshot",
            {
                "type": "object",
                "required": ["quotes", "count"],
                "properties": {
                    "quotes": {"type": "array", "items": QUOTE_SCHEMA},
                    "count": {"type": "integer"},
                },
            },
        ),
        _event("quote", QUOTE_SCHEMA, required=["id"]),
        _event(
            "resync",
            {
                "type": "object",
                "required": ["reason"],
                "properties": {"reason": {"enum": ["slow", "reconnected"]}},
            },
        ),
    ],
}

PATHS: dict[str, Any] = {
    "/api/feed/quotes/snapshot/": {
        "get": {
            "summary": "Latest quote of each requested symbol, in the order asked",
            "parameters": [SYMBOLS_PARAM],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["quotes", "count", "source", "missing"],
                        "properties": {
                            "quotes": {"type": "array", "items": QUOTE_SCHEMA},
                            "count": {"type": "integer"},
                            "source": {"const": "redis_snapshot"},
                            "missing": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    "The snapshot",
                ),
                "400": _json(ERROR, "symbols missing, empty, too many or malformed"),
                "503": _json(ERROR, "Redis is unavailable"),
            },
        }
    },
    "/api/feed/quotes/stream/": {
        "get": {
            "summary": "Live quotes as Server-Sent Events: a snapshot event, then quote events",
            "description": "Each quote event's `id` is its stream position; reconnecting with "
            "`Last-Event-ID` replays what was missed (or sends a fresh snapshot when it was "
            "trimmed). A `resync` event means the client fell behind; a fresh snapshot follows.",
            "parameters": [
                SYMBOLS_PARAM,
                {
                    "name": "conflate_ms",
                    "in": "query",
                    "required": False,
                    "description": "Send at most one quote per symbol per interval (50-60000).",
                    "schema": {"type": "integer", "minimum": 50, "maximum": 60000},
                },
                {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "required": False,
                    "description": "The `id` of the last event received: resume after it "
                    "(empty: not given).",
                    "schema": {"type": "string", "pattern": rf"^(\s*{STREAM_ID_PATTERN}\s*)?$"},
                },
                {
                    "name": "last_event_id",
                    "in": "query",
                    "required": False,
                    "description": "The same as `Last-Event-ID`, for clients that cannot set "
                    "headers; the header wins.",
                    "schema": {"type": "string", "pattern": rf"^(\s*{STREAM_ID_PATTERN}\s*)?$"},
                },
            ],
            "responses": {
                "200": {
                    "description": "An endless event stream",
                    "content": {"text/event-stream": {"schema": SSE_EVENT}},
                },
                "400": _json(ERROR, "bad symbols, conflate_ms or Last-Event-ID"),
                "503": _json(ERROR, "too many open streams, or Redis is unavailable"),
            },
        }
    },
    "/api/feed/providers/": {
        "get": {
            "summary": "Health record of every provider",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "providers": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/ProviderHealth"},
                            },
                            "count": {"type": "integer"},
                        },
                    },
                    "Provider health",
                ),
                "503": _json(ERROR, "Redis is unavailable"),
            },
        }
    },
    "/api/feed/tos/quotes/latest/": {
        "get": {
            "summary": "Read a TOS RTD workbook range, publish each row, return rows and quotes",
            "parameters": [
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "description": description,
                    "schema": {"type": "string", **schema},
                }
                for name, description, schema in (
                    (
                        "consumer",
                        "Who asks (1-64 of `A-Za-z0-9._-`); echoed back.",
                        {"pattern": "^[A-Za-z0-9._-]{0,64}$"},
                    ),
                    (
                        "file_path",
                        "Workbook NAME in TOS_WORKBOOK_DIR (`.xlsx`/`.xlsm`); of a Windows path "
                        "such as `A:\\Thor\\CleanData.xlsm` only the name is used; `..`, absolute "
                        "and UNC paths are refused. Default (empty): the first of TOS_WORKBOOK.",
                        {"pattern": r"^(\s*|.*\.[Xx][Ll][Ss][XxMm]\s*)$"},
                    ),
                    (
                        "sheet_name",
                        "Worksheet, as Excel names them (1-31 characters, none of `[]:*?/\\`); "
                        "default (empty): TOS_SHEET (`LiveData`).",
                        {"pattern": r"^[^\[\]:*?/\\\x00-\x1f]{0,31}$"},
                    ),
                    (
                        "data_range",
                        "Bounded range, header row first, e.g. `A1:M12`: at least two rows, top "
                        "left first, inside the sheet, at most 20,000 cells; default (empty): "
                        "TOS_RANGE (`A1:N13`).",
                        {"pattern": RANGE_PATTERN},
                    ),
                )
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["quotes", "rows", "count", "source", "workbook", "as_of"],
                        "properties": {
                            "quotes": {"type": "array", "items": WORKBOOK_QUOTE_SCHEMA},
                            "rows": {"type": "array", "items": {"type": "object"}},
                            "count": {"type": "integer"},
                            "source": {"const": "tos_excel"},
                            "consumer": {"type": ["string", "null"]},
                            "workbook": {"type": "string"},
                            "sheet": {"type": "string"},
                            "range": {"type": "string"},
                            "as_of": {"type": "string", "format": "date-time"},
                        },
                    },
                    "The rows (header -> cached value) and the quotes published from them",
                ),
                "400": _json(ERROR, "bad file_path, sheet_name, data_range or consumer"),
                "404": _json(ERROR, "no such workbook in TOS_WORKBOOK_DIR"),
                "409": _json(ERROR, "the same range is being read for another request"),
                "413": _json(ERROR, "the workbook file is too large"),
                "422": _json(ERROR, "not a readable workbook (corrupt or truncated)"),
                "503": _json(ERROR, "Redis is unavailable, or the API's Redis user may not write"),
            },
        }
    },
    "/api/feed/accounts/": {
        "get": {
            "summary": "Accounts with published data (broker hash or alias, never the number)",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "accounts": {"type": "array", "items": {"type": "object"}},
                            "count": {"type": "integer"},
                        },
                    },
                    "Each account_id with positions_at and balances_at",
                ),
                "503": _json(ERROR, "Redis is unavailable"),
            },
        }
    },
    **{
        f"/api/feed/accounts/{{account_id}}/{kind}/": {
            "get": {
                "summary": f"Latest {kind} of one account",
                "parameters": [
                    {
                        "name": "account_id",
                        "in": "path",
                        "required": True,
                        "description": "Account hash or alias (1-128 of `A-Za-z0-9._-`); "
                        "never a full account number (six or more digits alone).",
                        "schema": {
                            "type": "string",
                            "pattern": "^(?![0-9]{6,}$)[A-Za-z0-9._-]{1,128}$",
                        },
                    },
                ],
                "responses": {
                    "200": _json({"type": "object"}, f"The {kind} JSON (design section 3)"),
                    "400": _json(ERROR, "malformed id, or a full account number"),
                    "404": _json(ERROR, f"no {kind} published for this account"),
                    "503": _json(ERROR, "Redis is unavailable"),
                },
            }
        }
        for kind in ("positions", "balances")
    },
    "/healthz": {
        "get": {
            "summary": "Liveness: 200 when Redis answers",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["status", "redis", "subscriber"],
                        "properties": {
                            "status": {"const": "ok"},
                            "redis": {"const": "ok"},
                            "subscriber": {
                                "type": "object",
                                "description": "This worker's fan-out subscriber: connected, "
                                "Redis connections it lost, slow SSE clients told to resync.",
                                "properties": {
                                    "healthy": {"type": "boolean"},
                                    "reconnects": {"type": "integer"},
                                    "slow_clients": {"type": "integer"},
                                },
                            },
                        },
                    },
                    "Redis answers",
                ),
                "503": _json(ERROR, "Redis is unavailable"),
            },
        }
    },
    "/api/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document")},
        }
    },
}

COMPONENTS = {
    "schemas": {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}},
        },
        "ProviderHealth": {
            "type": "object",
            "required": ["provider", "status"],
            "properties": {
                "provider": {"type": "string"},
                "status": {"enum": ["ok", "degraded", "down", "auth_required"]},
                "last_seen": {"type": "string", "format": "date-time"},
                "quotes_total": {"type": "integer"},
                "rate_per_s": {"type": "number"},
                "detail": {"type": "string"},
                "age_s": {"type": "number"},
            },
        },
    }
}


def document() -> dict[str, Any]:
    """The OpenAPI document as a dict."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "LiveData API", "version": livedata.__version__},
        "paths": PATHS,
        "components": COMPONENTS,
    }


@bp.get("/api/openapi.json")
def openapi_json():
    return jsonify(document())
