"""Live subscription changes for the running provider, over a Redis pub/sub channel.

A message is JSON: `{"action": "add"|"remove", "symbols": ["/YM", "MSFT"]}` or
`{"action": "reconnect"}` (ends a code-12 pause early). The admin page and tools send it
with `send_control`; the provider turns it into ADD/UNSUBS without reconnecting.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis
import redis.asyncio as aioredis

from livedata import channels
from livedata.connections import REDIS_ERRORS
from livedata.exceptions import InvalidSymbol
from livedata.quotes import normalize_symbol
from livedata.settings import Settings

log = logging.getLogger("livedata.schwab.control")

CONTROL_CHANNEL = channels.SCHWAB_CONTROL
ACTIONS = ("add", "remove", "reconnect")


def parse_command(raw: str | bytes) -> tuple[str, list[str]]:
    """(action, upper-cased Schwab symbols); ValueError naming what is wrong."""
    try:
        message = json.loads(raw)
    except ValueError:
        raise ValueError("control message must be JSON") from None
    if not isinstance(message, dict) or message.get("action") not in ACTIONS:
        raise ValueError(f"control message needs an action among {', '.join(ACTIONS)}")
    symbols = message.get("symbols", [])
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        raise ValueError("symbols must be a list of strings")
    cleaned = [s.strip().upper() for s in symbols if s.strip()]
    for symbol in cleaned:
        try:
            normalize_symbol(symbol)
        except InvalidSymbol as exc:
            raise ValueError(str(exc)) from None
    if message["action"] != "reconnect" and not cleaned:
        raise ValueError(f"{message['action']} needs at least one symbol")
    return message["action"], cleaned


def send_control(client: redis.Redis, action: str, symbols: list[str] | None = None) -> int:
    """Publish one command; returns how many providers heard it."""
    body: dict[str, Any] = {"action": action, "symbols": symbols or []}
    parse_command(json.dumps(body))
    return int(client.publish(CONTROL_CHANNEL, json.dumps(body)))


async def listen(settings: Settings, handle: Callable[[str, list[str]], Awaitable[None]]) -> None:
    """Call `handle(action, symbols)` for every valid command; ride out Redis outages."""
    client = aioredis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_connect_timeout=settings.redis_connect_timeout,
    )
    try:
        while True:
            try:
                await _subscribed(client, handle)
            except REDIS_ERRORS as exc:
                log.warning("control channel lost (%s); resubscribing in 2 s", type(exc).__name__)
                await asyncio.sleep(2.0)
    finally:
        await client.aclose()


async def _subscribed(client: aioredis.Redis, handle) -> None:
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(CONTROL_CHANNEL)
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                continue
            try:
                action, symbols = parse_command(message["data"])
            except ValueError as exc:
                log.warning("control message ignored: %s", exc)
                continue
            await handle(action, symbols)
    finally:
        await pubsub.aclose()
