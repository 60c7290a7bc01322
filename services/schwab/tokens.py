"""The token file: one JSON file under LIVEDATA_DATA_DIR, mode 0600, replaced atomically.

Layout (schwab-py's, so tokens move between tools):
`{"creation_timestamp": <epoch s of the interactive login>, "token": {..., "expires_at": ...}}`.
`creation_timestamp` never changes on refresh: it is the start of the 7-day refresh clock.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from livedata.quotes import to_iso
from livedata.settings import Settings

TOKEN_FILE = "schwab-token.json"  # noqa: S105 - a file name
REFRESH_TOKEN_DAYS = 7.0
"""The refresh token dies this long after the interactive login; refreshing never extends it."""


def write_private(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to `path` as mode 0600 via a temp file and rename: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def mask(secret: str | None) -> str:
    """Enough of a token to tell two apart, never enough to use: `I0.b…(72 chars)`."""
    if not secret:
        return "none"
    return f"{secret[:4]}…({len(secret)} chars)"


class TokenStore:
    """Reads and writes the token record; a lock file serialises writers across processes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_settings(cls, settings: Settings) -> TokenStore:
        return cls(Path(settings.data_dir) / TOKEN_FILE)

    def load(self) -> dict[str, Any] | None:
        """The record, or None when there is none or it is unreadable."""
        try:
            record = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or not isinstance(record.get("token"), dict):
            return None
        return record

    def version(self) -> int:
        """Changes whenever the file is replaced (cheap: one stat)."""
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return 0

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the writers' lock (the CLI login and the provider's refresh never interleave)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def save_login(self, token: dict[str, Any], now: float | None = None) -> dict[str, Any]:
        """Store the token of a fresh interactive login: the refresh clock starts now."""
        record = {"creation_timestamp": round(now or time.time(), 3), "token": _with_expiry(token)}
        with self.locked():
            write_private(self.path, record)
        return record

    def save_refreshed(self, creation: float, token: dict[str, Any]) -> dict[str, Any] | None:
        """Store a refreshed token, unless a newer login replaced the file meanwhile (None)."""
        with self.locked():
            current = self.load()
            if current is not None and current.get("creation_timestamp") != creation:
                return None
            record = {"creation_timestamp": creation, "token": _with_expiry(token)}
            write_private(self.path, record)
        return record

    def mark_rejected(self, creation: float, reason: str) -> None:
        """Note in the file that Schwab refused its refresh token (shown by `status`)."""
        with self.locked():
            current = self.load()
            if current is not None and current.get("creation_timestamp") == creation:
                current["refresh_rejected"] = {"at": to_iso(time.time()), "reason": reason}
                write_private(self.path, current)

    def delete(self) -> bool:
        with self.locked():
            existed = self.path.exists()
            self.path.unlink(missing_ok=True)
        return existed


def _with_expiry(token: dict[str, Any]) -> dict[str, Any]:
    token = dict(token)
    if "expires_at" not in token and "expires_in" in token:
        token["expires_at"] = time.time() + float(token["expires_in"])
    return token


def describe(record: dict[str, Any] | None, now: float | None = None) -> dict[str, Any]:
    """What `status` and the health record say about a login; never a whole token."""
    now = time.time() if now is None else now
    if record is None:
        return {"logged_in": False}
    token, created = record["token"], float(record.get("creation_timestamp", 0))
    age_days = (now - created) / 86400
    expires_at = float(token.get("expires_at", 0))
    return {
        "logged_in": True,
        "login_at": to_iso(created),
        "refresh_token_age_days": round(age_days, 2),
        "refresh_token_days_left": round(max(0.0, REFRESH_TOKEN_DAYS - age_days), 2),
        "access_token_expires_at": to_iso(expires_at),
        "access_token_expires_in_s": int(expires_at - now),
        "access_token": mask(token.get("access_token")),
        "refresh_rejected": record.get("refresh_rejected"),
    }
