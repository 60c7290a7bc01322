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
    assert lines[2].split()[:3] == ["NQ", "no", "data"]


def test_snapshot_refuses_bad_symbols_and_reports_redis_down(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://:secretpw@127.0.0.1:1/0")
    bad = CliRunner().invoke(snapshot, ["E S"])
    assert bad.exit_code == 2 and "must be 1-32 characters" in bad.output
    down = CliRunner().invoke(snapshot, ["ES"])
    assert down.exit_code == 1 and "Redis is unavailable" in down.output
    assert "secretpw" not in down.output


def test_tail_prints_a_live_table_and_exits_after_count(bus, redis_url, monkeypatch):
    import threading

    from livedata.tools import tail

    monkeypatch.setenv("REDIS_URL", redis_url)
    bus.publish_quote("ES", {"last": 1.0}, source="sim")
    stop = threading.Event()

    def publish_more():  # after the tail has subscribed, keep quotes coming until it exits
        while not stop.wait(0.05):
            bus.publish_quote("NQ", {"last": 2.0, "net_change": -0.5}, source="sim")

    threading.Thread(target=publish_more, daemon=True).start()
    try:
        result = CliRunner().invoke(tail, ["ES", "/NQ", "--count", "3"])
    finally:
        stop.set()
    assert result.exit_code == 0, result.output
    last_table = result.output.split("symbol")[-1].splitlines()
    assert last_table[1].split()[:2] == ["ES", "1.0"]
    assert last_table[2].split()[:3] == ["NQ", "2.0", "-0.5"]
