"""Configuration that would expose LiveData: supervisord has no unauthenticated inet server,
gunicorn and the embedded Redis bind loopback unless told otherwise (compose's published
ports are checked in tests/test_deploy_files.py)."""

from __future__ import annotations

import configparser
import importlib
import sys
from pathlib import Path

import pytest

from livedata.embedded_redis import server_command

ROOT = Path(__file__).parents[2]


@pytest.mark.reliability(
    "Config: supervisord control server",
    "read supervisord.conf",
    "no unauthenticated inet server; unix socket 0700",
)
def test_supervisord_control_is_a_private_unix_socket_only():
    config = configparser.RawConfigParser()
    config.read(ROOT / "supervisord.conf")
    if config.has_section("inet_http_server"):  # allowed only with credentials on loopback
        server = dict(config.items("inet_http_server"))
        assert server.get("username") and server.get("password"), "inet server without auth"
        assert server["port"].startswith("127.0.0.1:"), server["port"]
    assert config.get("unix_http_server", "chmod") == "0700"
    assert config.get("supervisorctl", "serverurl").startswith("unix://")


@pytest.mark.reliability(
    "Config: gunicorn binds",
    "import both gunicorn configs with and without *_BIND",
    "127.0.0.1 unless API_BIND/ADMIN_BIND say otherwise",
)
@pytest.mark.parametrize("module", ["services.api.gunicorn_conf", "admin.gunicorn_conf"])
def test_gunicorn_binds_loopback_unless_told_otherwise(module, monkeypatch):
    for name in ("API_BIND", "ADMIN_BIND", "GUNICORN_BIND"):
        monkeypatch.delenv(name, raising=False)
    sys.modules.pop(module, None)
    conf = importlib.import_module(module)
    assert conf.bind.startswith("127.0.0.1:"), conf.bind
    monkeypatch.setenv("API_BIND", "0.0.0.0:8000")  # the explicit opt-in
    monkeypatch.setenv("ADMIN_BIND", "0.0.0.0:8001")  # the explicit opt-in
    monkeypatch.setenv("ADMIN_TOKEN", "x" * 32)
    sys.modules.pop(module, None)
    assert importlib.import_module(module).bind.startswith("0.0.0.0:")
    sys.modules.pop(module, None)


@pytest.mark.reliability(
    "Config: embedded Redis",
    "its argv",
    "bound to 127.0.0.1, protected mode",
)
def test_the_embedded_redis_binds_loopback_in_protected_mode(tmp_path):
    argv = server_command(6379, tmp_path)
    assert argv[argv.index("--bind") + 1] == "127.0.0.1"
    assert argv[argv.index("--protected-mode") + 1] == "yes"
