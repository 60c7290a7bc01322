"""OAuth with requests-oauthlib: the session factory, the refresh grant, and `TokenManager`,
which hands out a valid access token and knows when a person must log in again."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests
from oauthlib.oauth2 import OAuth2Error
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from livedata.settings import Settings
from services.schwab.errors import AuthRequired, TransientError
from services.schwab.tokens import TokenStore

# requests-oauthlib logs request bodies and token responses at DEBUG; never let them through.
for _name in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_name).setLevel(logging.WARNING)

log = logging.getLogger("livedata.schwab.oauth")

AUTHORIZE_PATH = "/v1/oauth/authorize"
TOKEN_PATH = "/v1/oauth/token"  # noqa: S105 - a URL path
HTTP_TIMEOUT = 10.0
REFRESH_LEEWAY = 300.0
"""Refresh this long before the access token's end (scaled down for short test lifetimes)."""
FORCED_REFRESH_GAP = 30.0
"""At most one 401-triggered refresh per this many seconds: a 401 a new token does not fix
(API product missing on the app) must not turn into a token-endpoint storm."""
RETRY_CAP = 120.0
MIN_REFRESH_GAP = 1.0
"""Even a token that comes back already expired is not refreshed again at once."""


def credentials(settings: Settings) -> HTTPBasicAuth:
    """Basic auth with the app key and secret, or AuthRequired naming what is missing."""
    if not settings.schwab_app_key or not settings.schwab_app_secret:
        raise AuthRequired("SCHWAB_APP_KEY and SCHWAB_APP_SECRET must be set")
    return HTTPBasicAuth(settings.schwab_app_key, settings.schwab_app_secret)


def oauth_session(settings: Settings, state: str | None = None) -> OAuth2Session:
    """A session for the authorize URL and the token endpoint, transient answers checked."""
    credentials(settings)
    session = OAuth2Session(
        settings.schwab_app_key, redirect_uri=settings.schwab_callback_url, state=state
    )
    for hook in ("access_token_response", "refresh_token_response"):
        session.register_compliance_hook(hook, check_token_response)
    return session


def check_token_response(response: requests.Response) -> requests.Response:
    """Raise TransientError for 429, 5xx and the HTML "Access Denied" page, before parsing."""
    kind = response.headers.get("Content-Type", "")
    if response.status_code == 429 or response.status_code >= 500 or "json" not in kind:
        page = " (an HTML page such as Access Denied)" if "html" in kind else ""
        raise TransientError(
            f"token endpoint answered HTTP {response.status_code}{page}",
            retry_after=retry_after(response),
        )
    return response


def retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After", "")
    return float(raw) if raw.replace(".", "", 1).isdigit() else None


def refresh_grant(settings: Settings, refresh_token: str) -> dict[str, Any]:
    """One refresh_token grant; OAuth2Error means refused, TransientError means try later."""
    try:
        with oauth_session(settings) as session:
            token = session.refresh_token(
                settings.schwab_api_base + TOKEN_PATH,
                refresh_token=refresh_token,
                auth=credentials(settings),
                timeout=HTTP_TIMEOUT,
            )
    except requests.RequestException as exc:
        raise TransientError(f"token endpoint unreachable ({type(exc).__name__})") from None
    return dict(token)


