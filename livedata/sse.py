"""Server-Sent Events framing (https://html.spec.whatwg.org/#server-sent-events)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

STREAM_ID = re.compile(r"[0-9]{1,19}-[0-9]{1,19}")
"""A Redis stream entry id, which is also every quote event's SSE `id:`. ASCII digits (`\\d`
also takes other scripts' digits) and at most 19 of them, so each half stays below the 64-bit
limit Redis enforces and `(id` is always a valid exclusive start."""


def event(name: str, data: bytes | str, event_id: str | None = None) -> bytes:
    """One event; `data` must be a single line (compact JSON is)."""
    payload = data.encode() if isinstance(data, str) else data
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {name}\n".encode() + b"data: " + payload + b"\n\n"


def comment(text: str) -> bytes:
    """A comment line: ignored by clients, keeps proxies and idle connections alive."""
    return f": {text}\n\n".encode()


def retry(milliseconds: int) -> bytes:
    """Tell the client how long to wait before reconnecting."""
    return f"retry: {milliseconds}\n\n".encode()


def stream_id_key(stream_id: str) -> tuple[int, int]:
    """Sortable form of a stream id: `"1700000000000-3"` -> `(1700000000000, 3)`."""
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


class Event:
    """A parsed event: `name` (default "message"), `data` (lines joined) and `id`."""

    __slots__ = ("name", "data", "id")

    def __init__(self, name: str, data: str, event_id: str | None) -> None:
        self.name, self.data, self.id = name, data, event_id


def parse(lines: Iterable[str]) -> Iterator[Event]:
    """Events from the lines of a stream (as `iter_lines` yields them, without newlines)."""
    name, data, event_id = "message", list[str](), None
    for line in lines:
        if not line:
            if data:
                yield Event(name, "\n".join(data), event_id)
            name, data, event_id = "message", list[str](), None
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            event_id = value
