"""The fake Schwab's bookkeeping: app credentials, codes, tokens, accounts, injected failures."""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .schwab_market import ACCOUNTS, MARKET, stamped


@dataclass
class FakeConfig:
    """What a test may tune: credentials, lifetimes, heartbeat interval."""

    app_key: str = "K" * 32
    app_secret: str = "S3cr3t" + "s" * 10
    callback_url: str = "https://127.0.0.1:8182"
    code_lifetime: float = 30.0
    access_lifetime: float = 1800.0
    refresh_lifetime: float = 7 * 86400.0
    heartbeat_interval: float = 10.0
    customer_id: str = "C" * 64
    refuse_bearer: bool = False  # every REST call 401s (an app without the API product)


@dataclass
class Failure:
    """A canned failure for the next `times` requests whose path starts with `prefix`."""

    prefix: str
    kind: str  # "429", "500" or "denied" (the HTML Access Denied page)
    times: int = 1
    retry_after: int = 1


@dataclass
class FakeState:
    """Everything the fake knows; every method is safe to call from any thread."""

    config: FakeConfig = field(default_factory=FakeConfig)
    lock: threading.Lock = field(default_factory=threading.Lock)
    codes: dict[str, float] = field(default_factory=dict)
    access: dict[str, float] = field(default_factory=dict)
    refresh: dict[str, float] = field(default_factory=dict)
    token_requests: list[tuple[float, str, int]] = field(default_factory=list)
    requests: list[tuple[float, str, int]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    market: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {k: stamped(k, v) for k, v in copy.deepcopy(MARKET).items()}
    )
    orders: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    transactions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def issue_code(self) -> str:
        """A single-use authorization code that ends in '@', alive for `code_lifetime`."""
        code = "C0." + secrets.token_urlsafe(24) + "@"
        with self.lock:
            self.codes[code] = time.time() + self.config.code_lifetime
            self.issued.append(code)
        return code

    def use_code(self, code: str) -> bool:
        with self.lock:
            expires = self.codes.pop(code, 0.0)
        return expires > time.time()

    def mint(self, *, new_login: bool) -> dict[str, Any]:
        """A token response; a new login kills every earlier refresh token (as Schwab does)."""
        access = "I0." + secrets.token_urlsafe(32) + "@"
        with self.lock:
            self.access[access] = time.time() + self.config.access_lifetime
            if new_login:
                self.refresh.clear()
                refresh = secrets.token_urlsafe(40) + "@"
                self.refresh[refresh] = time.time() + self.config.refresh_lifetime
            else:
                refresh = next(iter(self.refresh))
            self.issued += [access, refresh]
        return {
            "expires_in": int(self.config.access_lifetime),
            "token_type": "Bearer",
            "scope": "api",
            "refresh_token": refresh,
            "access_token": access,
            "id_token": "eyJ." + secrets.token_urlsafe(16),
        }

    def refresh_alive(self, token: str) -> bool:
        with self.lock:
            return self.refresh.get(token, 0.0) > time.time()

    def access_ok(self, token: str) -> bool:
        with self.lock:
            return self.access.get(token, 0.0) > time.time()

    def kill_refresh_tokens(self) -> None:
        """What a 7-day-old (or re-created elsewhere) refresh token looks like."""
        with self.lock:
            self.refresh = {token: 0.0 for token in self.refresh}

    def revoke_access_tokens(self) -> None:
        """Every access token answers 401 from now on (before its own expiry)."""
        with self.lock:
            self.access = {token: 0.0 for token in self.access}

    def fail_next(self, prefix: str, kind: str, times: int = 1, retry_after: int = 1) -> None:
        with self.lock:
            self.failures.append(Failure(prefix, kind, times, retry_after))

    def take_failure(self, path: str) -> Failure | None:
        with self.lock:
            for failure in self.failures:
                if path.startswith(failure.prefix) and failure.times > 0:
                    failure.times -= 1
                    return failure
        return None

    def note(self, path: str, status: int, grant: str | None = None) -> None:
        with self.lock:
            self.requests.append((time.time(), path, status))
            if grant:
                self.token_requests.append((time.time(), grant, status))

    def count_token_requests(self, since: float = 0.0, grant: str | None = None) -> int:
        with self.lock:
            return sum(1 for t, g, _ in self.token_requests if t >= since and grant in (None, g))

    def count_requests(self, prefix: str, since: float = 0.0) -> int:
        with self.lock:
            return sum(1 for t, p, _ in self.requests if t >= since and p.startswith(prefix))


def account_hash(number: str) -> str:
    """The opaque hash Schwab shows instead of an account number."""
    return hashlib.sha256(f"fake-schwab:{number}".encode()).hexdigest().upper()


def account_numbers() -> list[dict[str, str]]:
    return [{"accountNumber": n, "hashValue": account_hash(n)} for n in ACCOUNTS]