class TokenManager:
    """A valid access token on demand: refreshed ahead of its end and once on a 401; a new
    token file (a login) is picked up on the next call; a refused refresh token stops all
    refreshing until a new login appears."""

    def __init__(self, settings: Settings, store: TokenStore | None = None) -> None:
        self.settings = settings
        self.store = store or TokenStore.for_settings(settings)
        self.record: dict[str, Any] | None = None
        self.rejected: str | None = None
        self.last_error: str | None = None
        self._version = -1
        self._rejected_creation: float | None = None
        self._retry_at = self._forced_at = 0.0
        self._failures = 0
        self._dead: str | None = None
        self._lock = threading.Lock()

    def access_token(self) -> str:
        """The current access token, refreshed first when due; AuthRequired when none."""
        with self._lock:
            record = self._current()
            if (
                _expires_in(record) <= _leeway(record)
                or record["token"]["access_token"] == self._dead
            ):
                self._refresh(record)
            return self._usable()

    def on_unauthorized(self, used: str) -> bool:
        """A call with `used` got 401: refresh (once); True when a different token is ready."""
        with self._lock:
            record = self._current()
            if record["token"]["access_token"] != used:
                return True
            if time.monotonic() - self._forced_at < FORCED_REFRESH_GAP:
                return False
            self._forced_at = time.monotonic()
            self._refresh(record, forced=True)
            if self._current()["token"]["access_token"] == used:
                self._dead = used  # Schwab said so, whatever its expiry time claims
                return False
            return True

    def status(self) -> tuple[str, str]:
        """(health status, detail) as far as the login goes."""
        with self._lock:
            try:
                self._current()
            except AuthRequired as exc:
                return "auth_required", f"{exc}; run `livedata schwab login`"
            if self.rejected:
                return "auth_required", f"{self.rejected}; run `livedata schwab login`"
            if self.last_error:
                return "degraded", f"token refresh failing: {self.last_error}"
            return "ok", ""

    def _current(self) -> dict[str, Any]:
        version = self.store.version()
        if version != self._version:
            self._version, self.record = version, self.store.load()
            self._adopt(self.record)
        if self.record is None:
            raise AuthRequired("not logged in to Schwab")
        return self.record

    def _adopt(self, record: dict[str, Any] | None) -> None:
        creation = record and record.get("creation_timestamp")
        if record and record.get("refresh_rejected"):
            self._rejected_creation = creation
            reason = record["refresh_rejected"].get("reason", "")
            self.rejected = f"Schwab refused the refresh token ({reason})"
        elif creation != self._rejected_creation:  # a new login: start afresh
            if self.rejected:
                log.info("new Schwab login found; resuming")
            self.rejected, self._rejected_creation = None, None
            self._failures, self._retry_at, self.last_error = 0, 0.0, None

    def _refresh(self, record: dict[str, Any], forced: bool = False) -> None:
        if self.rejected or (time.monotonic() < self._retry_at and not forced):
            return
        creation = record["creation_timestamp"]
        try:
            token = refresh_grant(self.settings, record["token"]["refresh_token"])
        except TransientError as exc:
            self._failures += 1
            delay = exc.retry_after or min(RETRY_CAP, 2.0**self._failures)
            self._retry_at, self.last_error = time.monotonic() + delay, str(exc)
            log.warning("access token refresh failed (%s); next try in %.0f s", exc, delay)
            return
        except OAuth2Error as exc:
            self.rejected = f"Schwab refused the refresh token ({exc.error})"
            self._rejected_creation = creation
            log.error("%s; a new login is needed", self.rejected)
            self.store.mark_rejected(creation, exc.error)
            return
        saved = self.store.save_refreshed(creation, token)
        self._version = -1 if saved is None else self.store.version()
        self.record = saved or self.record
        self._failures, self.last_error = 0, None
        self._retry_at = time.monotonic() + MIN_REFRESH_GAP
        log.info("access token refreshed; valid for %d s", int(_expires_in(self.record)))

    def _usable(self) -> str:
        record = self._current()
        token = record["token"]["access_token"]
        if _expires_in(record) > _leeway(record) / 4 and token != self._dead:
            return token
        if self.rejected:
            raise AuthRequired(self.rejected)
        raise TransientError(self.last_error or "access token expired; refresh pending")


def _expires_in(record: dict[str, Any]) -> float:
    return float(record["token"].get("expires_at", 0)) - time.time()


def _leeway(record: dict[str, Any]) -> float:
    return min(REFRESH_LEEWAY, 0.2 * float(record["token"].get("expires_in", 1800)))
