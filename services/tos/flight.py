"""Single-flight: concurrent identical reads share one parse instead of each opening the file."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from services.tos.errors import Busy


class _Call:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.followers = 0


class SingleFlight:
    """`run(key, fn)`: the first caller runs `fn`; callers arriving meanwhile get its result."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self._lock = threading.Lock()
        self._calls: dict[Hashable, _Call] = {}

    def run(self, key: Hashable, fn: Callable[[], Any]) -> Any:
        """`fn()`'s result, shared; Busy when the running call takes longer than `wait`."""
        with self._lock:
            running = self._calls.get(key)
            if running is not None:
                running.followers += 1
            else:
                call = self._calls[key] = _Call()
        if running is not None:
            return self._follow(running)
        try:
            call.value = fn()
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                del self._calls[key]
            call.done.set()
        return call.value

    def _follow(self, call: _Call) -> Any:
        if not call.done.wait(self.wait):
            raise Busy("the workbook is being read for another request; retry shortly")
        if call.error is not None:
            raise call.error
        return call.value

    def waiting(self, key: Hashable) -> int:
        """Callers waiting on the running call for `key` (0 when none runs)."""
        with self._lock:
            call = self._calls.get(key)
            return call.followers if call else 0

    def running(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._calls
