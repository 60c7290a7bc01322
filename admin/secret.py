"""The Flask secret key that signs the admin's session cookie."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger("livedata.admin")

KEY_FILE = "admin-secret-key"
"""File name under LIVEDATA_DATA_DIR (mode 0600)."""


def secret_key(data_dir: Path) -> bytes:
    """A random key kept in LIVEDATA_DATA_DIR (0600), shared by workers and restarts.

    Random rather than derived from ADMIN_TOKEN: a key derived from the token would let anyone
    holding one session cookie guess the token offline. Token rotation still ends sessions,
    because a session stores a fingerprint of the token it logged in with (see auth).
    """
    path = Path(data_dir) / KEY_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            tmp = path.with_name(f".{path.name}.{os.getpid()}")
            tmp.unlink(missing_ok=True)  # left by a crashed process with the same pid
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
            try:
                os.link(tmp, path)  # atomic and exclusive: a racing worker keeps the first key
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        key = path.read_bytes()
        if len(key) >= 32:
            return key
        log.warning("%s is too short; using a per-process key", path)
    except OSError as exc:
        log.warning("cannot keep the session key in %s (%s); using a per-process key", path, exc)
    return secrets.token_bytes(32)
