"""The fake Schwab streamer: LOGIN before anything, SUBS/ADD/UNSUBS, delta frames, heartbeats,
one connection per user (an older one gets code 12 and is closed), and drops on demand."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from .schwab_market import FUTURES, now_ms, numbered_delta, service_of
from .schwab_state import FakeState

QUIET = logging.getLogger("fake_schwab.ws")
QUIET.setLevel(logging.WARNING)  # its DEBUG lines would carry the LOGIN token
LEVELONE = ("LEVELONE_EQUITIES", "LEVELONE_FUTURES")
DENIED = "Login Denied.: token is invalid or has expired."


@dataclass(eq=False)
class Conn:
    """One client connection and what it subscribed."""

    ws: ServerConnection
    number: int
    logged_in: bool = False
    silent: bool = False
    keys: dict[str, set[str]] = field(default_factory=dict)
    activity: str | None = None
    seq: int = 0


class StreamHandler:
    """Serves connections inside the fake's event loop; `log` records every command."""

    def __init__(self, state: FakeState) -> None:
        self.state = state
        self.conns: list[Conn] = []
        self.log: list[tuple[int, str, str, str]] = []
        self.logins: list[tuple[int, int]] = []  # (connection number, code)
        self._numbers = itertools.count(1)
        self.refuse = False  # deny every LOGIN (a streamer outage)

    async def handle(self, ws: ServerConnection) -> None:
        conn = Conn(ws, next(self._numbers))
        self.conns.append(conn)
        beats = asyncio.create_task(self._heartbeats(conn))
        try:
            async for raw in ws:
                for req in json.loads(raw).get("requests", []):
                    await self._request(conn, req)
        except ConnectionClosed:
            pass
        finally:
            beats.cancel()
            self.conns.remove(conn)

    async def _request(self, conn: Conn, req: dict[str, Any]) -> None:
        service, command = req.get("service"), req.get("command")
        keys = str(req.get("parameters", {}).get("keys", ""))
        self.log.append((conn.number, service, command, keys))
        if service == "ADMIN" and command == "LOGIN":
            await self._login(conn, req)
        elif not conn.logged_in:
            await self._respond(conn, req, 20, "Stream connection not found; LOGIN first")
        elif service in LEVELONE:
            await self._subscribe(conn, req, service, command, keys)
        elif service == "ACCT_ACTIVITY" and command in ("SUBS", "UNSUBS"):
            conn.activity = keys.split(",")[0] if command == "SUBS" else None
            await self._respond(conn, req, 0, f"{command} command succeeded")
        elif service == "ADMIN" and command == "LOGOUT":
            await conn.ws.close()
        else:
            await self._respond(conn, req, 11, "service not available")

    async def _login(self, conn: Conn, req: dict[str, Any]) -> None:
        token = req.get("parameters", {}).get("Authorization", "")
        if self.refuse or not self.state.access_ok(token):
            self.logins.append((conn.number, 3))
            await self._respond(conn, req, 3, DENIED)
            await conn.ws.close()
            return
        for other in [c for c in self.conns if c.logged_in and c is not conn]:
            await self.close_connection(other)
        conn.logged_in = True
        self.logins.append((conn.number, 0))
        await self._respond(conn, req, 0, "server=fake-1;status=NP")

    async def close_connection(self, conn: Conn) -> None:
        """What the older connection of a user sees when a new one logs in: code 12."""
        content = {"code": 12, "msg": "Max connections reached; closing this connection"}
        entry = {"service": "ADMIN", "timestamp": now_ms(), "content": content}
        await self._send(conn, {"notify": [entry]}, force=True)
        await conn.ws.close()

    async def _subscribe(self, conn: Conn, req: dict, service: str, command: str, keys: str):
        wanted = {k.strip().upper() for k in keys.split(",") if k.strip()}
        have = conn.keys.setdefault(service, set())
        if command == "UNSUBS":
            have -= wanted
        elif command in ("SUBS", "ADD"):
            if command == "SUBS":
                have.clear()
            have |= wanted
        else:
            return await self._respond(conn, req, 21, f"bad command {command}")
        await self._respond(conn, req, 0, f"{command} command succeeded")
        if command != "UNSUBS":
            # The first frame after SUBS/ADD: most fields, but only what is known.
            await self.send_data(service, {k: self.state.market.get(k, {}) for k in wanted}, conn)

    async def send_data(self, service: str, items: dict[str, dict], only: Conn | None = None):
        """Delta frames for subscribed keys."""
        for conn in [only] if only else list(self.conns):
            wanted = {k: fields for k, fields in items.items() if k in conn.keys.get(service, ())}
            if wanted:
                await self._send(conn, data_message(service, wanted))

    async def send_numbered(self, key: str, count: int, rate: float | None) -> list[float]:
        """`count` one-quote frames for `key` at `rate` frames/s (None: as fast as the socket
        takes them), numbered by volume 1..count; returns each one's send time (benchmarks)."""
        sent: list[float] = []
        started = time.perf_counter()
        for n in range(1, count + 1):
            if rate:  # a steady schedule: sleep only when ahead of it
                ahead = started + n / rate - time.perf_counter()
                if ahead > 0:
                    await asyncio.sleep(ahead)
            sent.append(time.time())
            await self.send_data(service_of(key), {key: numbered_delta(key, n)})
        return sent

    async def send_activity(self, number: str, kind: str, data: str) -> None:
        for conn in [c for c in self.conns if c.activity]:
            conn.seq += 1
            item = {"seq": conn.seq, "key": conn.activity, "1": number, "2": kind, "3": data}
            frame = {
                "service": "ACCT_ACTIVITY",
                "timestamp": now_ms(),
                "command": "SUBS",
                "content": [item],
            }
            await self._send(conn, {"data": [frame]})

    async def _respond(self, conn: Conn, req: dict, code: int, msg: str) -> None:
        entry = {
            "service": req.get("service"),
            "command": req.get("command"),
            "requestid": req.get("requestid"),
            "SchwabClientCorrelId": req.get("SchwabClientCorrelId"),
            "timestamp": now_ms(),
            "content": {"code": code, "msg": msg},
        }
        await self._send(conn, {"response": [entry]}, force=True)

    async def _send(self, conn: Conn, message: dict, force: bool = False) -> None:
        if conn.silent and not force:
            return
        try:
            await conn.ws.send(json.dumps(message))
        except ConnectionClosed:
            pass

    async def _heartbeats(self, conn: Conn) -> None:
        while True:
            await asyncio.sleep(self.state.config.heartbeat_interval)
            if conn.logged_in:
                await self._send(conn, {"notify": [{"heartbeat": str(now_ms())}]})


def data_message(service: str, items: dict[str, dict]) -> dict:
    """A `data` message of delta items; data frames always say SUBS, as Schwab's do."""
    content = [
        {"key": k, "delayed": False, "assetMainType": _asset(k), **fields}
        for k, fields in items.items()
    ]
    frame = {"service": service, "timestamp": now_ms(), "command": "SUBS", "content": content}
    return {"data": [frame]}


def _asset(key: str) -> str:
    return "FUTURE" if service_of(key) == FUTURES else "EQUITY"
