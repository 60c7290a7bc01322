"""The callback listener: when SCHWAB_CALLBACK_URL is https on a loopback host with an explicit
port, a one-shot HTTPS server there lets the browser's redirect after Allow complete the login
by itself. Pasting the address stays possible; both end in `finish_login`.

A listener answers one redirect that carries a code and the state of the authorize URL it was
started for, then stops; it stops anyway after LISTEN_TIMEOUT. Runs in a daemon thread, so the
CLI (`livedata schwab login --listen`) and the admin both use it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from livedata.settings import Settings
from services.schwab.callback_cert import ensure_cert
from services.schwab.callback_http import CallbackServer, tls_context
from services.schwab.errors import LoginError
from services.schwab.login import finish_login, start_login
from services.schwab.tokens import describe

log = logging.getLogger("livedata.schwab.callback")

LISTEN_TIMEOUT = 300.0
"""Seconds a listener waits for the browser; the code Schwab sends lives ~30 s after Allow."""
LOOPBACK_BIND = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1"}
"""Callback host -> the address to bind; never anything but loopback."""
FINISH_GRACE = 30.0
"""A listener ending while a redirect is being exchanged waits this long for its outcome."""


def local_callback(url: str) -> tuple[str, int] | None:
    """(bind address, port) when `url` is https on a loopback host with an explicit port."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or port is None or parts.hostname not in LOOPBACK_BIND:
        return None
    return LOOPBACK_BIND[parts.hostname], port


def check_redirect(callback_url: str, state: str, host: str, target: str) -> tuple[int, str] | None:
    """None when the request (Host header, request target) is the awaited redirect, else the
    HTTP status and what to tell the browser."""
    expected, asked = urlsplit(callback_url), urlsplit(target)
    same_place = host.lower() == expected.netloc.lower() and target.startswith("/")
    if not same_place or asked.path.rstrip("/") != expected.path.rstrip("/"):
        return 404, "Nothing here."
    query = parse_qs(asked.query)
    if query.get("state") != [state]:
        return 400, (
            "This address does not answer the login in progress (its state differs): "
            "start the login again and use the newest authorize URL."
        )
    if not query.get("code"):
        return 400, "Schwab sent no code (was Allow clicked?): start the login again."
    return None


@dataclass(frozen=True)
class Outcome:
    """How a listener ended: `logged_in`, `failed`, `timed_out` or `stopped`."""

    status: str
    message: str
    record: dict[str, Any] | None = field(default=None, repr=False)


