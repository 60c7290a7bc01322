"""The stream bench's load, each in its own process: a steady publisher and many SSE readers.

    python -m bench.stream_load publish REDIS_URL RATE SECONDS OUT.json
    python -m bench.stream_load read PORT OUT.json PATH...    (stops at "stop" on stdin)

Both print one line when they start; their results go to OUT.json.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import socket
import sys
import time
from datetime import UTC, datetime

from livedata.bus import Bus
from livedata.connections import redis_client
from livedata.settings import Settings
from services.sim.model import Simulator

BATCH_EVERY = 0.01
"""Seconds between publish batches: 1,000 quotes/s go out as 100 batches of 10."""

QUOTE_EVENT = re.compile(rb'event: quote\ndata: [^\n]*"stream_id":"(\d+-\d+)"')


def publish(redis_url: str, rate: float, seconds: float, out: str) -> None:
    """Publish `rate` quotes/s for `seconds`; record when each stream id was published."""
    settings = Settings.from_env({"REDIS_URL": redis_url})
    bus, sim = Bus(redis_client(settings), settings), Simulator(settings.sim_symbols, seed=2)
    per_batch, sent = round(rate * BATCH_EVERY), []
    print("publishing", flush=True)
    started = time.time()
    for tick in range(round(seconds / BATCH_EVERY)):
        time.sleep(max(0.0, started + tick * BATCH_EVERY - time.time()))  # a steady schedule
        batch = [sim.next_quote(datetime.now(UTC)) for _ in range(per_batch)]
        at = time.time()  # publish time: just before the batch's one EVALSHA call
        sent += [(r.stream_id, r.symbol, at) for r in bus.publish_quotes(batch)]
    with open(out, "w") as file:
        json.dump({"started": started, "sent": sent}, file)


class Reader:
    """One SSE client on a raw socket; notes the receive time of every quote event."""

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        # HTTP/1.0: the body is the raw event stream, no chunked framing to undo.
        self.sock.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        self.sock.setblocking(False)
        self.status, self.opened, self.closed = "", False, False
        self.tail, self.received, self.resyncs = b"", [], 0

    def on_readable(self, now: float) -> None:
        """Take what arrived; note the quote events that it completed."""
        data = self.sock.recv(1 << 18)
        if not data:
            self.closed = True
            return
        buffer = self.tail + data
        cut = buffer.rfind(b"\n\n") + 1  # only whole events; the rest waits for the next read
        events, self.tail = buffer[:cut], buffer[cut:]
        if not self.status and b"\r\n" in buffer:
            self.status = buffer.split(b" ", 2)[1].decode()
        self.opened = self.opened or cut > 0  # headers end in \r\n\r\n, events in \n\n
        self.resyncs += events.count(b"event: resync")
        self.received += [(sid.decode(), now) for sid in QUOTE_EVENT.findall(events)]


def read(port: int, out: str, paths: list[str]) -> None:
    """Open every stream, say "ready" once all are open, read until "stop" on stdin."""
    selector = selectors.DefaultSelector()
    readers = [Reader(port, path) for path in paths]
    for reader in readers:
        selector.register(reader.sock, selectors.EVENT_READ, reader)
    selector.register(sys.stdin, selectors.EVENT_READ, None)
    announced, cpu, started, deadline = False, os.times(), time.time(), time.monotonic() + 20
    while True:
        if not announced and (all(r.opened for r in readers) or time.monotonic() > deadline):
            print("ready", sum(r.opened for r in readers), flush=True)
            announced, cpu, started = True, os.times(), time.time()
        for key, _ in selector.select(timeout=1.0):
            if key.data is None:
                return _write_reads(out, readers, cpu, started)
            key.data.on_readable(time.time())
            if key.data.closed:
                selector.unregister(key.fileobj)


def _write_reads(out: str, readers: list[Reader], cpu: os.times_result, started: float) -> None:
    """This process's CPU share since "ready", and what every client received."""
    now = os.times()
    used = (now.user - cpu.user) + (now.system - cpu.system)
    result = {
        "cpu_share": used / (time.time() - started),
        "clients": [
            {"status": r.status, "closed": r.closed, "resyncs": r.resyncs, "got": r.received}
            for r in readers
        ],
    }
    with open(out, "w") as file:
        json.dump(result, file)


if __name__ == "__main__":
    role, args = sys.argv[1], sys.argv[2:]
    if role == "publish":
        publish(args[0], float(args[1]), float(args[2]), args[3])
    else:
        read(int(args[0]), args[1], args[2:])
