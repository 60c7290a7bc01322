"""A fake Schwab Trader API on localhost: OAuth, REST and the streamer, for tests and by hand.

    python -m tests.fakes.schwab_server --port 8765   # then SCHWAB_API_BASE=http://127.0.0.1:8765

It speaks plain http/ws, so a client needs OAUTHLIB_INSECURE_TRANSPORT=1 for it (and for
nothing else).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import threading
from typing import Any

from websockets.asyncio.server import serve
from werkzeug.serving import WSGIRequestHandler, make_server

from . import schwab_market as market
from .schwab_http import create_fake_app
from .schwab_state import FakeConfig, FakeState
from .schwab_stream import QUIET, StreamHandler

TIMEOUT = 5.0


class _QuietHandler(WSGIRequestHandler):
    def log(self, *args: Any) -> None:  # request lines would carry codes and client ids
        pass


class FakeSchwab:
    """Starts the HTTP and WebSocket sides on free ports; tests steer it through its methods."""

    def __init__(self, config: FakeConfig | None = None, port: int = 0) -> None:
        self.state = FakeState(config or FakeConfig())
        self.stream = StreamHandler(self.state)
        self.http = make_server(
            "127.0.0.1",
            port,
            create_fake_app(self.state, lambda: self.stream_url),
            threaded=True,
            request_handler=_QuietHandler,
        )
        self.ws_port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.http.server_port}"

    @property
    def stream_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}/ws"

    def start(self) -> FakeSchwab:
        self._threads = [
            threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.05}),
            threading.Thread(target=self._loop.run_until_complete, args=(self._serve_ws(),)),
        ]
        for thread in self._threads:
            thread.daemon = True
            thread.start()
        if not self._ready.wait(TIMEOUT):
            raise RuntimeError("fake Schwab streamer did not start")
        return self

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self._loop.call_soon_threadsafe(self._stopping.set)
        for thread in self._threads:
            thread.join(TIMEOUT)
        self._loop.close()

    async def _serve_ws(self) -> None:
        self._stopping = asyncio.Event()
        async with serve(self.stream.handle, "127.0.0.1", 0, logger=QUIET) as server:
            self.ws_port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stopping.wait()

    def _run(self, coro: Any, timeout: float = TIMEOUT) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # --- what tests do to the market and the streams ---

    def push_quote(self, key: str, fields: dict[str, Any]) -> None:
        """Change some fields of `key` (quote time stamped now) and send the delta."""
        delta = market.stamped(key, {str(k): v for k, v in fields.items()})
        with self.state.lock:
            self.state.market.setdefault(key, {}).update(delta)
        self._run(self.stream.send_data(market.service_of(key), {key: delta}))

    def push_numbered(self, key: str, count: int, rate: float | None = None) -> list[float]:
        """Send `count` frames for `key` at `rate`/s, volume = 1..count; their send times."""
        timeout = TIMEOUT + (count / rate if rate else count / 1000)
        return self._run(self.stream.send_numbered(key, count, rate), timeout)

    def push_activity(self, kind: str, data: dict[str, Any], number: str = "") -> None:
        """An ACCT_ACTIVITY event; field 3 travels as a JSON string, as Schwab sends it."""
        number = number or market.ACCOUNT_NUMBER
        self._run(self.stream.send_activity(number, kind, json.dumps(data)))

    def drop_streams(self) -> None:
        """Cut every streamer connection without a close frame (a network drop)."""
        self._run(self._abort_all())

    async def _abort_all(self) -> None:
        for conn in list(self.stream.conns):
            conn.ws.transport.abort()

    def silence_streams(self) -> None:
        """Keep connections open but send nothing more on them (no data, no heartbeats)."""
        for conn in list(self.stream.conns):
            conn.silent = True

    def subscribed(self, service: str) -> set[str]:
        """Keys subscribed on the logged-in connection(s) for `service`."""
        conns = [c for c in list(self.stream.conns) if c.logged_in]
        return set().union(*(c.keys.get(service, set()) for c in conns))

    def add_order(self, order_id: int, status: str = "WORKING") -> None:
        number = market.ACCOUNT_NUMBER
        self.state.orders.setdefault(number, []).append(market.order(number, order_id, status))

    def add_transaction(self, activity_id: int) -> None:
        number = market.ACCOUNT_NUMBER
        self.state.transactions.setdefault(number, []).append(
            market.transaction(number, activity_id)
        )


def main() -> None:
    """Run the fake until Ctrl-C, printing what to point LiveData at."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--access-lifetime", type=float, default=1800.0)
    parser.add_argument("--heartbeat", type=float, default=10.0)
    parser.add_argument("--tick", type=float, default=0.5, help="seconds between price moves")
    args = parser.parse_args()
    config = FakeConfig(access_lifetime=args.access_lifetime, heartbeat_interval=args.heartbeat)
    fake = FakeSchwab(config, port=args.port).start()
    print(
        f"SCHWAB_API_BASE={fake.api_base} SCHWAB_APP_KEY={config.app_key} "
        f"SCHWAB_APP_SECRET={config.app_secret} OAUTHLIB_INSECURE_TRANSPORT=1",
        flush=True,
    )
    try:
        while True:
            threading.Event().wait(args.tick)
            tick(fake)
    except KeyboardInterrupt:
        fake.stop()


def tick(fake: FakeSchwab) -> None:
    """Move one symbol's price a tick, as a quiet market would (by-hand runs only)."""
    key = random.choice(list(fake.state.market))  # noqa: S311
    last = fake.state.market[key].get("3") or 100.0
    price = round(last + random.choice((-0.25, 0.25)), 2)  # noqa: S311
    fake.push_quote(key, {1: price - 0.25, 2: price, 3: price})


if __name__ == "__main__":
    main()
