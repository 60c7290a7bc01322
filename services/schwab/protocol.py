"""The streamer protocol without I/O: request frames, frame parsing, field maps, and the
per-symbol state that turns Schwab's delta-only frames into full quote payloads."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FUTURES = "LEVELONE_FUTURES"
EQUITIES = "LEVELONE_EQUITIES"
ACTIVITY = "ACCT_ACTIVITY"
QUOTE_TIME, TRADE_TIME, ACTIVE_SYMBOL = "quote_time", "trade_time", "active_symbol"

# Numeric field id -> our name, per the reference (sections 3.6 and 3.7): the two services
# differ (futures times are 10/11, equities 34/35), so each has its own map.
FIELD_MAPS: dict[str, dict[str, str]] = {
    EQUITIES: {
        "1": "bid",
        "2": "ask",
        "3": "last",
        "4": "bid_size",
        "5": "ask_size",
        "8": "volume",
        "9": "last_size",
        "10": "high",
        "11": "low",
        "12": "close",
        "15": "description",
        "17": "open",
        "18": "net_change",
        "32": "status",
        "33": "mark",
        "34": QUOTE_TIME,
        "35": TRADE_TIME,
        "42": "percent_change",
    },
    FUTURES: {
        "1": "bid",
        "2": "ask",
        "3": "last",
        "4": "bid_size",
        "5": "ask_size",
        "8": "volume",
        "9": "last_size",
        "10": QUOTE_TIME,
        "11": TRADE_TIME,
        "12": "high",
        "13": "low",
        "14": "close",
        "16": "description",
        "18": "open",
        "19": "net_change",
        "20": "percent_change",
        "22": "status",
        "23": "open_interest",
        "24": "mark",
        "34": ACTIVE_SYMBOL,
    },
}
FIELDS = {service: ",".join(["0", *fmap]) for service, fmap in FIELD_MAPS.items()}
ASSET_TYPES = {EQUITIES: "EQUITY", FUTURES: "FUTURE"}
CODE_NAMES = {
    0: "SUCCESS",
    3: "LOGIN_DENIED",
    9: "UNKNOWN_FAILURE",
    11: "SERVICE_NOT_AVAILABLE",
    12: "CLOSE_CONNECTION",
    19: "REACHED_SYMBOL_LIMIT",
    20: "STREAM_CONN_NOT_FOUND",
    21: "BAD_COMMAND_FORMAT",
    30: "STOP_STREAMING",
}


def service_of(symbol: str) -> str:
    """`/ES` and `/ESZ26` are futures; everything else here (AAPL, $SPX) is LEVELONE_EQUITIES."""
    return FUTURES if symbol.startswith("/") else EQUITIES


def by_service(symbols: Iterable[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for symbol in symbols:
        grouped.setdefault(service_of(symbol), []).append(symbol)
    return grouped


@dataclass(frozen=True)
class StreamerInfo:
    """`streamerInfo[0]` of userPreference (a single element even with several accounts)."""

    url: str
    customer_id: str
    correl_id: str
    channel: str
    function_id: str

    @classmethod
    def from_preferences(cls, prefs: Mapping[str, Any]) -> StreamerInfo:
        info = prefs["streamerInfo"][0]
        return cls(
            info["streamerSocketUrl"],
            info["schwabClientCustomerId"],
            info["schwabClientCorrelId"],
            info["schwabClientChannel"],
            info["schwabClientFunctionId"],
        )


def request(info: StreamerInfo, rid: int, service: str, command: str, params: dict) -> str:
    """One request as a frame: `{"requests": [...]}`."""
    body = {
        "service": service,
        "command": command,
        "requestid": str(rid),
        "SchwabClientCustomerId": info.customer_id,
        "SchwabClientCorrelId": info.correl_id,
        "parameters": params,
    }
    return json.dumps({"requests": [body]})


def login_request(info: StreamerInfo, rid: int, access_token: str) -> str:
    """ADMIN/LOGIN with the bare access token (no `Bearer `)."""
    params = {
        "Authorization": access_token,
        "SchwabClientChannel": info.channel,
        "SchwabClientFunctionId": info.function_id,
    }
    return request(info, rid, "ADMIN", "LOGIN", params)


def subs_request(info: StreamerInfo, rid: int, command: str, symbols: list[str]) -> str:
    """SUBS/ADD/UNSUBS of quote symbols of one service (all of `symbols` share it)."""
    service = service_of(symbols[0])
    params: dict[str, str] = {"keys": ",".join(s.upper() for s in symbols)}
    if command != "UNSUBS":
        params["fields"] = FIELDS[service]
    return request(info, rid, service, command, params)


def activity_request(info: StreamerInfo, rid: int) -> str:
    """ACCT_ACTIVITY takes SUBS only (not ADD); the key is any string echoed back."""
    return request(info, rid, ACTIVITY, "SUBS", {"keys": info.correl_id, "fields": "0,1,2,3"})


@dataclass
class Frame:
    """What one server frame carried."""

    responses: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    heartbeat: bool = False
    data: list[dict[str, Any]] = field(default_factory=list)

    def codes(self) -> list[tuple[int, str, str]]:
        """(code, service/command, msg) of every response and notice with content."""
        found = []
        for entry in self.responses + self.notices:
            content = entry.get("content") or {}
            if "code" in content:
                what = f"{entry.get('service', '?')}/{entry.get('command', 'notify')}"
                found.append((int(content["code"]), what, str(content.get("msg", ""))))
        return found


def parse_frame(text: str | bytes) -> Frame:
    """Sort one frame's entries into responses, notices, heartbeats and data."""
    message = json.loads(text)
    frame = Frame(responses=list(message.get("response", [])), data=list(message.get("data", [])))
    for entry in message.get("notify", []):
        if "heartbeat" in entry:
            frame.heartbeat = True
        else:
            frame.notices.append(entry)
    return frame
