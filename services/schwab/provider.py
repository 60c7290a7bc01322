"""`livedata schwab run`: one process owns the login, the single streamer connection, the
REST polling and the health record."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from livedata.connections import REDIS_ERRORS
from livedata.exceptions import InvalidAccountEvent
from livedata.provider import ProviderRuntime, StopFlag
from livedata.settings import Settings
from services.schwab.accounts import Accounts
from services.schwab.book import QuoteBook
from services.schwab.control import listen
from services.schwab.errors import AuthRequired, SchwabError
from services.schwab.fallback import rest_quotes
from services.schwab.oauth import TokenManager
from services.schwab.rest import SchwabRest
from services.schwab.streamer import Streamer, Tuning
from services.schwab.tokens import describe
from services.schwab.writer import QuoteWriter

log = logging.getLogger("livedata.schwab")
FALLBACK_AFTER = 10.0
"""Seconds without a stream before quotes come from REST instead."""
FALLBACK_EVERY = 5.0
ORDERS_EVERY = 60.0
BEAT_EVERY = 0.5
LOGIN_REMINDER_DAYS = 1.0


class SchwabProvider:
    """Wires tokens, REST, accounts and the streamer to the bus, and runs them."""

    def __init__(
        self,
        settings: Settings,
        runtime: ProviderRuntime | None = None,
        tuning: Tuning | None = None,
        fallback_after: float = FALLBACK_AFTER,
    ) -> None:
        self.settings = settings
        self.runtime = runtime or ProviderRuntime("schwab", settings)
        self.tokens = TokenManager(settings)
        self.rest = SchwabRest(settings, self.tokens)
        self.accounts = Accounts(self.rest, self.runtime.bus)
        book = QuoteBook(settings.symbol_aliases)
        self.writer = QuoteWriter(self.runtime, self._health_record, BEAT_EVERY)
        self.streamer = Streamer(
            self.rest,
            self.tokens,
            set(settings.schwab_symbols),
            self.writer.put,
            self.accounts.publish_activity,
            book,
            tuning or Tuning(),
        )
        self.fallback_after = fallback_after
        self.fallback_active = False

    def run(self, stop: StopFlag) -> None:
        """Run until `stop` is set (SIGTERM), then close everything within a second or so."""
        asyncio.run(self.main(stop))

    async def main(self, stop: StopFlag) -> None:
        jobs = [
            self._forever("streamer", self.streamer.run),
            self._forever("accounts", self._poll_accounts),
            self._forever("fallback", self._fallback_quotes),
            self._forever("control", lambda: listen(self.settings, self._control)),
        ]
        self.writer.start()
        tasks = [asyncio.create_task(job) for job in jobs]
        login = describe(self.tokens.store.load())
        log.info(
            "Schwab provider started for %d symbols; %s",
            len(self.streamer.symbols),
            f"refresh token has {login['refresh_token_days_left']} days left"
            if login["logged_in"]
            else "not logged in: run `livedata schwab login`",
        )
        try:
            while not stop.stopped and not any(t.done() for t in tasks):
                await asyncio.sleep(0.05)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.writer.stop()
            self.rest.close()
            log.info("Schwab provider stopped")

    async def _forever(self, name: str, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job` again after any unexpected error: one bad frame or row never stops us."""
        while True:
            try:
                await job()
            except Exception:
                log.exception("%s task failed; restarting it in 1 s", name)
                await asyncio.sleep(1.0)

    async def _poll_accounts(self) -> None:
        next_orders = 0.0
        while True:
            with_orders = time.monotonic() >= next_orders
            try:
                await asyncio.to_thread(self.accounts.poll, with_orders)
                next_orders = next_orders if not with_orders else time.monotonic() + ORDERS_EVERY
            except AuthRequired:
                pass  # the health record says so; polling resumes after a login
            except (SchwabError, InvalidAccountEvent, *REDIS_ERRORS) as exc:
                log.warning("account poll failed: %s", exc)
            await asyncio.sleep(self.settings.schwab_account_poll_seconds)

    async def _fallback_quotes(self) -> None:
        """While the stream is down, poll `/marketdata/v1/quotes` in batches."""
        while True:
            down_for = time.monotonic() - self.streamer.state_since
            self.fallback_active = (
                self.streamer.state not in ("streaming", "auth_required")
                and down_for >= self.fallback_after
            )
            if self.fallback_active and self.streamer.symbols:
                try:
                    symbols, aliases = sorted(self.streamer.symbols), self.settings.symbol_aliases
                    built = await asyncio.to_thread(rest_quotes, self.rest, symbols, aliases)
                    self.writer.put(built)
                except SchwabError as exc:
                    log.warning("REST quotes failed: %s", exc)
            await asyncio.sleep(FALLBACK_EVERY)

    async def _control(self, action: str, symbols: list[str]) -> None:
        if action == "reconnect":
            self.streamer.wake()
        else:
            await self.streamer.change(action, symbols)

    def _health_record(self) -> tuple[str, str, dict]:
        """What the writer thread puts in each heartbeat."""
        status, detail = self.health()
        info = describe(self.tokens.record)
        return status, detail, {
            "stream": self.streamer.state,
            "symbols": sorted(self.streamer.symbols),
            "refresh_token_days_left": info.get("refresh_token_days_left"),
            "access_token_expires_in_s": info.get("access_token_expires_in_s"),
        }

    def health(self) -> tuple[str, str]:
        """(status, detail): login trouble first, then the stream."""
        status, detail = self.tokens.status()
        if status == "auth_required":
            return status, detail
        stream = self.streamer
        if stream.state == "streaming":
            return (
                status,
                detail or f"streaming {len(stream.symbols)} symbols{_login_due(self.tokens)}",
            )
        fallback = "; quotes from REST meanwhile" if self.fallback_active else ""
        return "degraded", f"stream {stream.state}: {stream.detail}{fallback}"


def _login_due(tokens: TokenManager) -> str:
    """A reminder in the last day of the 7-day refresh token (the login cannot be automated)."""
    left = describe(tokens.record).get("refresh_token_days_left")
    if left is None or left >= LOGIN_REMINDER_DAYS:
        return ""
    return f"; the Schwab login ends in {left * 24:.0f} h: run `livedata schwab login`"
