"""Redis clients with explicit timeouts and a capped, jittered retry.

No LiveData call may block for tens of seconds when Redis hangs: connects give up after
`redis_connect_timeout`, replies after `redis_socket_timeout`, and a failed command is
retried at most `redis_retries` times with jittered backoff capped at one second.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

from livedata.settings import Settings

REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError)
"""What a Redis outage looks like to the caller (refused, reset, frozen)."""


def redis_client(settings: Settings, *, retries: int | None = None) -> redis.Redis:
    """A client for `settings.redis_url` that decodes replies to str."""
    attempts = settings.redis_retries if retries is None else retries
    retry = Retry(ExponentialWithJitterBackoff(cap=1.0, base=0.05), attempts)
    return redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=settings.redis_connect_timeout,
        socket_timeout=settings.redis_socket_timeout,
        retry=retry,
        health_check_interval=15,
        decode_responses=True,
    )


def bytes_client(client: redis.Redis) -> redis.Redis:
    """A client like `client` (same server, timeouts, retry) whose replies stay bytes.

    For hot paths that pass stored JSON through untouched: decoding 11 quotes to str and
    encoding them back costs more than the Redis round trip.
    """
    kwargs = {**client.connection_pool.connection_kwargs, "decode_responses": False}
    pool = redis.ConnectionPool(connection_class=client.connection_pool.connection_class, **kwargs)
    return redis.Redis(connection_pool=pool)


def redacted_url(url: str) -> str:
    """The URL with any password replaced by `***`, fit for logs and pages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
