"""JSON errors: every 4xx says what to fix; Redis away is a fast 503, never a hang."""

from __future__ import annotations

import redis
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from livedata.connections import REDIS_ERRORS


class BadRequest(Exception):
    """Input the caller must fix; becomes `{"error": message}` with `status`."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def register(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest):
        return jsonify(error=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return jsonify(error=exc.description or exc.name), exc.code or 500

    for error in REDIS_ERRORS:
        app.register_error_handler(error, redis_unavailable)
    app.register_error_handler(redis.exceptions.NoPermissionError, redis_refused)


def redis_unavailable(exc: Exception):
    body = jsonify(error="Redis is unavailable; retry shortly", reason=type(exc).__name__)
    return body, 503, {"Retry-After": "1"}


def redis_refused(exc: Exception):
    """A command the API's Redis user may not run (a read-only ACL user asked to publish)."""
    body = jsonify(
        error="Redis refused the command: the API's Redis user may not run it (ACL); "
        "give it write access to live_data:* or use this endpoint with another user",
        reason="NoPermissionError",
    )
    return body, 503
