"""Jinja filters for numbers and ages: prices keep their ticks, ages read at a glance."""

from __future__ import annotations

from flask import Flask


def price(value: object) -> str:
    """`4712.25` -> `"4712.25"`, `61.5` -> `"61.50"`, None -> `"–"` (no float noise)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "–"
    text = f"{value:,.6f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def signed(value: object, suffix: str = "") -> str:
    """`1.5` -> `"+1.50"`; None -> `""`."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    return ("+" if value > 0 else "") + price(round(value, 6)) + suffix


def age(seconds: object) -> str:
    """`0.34` -> `"0.3 s"`, `75` -> `"1 min"`, `7300` -> `"2 h"`."""
    if not isinstance(seconds, int | float):
        return "–"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


def rate(value: object) -> str:
    """Messages per second: `0.5` -> `"0.5/s"`, `212.3` -> `"212/s"`."""
    if not isinstance(value, int | float):
        return "–"
    return f"{value:.1f}/s" if value < 10 else f"{value:.0f}/s"


def percent(value: object) -> str:
    """`0.1234` -> `"+0.12%"`; None -> `""`."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    return f"{value:+.2f}%"


def countdown(seconds: object) -> str:
    """`1830` -> `"30 min 30 s"`, `7300` -> `"2 h 1 min"`; zero or less -> `"expired"`."""
    if not isinstance(seconds, int | float):
        return "–"
    if seconds <= 0:
        return "expired"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


FILTERS = {"price": price, "signed": signed, "percent": percent, "age": age, "rate": rate,
           "countdown": countdown}  # fmt: skip


def install(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
