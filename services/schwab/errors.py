"""Errors of the Schwab provider; each message says what happened and what to do."""

from __future__ import annotations

from livedata.exceptions import LiveDataError


class SchwabError(LiveDataError):
    """Base class of the Schwab provider's errors."""


class AuthRequired(SchwabError):
    """No usable login: a person must run `livedata schwab login` (or the admin page's)."""


class LoginError(SchwabError):
    """The interactive login could not be finished (bad URL, state mismatch, stale code)."""


class TransientError(SchwabError):
    """Schwab answered 429, 5xx, an HTML page or not at all; worth a later retry."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RestError(SchwabError):
    """A REST call was refused (4xx other than a recoverable 401)."""
