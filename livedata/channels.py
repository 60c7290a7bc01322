"""Every Redis key and channel name LiveData uses (contract v1), and nowhere else.

Consumers of the original LiveData subscribe to `live_data:quotes:{SYMBOL}` and read
`live_data:latest:quotes`; those names must never change.
"""

PREFIX = "live_data"

LATEST_QUOTES = f"{PREFIX}:latest:quotes"
"""Hash: SYMBOL -> the quote JSON last published for it (the snapshot)."""

QUOTE_STREAM = f"{PREFIX}:stream:quotes"
"""Stream, capped with XADD MAXLEN ~: every published quote, for resume and replay."""

QUOTE_STATE = f"{PREFIX}:state:quotes"
"""Hash, the bus's own bookkeeping: SYMBOL -> `"{seq} {ms}"`, the last `seq` assigned and the
epoch milliseconds of the snapshot's quote (so it never goes backwards); and, under
QUOTE_STATE_STREAM_FIELD, the last stream id the bus wrote."""

QUOTE_STATE_STREAM_FIELD = "@stream"
"""The field of QUOTE_STATE holding the last stream id; `@` is never part of a symbol."""

PROVIDERS = f"{PREFIX}:providers"
"""Hash: provider name -> health JSON."""

SCHWAB_CONTROL = f"{PREFIX}:control:schwab"
"""Pub/sub: subscription changes for the Schwab provider (`{"action":"add","symbols":[...]}`)."""

ALL_CHANNELS_PATTERN = f"{PREFIX}:*"
"""Pattern matching every pub/sub channel LiveData publishes on."""

QUOTE_CHANNEL_PATTERN = f"{PREFIX}:quotes:*"
"""Pattern matching every quote channel."""

ACCOUNT_KINDS = ("positions", "balances", "orders", "transactions")
"""Account event kinds; each has a channel per account."""

ACCOUNT_KINDS_WITH_LATEST = ("positions", "balances")
"""Account kinds whose last value is also kept in a hash."""


QUOTE_CHANNEL_PREFIX = f"{PREFIX}:quotes:"
"""A quote channel is this prefix and the symbol (the bus's Lua script joins them)."""


def quote_channel(symbol: str) -> str:
    """Pub/sub channel carrying every quote of one (normalized) symbol."""
    return QUOTE_CHANNEL_PREFIX + symbol


def symbol_of_quote_channel(channel: str) -> str:
    """The symbol a quote channel name carries (inverse of `quote_channel`)."""
    return channel.removeprefix(QUOTE_CHANNEL_PREFIX)


def account_channel(kind: str, account_id: str) -> str:
    """Pub/sub channel for one kind of account event of one account."""
    return f"{PREFIX}:{kind}:{account_id}"


def latest_account(kind: str) -> str:
    """Hash: account_id -> the last positions or balances JSON."""
    return f"{PREFIX}:latest:{kind}"
