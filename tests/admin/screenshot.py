"""Take docs/admin.png: the dashboard under gunicorn with the simulator running.

    .venv/bin/python -m tests.admin.screenshot [docs/admin.png [POINTS]]

Starts its own redis-server, `livedata sim` and `livedata admin` on free ports, waits until the
sparklines have a minute of history, and screenshots the page in Debian's headless chromium.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from livedata.embedded_redis import RedisProcess, free_port
from tests.admin.conftest import CHROMIUM, CHROMIUM_ARGS

LIVEDATA = str(Path(sys.executable).parent / "livedata")
HISTORY_POINTS = 60
"""Sparkline points to wait for (one a second) before the shot; the second argument."""


def main(target: Path, points: int = HISTORY_POINTS) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisProcess(Path(tmp) / "redis").start()
        port = free_port()
        env = {**os.environ, "REDIS_URL": redis.url, "ADMIN_BIND": f"127.0.0.1:{port}",
               "LIVEDATA_DATA_DIR": tmp, "PYTHONUNBUFFERED": "1"}  # fmt: skip
        processes = [subprocess.Popen([LIVEDATA, name], env=env) for name in ("sim", "admin")]  # noqa: S603
        try:
            shoot(f"http://127.0.0.1:{port}/", target, points)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
                process.wait(10)
            redis.kill()


def shoot(url: str, target: Path, points: int) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1050})
        _load(page, url)
        expect(page.locator(".banner")).to_be_visible(timeout=10_000)
        page.wait_for_function(
            "n => [...document.querySelectorAll('svg.spark polyline')]"
            ".some(p => p.getAttribute('points').split(' ').length >= n)",
            arg=points,
            timeout=(points + 30) * 1000,
        )
        page.screenshot(path=str(target), full_page=True)
        browser.close()


def _load(page, url: str) -> None:
    """gunicorn takes a moment to bind: retry the first load for a while."""
    deadline = time.monotonic() + 20
    while True:
        try:
            page.goto(url, timeout=2000)
            return
        except PlaywrightError:
            if time.monotonic() > deadline:
                raise
            page.wait_for_timeout(200)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        Path(args[0] if args else "docs/admin.png"),
        int(args[1]) if len(args) > 1 else HISTORY_POINTS,
    )
