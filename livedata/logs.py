"""One logging setup for every process: stdout, one line per event, secrets redacted."""

from __future__ import annotations

import logging
import re
import sys

# Each pattern keeps group 1 (the name) and group 2 (what follows) and hides what is between.
SECRET_PATTERNS = (
    re.compile(r"(?i)((?:access|refresh|id)_token[\"']?\s*[:=]\s*[\"']?)[^\s\"',&]+()"),
    re.compile(
        r"(?i)((?:client_secret|app_secret|password|code)[\"']?\s*[:=]\s*[\"']?)[^\s\"',&]+()"
    ),
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic)\s+)[^\s\"',]+()"),
    re.compile(r"(?i)(rediss?://[^:@/\s]*:)[^@\s]+(@)"),
)


def redact(text: str) -> str:
    """Replace token, secret, code and password values in `text` with `***`."""
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(r"\1***\2", text)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts, so no handler can leak a secret."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


CHATTY_LIBRARIES = ("requests_oauthlib", "oauthlib", "websockets", "urllib3")
"""At DEBUG these log request bodies, token responses and streamer frames (with the LOGIN
token); the redactor cannot recognise every shape, so they never log below WARNING."""


def setup_logging(level: str = "INFO") -> None:
    """Log to stdout, unbuffered, one line per event (supervisord and compose collect it)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
