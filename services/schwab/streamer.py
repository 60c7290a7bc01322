"""The streamer connection loop: userPreference -> connect -> LOGIN (wait for code 0) -> SUBS,
then read frames; on any end: fresh token, capped jittered backoff, log in and subscribe again.
The protocol itself lives in `protocol` and `book`; this module only does the I/O."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from services.schwab import protocol as p
from services.schwab.book import QuoteBook, activity_items
from services.schwab.errors import AuthRequired, RestError, SchwabError, TransientError
from services.schwab.oauth import TokenManager
from services.schwab.rest import SchwabRest

log = logging.getLogger("livedata.schwab.streamer")
QUIET = logging.getLogger("livedata.schwab.ws")
QUIET.setLevel(logging.INFO)  # websockets' DEBUG frame dumps would carry the LOGIN token


@dataclass(frozen=True)
class Tuning:
    """Timings of the stream loop (tests shrink them)."""

    heartbeat_limit: float = 30.0  # no frame at all for this long = a dead connection
    login_timeout: float = 10.0
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    healthy_after: float = 60.0  # a connection that lived this long resets the backoff
    takeover_pause: float = 300.0  # after code 12: let the other connection have it
    auth_poll: float = 2.0  # while waiting for a login: re-check the token file


class StreamEnded(SchwabError):
    """The connection is gone or unusable; reconnect after a backoff."""


class TakenOver(SchwabError):
    """Code 12: another connection of this Schwab user took over the single streamer slot."""


class Streamer:
    """Owns the one streamer connection and the symbol subscriptions."""

    def __init__(
        self,
        rest: SchwabRest,
        tokens: TokenManager,
        symbols: set[str],
        on_quotes: Callable[[list[dict]], Any],
        on_activity: Callable[[list[dict]], Any],
        book: QuoteBook,
        tuning: Tuning | None = None,
    ) -> None:
        self.rest, self.tokens, self.tuning = rest, tokens, tuning or Tuning()
        self.symbols = {s.strip().upper() for s in symbols if s.strip()}
        self.on_quotes, self.on_activity, self.book = on_quotes, on_activity, book
        self.state, self.detail, self.state_since = "starting", "", time.monotonic()
        self.connections = self.attempts = 0
        self._ws: ClientConnection | None = None
        self._info: p.StreamerInfo | None = None
        self._ids = itertools.count(1)
        self._wake = asyncio.Event()
        self._failures = 0

    async def run(self) -> None:
        """Connect, stream, reconnect, forever (cancel the task to stop)."""
        while True:
            started, pause = time.monotonic(), 0.0
            try:
                await self._session()
            except AuthRequired as exc:
                self._set("auth_required", str(exc))
                pause = self.tuning.auth_poll
            except TakenOver as exc:
                pause = self.tuning.takeover_pause
                self._set(
                    "taken_over",
                    f"code 12 CLOSE_CONNECTION ({exc}): another streamer "
                    f"connection for this login took over; not fighting it, retry in "
                    f"{pause:.0f} s",
                )
                log.warning("%s", self.detail)
            except (
                StreamEnded,
                TransientError,
                RestError,
                OSError,
                TimeoutError,
                WebSocketException,
                ValueError,
                KeyError,
                IndexError,
            ) as exc:
                pause = self._backoff(time.monotonic() - started)
                reason = str(exc) or type(exc).__name__
                self._set("reconnecting", f"{reason}; reconnecting in {pause:.1f} s")
                log.warning("stream ended: %s", self.detail)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), pause)
            except TimeoutError:
                pass

    def wake(self) -> None:
        """End a pause early (a `reconnect` control command)."""
        self._wake.set()

    async def change(self, action: str, symbols: list[str]) -> None:
        """Add or remove symbols now: ADD/UNSUBS on the live connection, no reconnect."""
        if action == "add":
            changed = [s for s in symbols if s not in self.symbols]
            self.symbols.update(changed)
        else:
            changed = [s for s in symbols if s in self.symbols]
            self.symbols.difference_update(changed)
            self.book.forget(changed)
        if changed and self._ws is not None and self._info is not None:
            command = "ADD" if action == "add" else "UNSUBS"
            try:
                for group in p.by_service(changed).values():
                    frame = p.subs_request(self._info, next(self._ids), command, group)
                    await self._ws.send(frame)
            except WebSocketException:
                pass  # the connection just ended; the reconnect subscribes the new set
        log.info("%s %s", action, ",".join(changed) or "nothing new")

    async def _session(self) -> None:
        self.attempts += 1
        if self.state != "auth_required":
            self._set("connecting", "")
        prefs = await asyncio.to_thread(self.rest.get, "/trader/v1/userPreference")
        info = p.StreamerInfo.from_preferences(prefs)
        token = await asyncio.to_thread(self.tokens.access_token)
        async with connect(
            info.url,
            logger=QUIET,
            open_timeout=self.tuning.login_timeout,
            close_timeout=1,
            max_size=2**24,
        ) as ws:
            self.connections += 1
            await ws.send(p.login_request(info, next(self._ids), token))
            await self._await_login(ws, token)
            self._ws, self._info = ws, info
            try:
                await self._subscribe_all(ws, info)
                self._set("streaming", f"{len(self.symbols)} symbols")
                await self._read(ws)
            finally:
                self._ws = None

    async def _await_login(self, ws: ClientConnection, token: str) -> None:
        async with asyncio.timeout(self.tuning.login_timeout):
            while True:
                frame = p.parse_frame(await ws.recv())
                for code, what, msg in frame.codes():
                    if what != "ADMIN/LOGIN" and code != 12:
                        continue
                    if code == 0:
                        return
                    if code == 12:
                        raise TakenOver(msg)
                    if code == 3:
                        await asyncio.to_thread(self.tokens.on_unauthorized, token)
                    raise StreamEnded(f"LOGIN answered code {code} {p.CODE_NAMES.get(code, '')}")

    async def _subscribe_all(self, ws: ClientConnection, info: p.StreamerInfo) -> None:
        """SUBS replaces a service's key list, so a new connection gets everything again."""
        for group in p.by_service(sorted(self.symbols)).values():
            await ws.send(p.subs_request(info, next(self._ids), "SUBS", group))
        await ws.send(p.activity_request(info, next(self._ids)))

    async def _read(self, ws: ClientConnection) -> None:
        limit = self.tuning.heartbeat_limit
        while True:
            try:
                text = await asyncio.wait_for(ws.recv(), limit)
            except TimeoutError:
                raise StreamEnded(f"no heartbeat or data for {limit:.0f} s") from None
            self._handle(p.parse_frame(text))

    def _handle(self, frame: p.Frame) -> None:
        for code, what, msg in frame.codes():
            if code == 12:
                raise TakenOver(msg)
            if code in (3, 30):
                raise StreamEnded(f"{what} code {code} {p.CODE_NAMES[code]}: {msg}")
            if code != 0:
                log.warning(
                    "streamer %s code %d %s: %s", what, code, p.CODE_NAMES.get(code, ""), msg
                )
        touched, events = [], []
        for entry in frame.data:
            touched += self.book.apply(entry)
            events += activity_items(entry)
        if touched:
            self.on_quotes(self.book.quotes(touched))
        if events:
            self.on_activity(events)

    def _backoff(self, lived: float) -> float:
        """Capped exponential delay with jitter; reset when the last connection was healthy."""
        if self.state == "streaming" and lived >= self.tuning.healthy_after:
            self._failures = 0
        self._failures += 1
        ceiling = min(self.tuning.backoff_cap, self.tuning.backoff_base * 2 ** (self._failures - 1))
        return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not crypto

    def _set(self, state: str, detail: str) -> None:
        if state != self.state:
            self.state_since = time.monotonic()
        self.state, self.detail = state, detail
