"""`livedata up` (the whole stack under supervisord) and `livedata redis` (embedded Redis)."""

from __future__ import annotations

import fcntl
import os
import stat
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click
import redis

from livedata.connections import redacted_url
from livedata.embedded_redis import server_command
from livedata.settings import Settings

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
PROVIDER_PROGRAMS = ("sim", "tos", "schwab")
"""Providers that have a supervisord program; LIVEDATA_PROVIDERS picks among them."""


def redis_answers(url: str) -> bool:
    """True when a Redis at `url` answers PING within half a second."""
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def needs_embedded_redis(url: str) -> bool:
    """Start our own Redis only for a local redis:// URL with nothing answering on it."""
    parts = urlsplit(url)
    local = parts.scheme == "redis" and (parts.hostname or "localhost") in LOCAL_HOSTS
    return local and not redis_answers(url)


def supervisor_environment(settings: Settings, embedded: bool) -> dict[str, str]:
    """The environment supervisord and its programs run with."""
    run_dir = (settings.data_dir / "run").resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)  # so programs find `livedata` in this venv
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    env["LIVEDATA_RUN_DIR"] = str(run_dir)
    env["LIVEDATA_START_REDIS"] = str(embedded).lower()
    for name in PROVIDER_PROGRAMS:
        env[f"LIVEDATA_START_{name.upper()}"] = str(name in settings.providers).lower()
    return env


def config_path() -> Path:
    """supervisord.conf in the current directory, else the one beside the package."""
    here = Path("supervisord.conf")
    return here if here.exists() else Path(__file__).resolve().parents[1] / "supervisord.conf"


def append_only_stdout() -> None:
    """Make a stdout redirected to a file (`livedata up > up.log`) append-only.

    supervisord reopens /dev/stdout for each program: without O_APPEND every reopened
    descriptor writes at its own offset, and the programs' lines overwrite supervisord's.
    """
    try:
        if stat.S_ISREG(os.fstat(1).st_mode):
            fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_APPEND)
    except OSError:
        pass  # not a file we may change: nothing to fix


@click.command()
def up() -> None:
    """Run the whole stack in the foreground under supervisord (Ctrl-C stops it)."""
    settings = Settings.from_env()
    embedded = needs_embedded_redis(settings.redis_url)
    where = "embedded, starting" if embedded else "already answering or external"
    click.echo(f"livedata up: Redis at {redacted_url(settings.redis_url)} ({where})")
    click.echo(f"livedata up: API http://{settings.api_bind}  admin http://{settings.admin_bind}")
    env = supervisor_environment(settings, embedded)
    append_only_stdout()
    supervisord = str(Path(sys.executable).parent / "supervisord")
    os.execve(supervisord, [supervisord, "-n", "-c", str(config_path())], env)  # noqa: S606


@click.command("redis")
def redis_command() -> None:
    """Run the embedded Redis on REDIS_URL's port, in the foreground."""
    settings = Settings.from_env()
    port = urlsplit(settings.redis_url).port or 6379
    workdir = (settings.data_dir / "redis").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    argv = server_command(port, workdir)
    os.execv(argv[0], argv)  # noqa: S606
