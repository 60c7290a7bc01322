"""A frozen Redis never stalls the streamer: it keeps reading, and publishes once Redis
answers again; stopping stays prompt."""

from __future__ import annotations

import json

from livedata import channels
from livedata.connections import redis_client
from tests.conftest import wait_for
from tests.schwab.conftest import RunningProvider


def test_the_reader_keeps_draining_while_redis_is_frozen(
    schwab_settings, login, fake, own_redis
):
    settings = schwab_settings.with_overrides(redis_url=own_redis.url)
    login()
    running = RunningProvider(settings).start()
    try:
        wait_for(lambda: running.provider.streamer.state == "streaming", timeout=10)
        own_redis.freeze()
        fake.push_numbered("/ES", 200, rate=1000)  # the book sees them: the reader is not stuck
        book = running.provider.streamer.book
        # Within less than one Redis socket timeout (2 s): a publish blocking the reader fails it.
        wait_for(lambda: book.quote("/ES")["volume"] == 200, timeout=1.5)
        own_redis.thaw()
        client = redis_client(settings)
        try:
            stored = lambda: json.loads(client.hget(channels.LATEST_QUOTES, "ES") or "{}")  # noqa: E731
            wait_for(lambda: stored().get("volume") == 200, timeout=10)
        finally:
            client.close()
    finally:
        own_redis.thaw()
        running.stop()  # asserts it ends within 10 s
