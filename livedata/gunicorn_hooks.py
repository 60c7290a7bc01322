"""What both gunicorn configs (API and admin) share."""

from __future__ import annotations

import signal
import threading
from typing import Any


def end_streams_on_sigterm(worker: Any, shutdown: threading.Event) -> None:
    """Make SIGTERM set `shutdown` before gunicorn's own handler runs.

    Open SSE streams wait on that event, so they end at once and the graceful stop is not
    spent waiting for streams that never finish by themselves. Call from post_worker_init.
    """

    def handle_exit(signum: int, frame: Any) -> None:
        shutdown.set()
        worker.handle_exit(signum, frame)

    signal.signal(signal.SIGTERM, handle_exit)
