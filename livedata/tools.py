"""Terminal tools for people: `livedata snapshot ES NQ` and `livedata tail ES NQ`."""

from __future__ import annotations

import time

import click

from livedata.bus import Bus
from livedata.client import LiveDataClient
from livedata.connections import REDIS_ERRORS, redacted_url
from livedata.exceptions import InvalidSymbol
from livedata.quotes import epoch_ms, normalize_symbol
from livedata.settings import Settings

COLUMNS = ("symbol", "last", "bid", "ask", "net_change", "source", "timestamp")


@click.command()
@click.argument("symbols", nargs=-1, required=True)
def snapshot(symbols: tuple[str, ...]) -> None:
    """Print the latest quote of each SYMBOL once."""
    settings = Settings.from_env()
    try:
        names = [normalize_symbol(s, settings.symbol_aliases) for s in symbols]
    except InvalidSymbol as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        quotes = Bus.from_settings(settings).snapshot(names)
    except REDIS_ERRORS:
        raise click.ClickException(
            f"Redis is unavailable at {redacted_url(settings.redis_url)}"
        ) from None
    click.echo(format_table(names, quotes))


def format_table(names: list[str], quotes: dict) -> str:
    """The snapshot's table; `no data` for unknown symbols."""
    rows = {n: quotes.get(n) or {"symbol": n, "last": "no data"} for n in names}
    return format_rows(names, rows, COLUMNS)


def format_rows(names: list[str], quotes: dict, columns: tuple[str, ...]) -> str:
    """A fixed-width table, one row per symbol; `-` where a value is unknown."""
    rows: list[tuple[str, ...]] = [columns]
    for name in names:
        quote = quotes[name]
        rows.append(tuple("-" if quote.get(c) is None else str(quote[c]) for c in columns))
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


TAIL_COLUMNS = ("symbol", "last", "net_change", "age", "source")
REDRAW_EVERY = 0.25
CLEAR = "\x1b[H\x1b[2J"


@click.command()
@click.argument("symbols", nargs=-1, required=True)
@click.option(
    "--api",
    "api_url",
    help="Follow the API's SSE stream (e.g. http://127.0.0.1:8000) instead of Redis.",
)
@click.option("--count", type=click.IntRange(min=1), help="Exit after this many updates.")
def tail(symbols: tuple[str, ...], api_url: str | None, count: int | None) -> None:
    """A live table of SYMBOLS: last, change, age and source, redrawn as quotes arrive."""
    settings = Settings.from_env()
    try:
        names = [normalize_symbol(s, settings.symbol_aliases) for s in symbols]
    except InvalidSymbol as exc:
        raise click.BadParameter(str(exc)) from None
    client = LiveDataClient(redis_url=None if api_url else settings.redis_url, api_url=api_url)
    latest: dict[str, dict] = {}
    drawn, seen = 0.0, 0
    for quote in client.subscribe(names):
        latest[quote["symbol"]] = quote
        seen += 1
        done = count is not None and seen >= count
        if done or time.monotonic() - drawn >= REDRAW_EVERY:
            drawn = time.monotonic()
            click.echo((CLEAR if not done else "") + tail_table(names, latest))
        if done:
            return


def tail_table(names: list[str], latest: dict[str, dict]) -> str:
    """The tail's table: one row per symbol, age in seconds since the quote's timestamp."""
    now_ms = time.time() * 1000
    rows = {}
    for name in names:
        quote = latest.get(name)
        if quote is None:
            rows[name] = {"symbol": name, "last": "waiting"}
            continue
        age = (now_ms - epoch_ms(quote["timestamp"])) / 1000
        rows[name] = {**quote, "age": f"{age:.1f}s"}
    return format_rows(names, rows, TAIL_COLUMNS)
