"""Every setting LiveData reads from the environment, in one typed object.

Each process builds `Settings.from_env()` once and passes it down; nothing else reads
`os.environ`. A bad value raises `SettingsError` naming the variable and what it expects.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from livedata.exceptions import SettingsError

DEFAULT_SIM_SYMBOLS = ("YM", "ES", "NQ", "RTY", "CL", "SI", "HG", "GC", "VX", "DX", "ZB")
REDIS_SCHEMES = ("redis", "rediss", "unix")
KNOWN_PROVIDERS = ("sim", "tos", "schwab")


@dataclass(frozen=True)
class Settings:
    """LiveData's configuration; field names mirror the environment variables."""

    redis_url: str = field(default="redis://localhost:6379/0", repr=False)
    redis_connect_timeout: float = 1.0
    redis_socket_timeout: float = 2.0
    redis_retries: int = 2
    api_bind: str = "127.0.0.1:8000"
    admin_bind: str = "127.0.0.1:8001"
    admin_token: str | None = field(default=None, repr=False)
    providers: tuple[str, ...] = ("sim",)
    data_dir: Path = Path("var")
    symbol_aliases: Mapping[str, str] = field(default_factory=dict)
    max_symbols: int = 500
    quote_stream_maxlen: int = 100_000
    quote_stale_after: float = 10.0
    sse_max_streams: int = 100
    sim_symbols: tuple[str, ...] = DEFAULT_SIM_SYMBOLS
    sim_rate: float = 20.0
    tos_workbook_dir: Path = Path("var/tos")
    tos_workbooks: tuple[str, ...] = ()
    tos_sheet: str = "LiveData"
    tos_range: str = "A1:N13"
    tos_poll_interval: float = 0.5
    tos_stale_after: float = 10.0
    schwab_app_key: str | None = field(default=None, repr=False)
    schwab_app_secret: str | None = field(default=None, repr=False)
    schwab_callback_url: str = "https://127.0.0.1:8182"
    schwab_api_base: str = "https://api.schwabapi.com"
    schwab_symbols: tuple[str, ...] = ()
    schwab_account_poll_seconds: float = 15.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build the settings from `env` (default: the process environment)."""
        env = os.environ if env is None else env
        reader = _Reader(env)
        return cls(
            redis_url=_redis_url(reader),
            api_bind=reader.bind("API_BIND", cls.api_bind),
            admin_bind=reader.bind("ADMIN_BIND", cls.admin_bind),
            admin_token=reader.text("ADMIN_TOKEN") or None,
            providers=_providers(reader),
            data_dir=Path(reader.text("LIVEDATA_DATA_DIR") or "var"),
            symbol_aliases=parse_aliases(reader.text("SYMBOL_ALIASES")),
            max_symbols=reader.integer("MAX_SYMBOLS", cls.max_symbols, minimum=1),
            quote_stream_maxlen=reader.integer(
                "QUOTE_STREAM_MAXLEN", cls.quote_stream_maxlen, minimum=100
            ),
            quote_stale_after=reader.number("QUOTE_STALE_AFTER", cls.quote_stale_after),
            sse_max_streams=reader.integer("SSE_MAX_STREAMS", cls.sse_max_streams, minimum=1),
            sim_symbols=reader.items("SIM_SYMBOLS") or DEFAULT_SIM_SYMBOLS,
            sim_rate=reader.number("SIM_RATE", cls.sim_rate),
            tos_workbook_dir=Path(reader.text("TOS_WORKBOOK_DIR") or "var/tos"),
            tos_workbooks=reader.items("TOS_WORKBOOK"),
            tos_sheet=reader.text("TOS_SHEET") or cls.tos_sheet,
            tos_range=reader.text("TOS_RANGE") or cls.tos_range,
            tos_poll_interval=reader.number("TOS_POLL_INTERVAL", cls.tos_poll_interval),
            tos_stale_after=reader.number("TOS_STALE_AFTER", cls.tos_stale_after),
            schwab_app_key=reader.text("SCHWAB_APP_KEY") or None,
            schwab_app_secret=reader.text("SCHWAB_APP_SECRET") or None,
            schwab_callback_url=reader.text("SCHWAB_CALLBACK_URL") or cls.schwab_callback_url,
            schwab_api_base=(reader.text("SCHWAB_API_BASE") or cls.schwab_api_base).rstrip("/"),
            schwab_symbols=reader.items("SCHWAB_SYMBOLS"),
            schwab_account_poll_seconds=reader.number(
                "SCHWAB_ACCOUNT_POLL_SECONDS", cls.schwab_account_poll_seconds
            ),
        )

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields replaced (tests and CLI flags)."""
        return replace(self, **changes)  # type: ignore[arg-type]


class _Reader:
    """Typed reads of environment variables with errors that name the variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str) -> str:
        return self.env.get(name, "").strip()

    def integer(self, name: str, default: int, minimum: int = 0) -> int:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
        if value < minimum:
            raise SettingsError(f"{name} must be at least {minimum}, got {value}")
        return value

    def number(self, name: str, default: float) -> float:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {raw!r}") from None
        if not value > 0 or value == float("inf"):
            raise SettingsError(f"{name} must be a positive number, got {raw!r}")
        return value

    def items(self, name: str) -> tuple[str, ...]:
        return tuple(item.strip() for item in self.text(name).split(",") if item.strip())

    def bind(self, name: str, default: str) -> str:
        raw = self.text(name) or default
        host, sep, port = raw.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"{name} must look like HOST:PORT, got {raw!r}")
        return raw


def _redis_url(reader: _Reader) -> str:
    """REDIS_URL wins; otherwise REDIS_HOST/PORT/DB as the original LiveData read them."""
    url = reader.text("REDIS_URL")
    if url:
        scheme = urlsplit(url).scheme
        if scheme not in REDIS_SCHEMES:
            raise SettingsError(
                f"REDIS_URL must start with one of {', '.join(s + '://' for s in REDIS_SCHEMES)}"
                f"; got a URL with scheme {scheme!r}"
            )
        return url
    host = reader.text("REDIS_HOST") or "localhost"
    port = reader.integer("REDIS_PORT", 6379, minimum=1)
    db = reader.integer("REDIS_DB", 0)
    return f"redis://{host}:{port}/{db}"


def _providers(reader: _Reader) -> tuple[str, ...]:
    names = reader.items("LIVEDATA_PROVIDERS") or ("sim",)
    unknown = [name for name in names if name not in KNOWN_PROVIDERS]
    if unknown:
        raise SettingsError(
            f"LIVEDATA_PROVIDERS has unknown provider(s) {', '.join(unknown)}; "
            f"known: {', '.join(KNOWN_PROVIDERS)}"
        )
    return names


def parse_aliases(raw: str) -> dict[str, str]:
    """`"$DXY=DX,RT=RTY"` -> `{"$DXY": "DX", "RT": "RTY"}` (keys and values upper-cased)."""
    aliases: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        source, sep, target = item.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise SettingsError(f"SYMBOL_ALIASES entries must look like FROM=TO, got {item!r}")
        aliases[source.strip().upper()] = target.strip().upper()
    return aliases
