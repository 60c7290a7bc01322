"""The `livedata` command: one entry point for every process and tool.

Subcommands live beside what they run and are imported only when invoked, so
`livedata sim` never pays for Flask and `livedata api` never for openpyxl.
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute" of a click command; imported on first use.
SUBCOMMANDS = {
    "up": "livedata.stack:up",
    "redis": "livedata.stack:redis_command",
    "api": "services.api.cli:api",
    "admin": "admin.cli:admin",
    "sim": "services.sim.process:sim",
    "snapshot": "livedata.tools:snapshot",
    "tail": "livedata.tools:tail",
    "tos": "services.tos.watcher:tos",
    "schwab": "services.schwab.cli:schwab",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported when called."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=LazyGroup)
@click.version_option(package_name="livedata")
def main() -> None:
    """LiveData: broker market data on Redis, served over HTTP and SSE."""
