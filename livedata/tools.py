"""Terminal tools for people: `livedata snapshot ES NQ`."""

from __future__ import annotations

import click

from livedata.bus import Bus
from livedata.connections import REDIS_ERRORS, redacted_url
from livedata.exceptions import InvalidSymbol
from livedata.quotes import normalize_symbol
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
    """A fixed-width table, one row per symbol; `-` where a value is unknown."""
    rows: list[tuple[str, ...]] = [COLUMNS]
    for name in names:
        quote = quotes.get(name)
        if quote is None:
            rows.append((name, "no data", "", "", "", "", ""))
        else:
            rows.append(tuple("-" if quote.get(c) is None else str(quote[c]) for c in COLUMNS))
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )
