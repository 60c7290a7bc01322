from click.testing import CliRunner

from livedata.tools import snapshot


def test_snapshot_prints_known_and_unknown_symbols(bus, redis_url, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_url)
    bus.publish_quote("ES", {"last": 4712.25, "bid": 4712.0, "ask": 4712.5}, source="sim")
    result = CliRunner().invoke(snapshot, ["/es", "NQ"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["symbol", "last", "bid"]
    assert lines[1].split()[:5] == ["ES", "4712.25", "4712.0", "4712.5", "-"]
    assert lines[2].split() == ["NQ", "no", "data"]


def test_snapshot_refuses_bad_symbols_and_reports_redis_down(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://:secretpw@127.0.0.1:1/0")
    bad = CliRunner().invoke(snapshot, ["E S"])
    assert bad.exit_code == 2 and "must be 1-32 characters" in bad.output
    down = CliRunner().invoke(snapshot, ["ES"])
    assert down.exit_code == 1 and "Redis is unavailable" in down.output
    assert "secretpw" not in down.output
