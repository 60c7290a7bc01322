"""The REST client: Bearer auth from TokenManager, one retry after a 401 (with a refreshed
token), 429 honoured through a shared request budget, errors sorted into transient or not."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

import requests

from livedata.settings import Settings
from services.schwab.errors import RestError, TransientError
from services.schwab.oauth import HTTP_TIMEOUT, TokenManager, retry_after

REST_PER_MINUTE = 60
"""Our whole REST budget: half of Schwab's ~120/min per app, leaving room for other tools."""
DEFAULT_RETRY_AFTER = 10.0


class RateLimiter:
    """At most `per_minute` requests in any 60 s window, and none while a 429 cools down."""

    def __init__(self, per_minute: int = REST_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self.sent: deque[float] = deque()
        self.blocked_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Count one request, or raise TransientError saying how long to wait."""
        with self._lock:
            now = time.monotonic()
            while self.sent and now - self.sent[0] >= 60.0:
                self.sent.popleft()
            if now < self.blocked_until:
                raise TransientError("Schwab said 429; waiting", self.blocked_until - now)
            if len(self.sent) >= self.per_minute:
                raise TransientError("REST budget used up", 60.0 - (now - self.sent[0]))
            self.sent.append(now)

    def block(self, seconds: float) -> None:
        with self._lock:
            self.blocked_until = max(self.blocked_until, time.monotonic() + seconds)


class SchwabRest:
    """GETs against SCHWAB_API_BASE; safe to call from several threads."""

    def __init__(
        self, settings: Settings, tokens: TokenManager, limiter: RateLimiter | None = None
    ) -> None:
        self.base = settings.schwab_api_base
        self.tokens = tokens
        self.limiter = limiter or RateLimiter()
        self.session = requests.Session()

    def get(self, path: str, **params: Any) -> Any:
        """The JSON of GET `path`; AuthRequired, TransientError or RestError otherwise."""
        self.limiter.acquire()
        token = self.tokens.access_token()
        response = self._send(path, params, token)
        if response.status_code == 401 and self.tokens.on_unauthorized(token):
            self.limiter.acquire()
            response = self._send(path, params, self.tokens.access_token())
        return self._json(path, response)

    def close(self) -> None:
        self.session.close()

    def _send(self, path: str, params: dict[str, Any], token: str) -> requests.Response:
        try:
            return self.session.get(
                self.base + path,
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=HTTP_TIMEOUT,
            )
        except requests.RequestException as exc:
            raise TransientError(f"GET {path}: {type(exc).__name__}") from None

    def _json(self, path: str, response: requests.Response) -> Any:
        status, kind = response.status_code, response.headers.get("Content-Type", "")
        if status == 429:
            wait = retry_after(response) or DEFAULT_RETRY_AFTER
            self.limiter.block(wait)
            raise TransientError(f"GET {path}: HTTP 429, retry after {wait:.0f} s", wait)
        if status >= 500 or "json" not in kind:
            raise TransientError(f"GET {path}: HTTP {status} ({kind or 'no content type'})")
        if status >= 400:
            raise RestError(f"GET {path}: HTTP {status} {_title(response)}")
        return response.json()


def _title(response: requests.Response) -> str:
    try:
        errors = response.json().get("errors") or [{}]
        return f"{errors[0].get('title', '')}: {errors[0].get('detail', '')}".strip(": ")
    except (ValueError, AttributeError):
        return ""