class CallbackListener:
    """One HTTPS listener for the login whose authorize URL carried `state`."""

    def __init__(self, settings: Settings, state: str, timeout: float = LISTEN_TIMEOUT) -> None:
        self.settings, self.state, self.timeout = settings, state, timeout
        self.callback_url = settings.schwab_callback_url
        self.outcome: Outcome | None = None
        self.cert_path: Path | None = None
        self._claim = threading.Lock()
        self._stop = threading.Event()
        self._answered = threading.Event()
        self._done = threading.Event()
        self._deadline = 0.0

    def start(self) -> CallbackListener:
        """Bind and serve in a daemon thread; LoginError when the port or certificate fails."""
        address = local_callback(self.callback_url)
        if address is None:
            raise LoginError(f"{self.callback_url} is not an https loopback URL with a port")
        host = urlsplit(self.callback_url).hostname or ""
        self.cert_path, key = ensure_cert(self.settings.data_dir, host)
        try:
            server = CallbackServer(address, self, tls_context(self.cert_path, key))
        except OSError as exc:
            raise LoginError(f"cannot listen on {self.callback_url}: {exc.strerror}") from None
        self._deadline = time.monotonic() + self.timeout
        thread = threading.Thread(target=self._serve, args=(server,), daemon=True)
        thread.start()
        log.info("waiting for the Schwab login callback on %s", self.callback_url)
        return self

    def _serve(self, server: CallbackServer) -> None:
        try:
            while not self._stop.is_set() and time.monotonic() < self._deadline:
                server.handle_request()  # returns after callback_http.POLL at the latest
        finally:
            server.server_close()
            if self._claim.locked():  # a redirect came in just before the end: let it finish
                self._answered.wait(FINISH_GRACE)
            if self.outcome is None:
                self.outcome = self._unanswered()
            log.info("Schwab login callback listener ended (%s)", self.outcome.status)
            self._done.set()

    def _unanswered(self) -> Outcome:
        if self._stop.is_set():
            return Outcome("stopped", "the login listener was stopped")
        return Outcome(
            "timed_out", f"no browser came back to {self.callback_url} within {self.timeout:g} s"
        )

    def answer(self, host: str, target: str) -> tuple[int, str, str]:
        """(HTTP status, page title, page text) for a GET of `target` with that Host header."""
        refusal = check_redirect(self.callback_url, self.state, host, target)
        if refusal is None:
            return self._complete(target)
        status, text = refusal
        log.info("Schwab login callback refused a request (HTTP %d)", status)
        return status, "Not found" if status == 404 else "Schwab login not completed", text

    def _complete(self, target: str) -> tuple[int, str, str]:
        if not self._claim.acquire(blocking=False):  # one redirect only, even if two race
            return 409, "Schwab login already answered", "This login was already answered."
        try:
            record = finish_login(self.settings, _origin(self.callback_url) + target)
        except LoginError as exc:
            self._end(Outcome("failed", str(exc)))
            return 400, "Schwab login failed", str(exc)
        days = describe(record)["refresh_token_days_left"]
        self._end(Outcome("logged_in", f"logged in, good for {days:g} days", record))
        return 200, "Logged in to Schwab", "LiveData has the new login; you can close this tab."

    def _end(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self._answered.set()
        self._stop.set()

    def wait(self, timeout: float | None = None) -> Outcome | None:
        """The outcome once the listener has ended, None if it still runs after `timeout`."""
        return self.outcome if self._done.wait(timeout) else None

    def stop(self, timeout: float = 5.0) -> None:
        """End the listener (its port is free again when this returns)."""
        self._stop.set()
        self._done.wait(timeout)

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    def seconds_left(self) -> int:
        return max(0, int(self._deadline - time.monotonic())) if self.running else 0


def state_of(authorize_url: str) -> str:
    return parse_qs(urlsplit(authorize_url).query)["state"][0]


def _origin(url: str) -> str:
    """`https://127.0.0.1:8182/cb` -> `https://127.0.0.1:8182`, spelled as configured (the
    redirected URL must start with SCHWAB_CALLBACK_URL exactly)."""
    return url.split("://", 1)[0] + "://" + urlsplit(url).netloc


def listen_for_login(
    settings: Settings, timeout: float = LISTEN_TIMEOUT
) -> tuple[str, CallbackListener]:
    """A fresh authorize URL and a running listener for its state."""
    url = start_login(settings)
    return url, CallbackListener(settings, state_of(url), timeout).start()


class ListenerSlot:
    """At most one listener per process: a new login's listener replaces the last one, whose
    state a new authorize URL has made stale anyway."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: CallbackListener | None = None
        self.problem: str | None = None

    def listen(self, settings: Settings) -> str:
        """start_login plus a listener; the listener's trouble is kept in `problem`, not raised
        (pasting the address still works without it)."""
        with self._lock:
            if self.current is not None:
                self.current.stop()
            self.current, self.problem = None, None
            url = start_login(settings)
            try:
                self.current = CallbackListener(settings, state_of(url)).start()
            except LoginError as exc:
                self.problem = str(exc)
                log.warning("no Schwab login callback listener: %s", exc)
            return url

    def stop(self) -> None:
        with self._lock:
            if self.current is not None:
                self.current.stop()

    def view(self) -> dict[str, Any] | None:
        """What the admin card shows about the listener; never a token."""
        listener = self.current
        if listener is None:
            return {"status": "failed", "message": self.problem} if self.problem else None
        if listener.running:
            return {"status": "listening", "seconds_left": listener.seconds_left()}
        outcome = listener.outcome
        return None if outcome is None else {"status": outcome.status, "message": outcome.message}
