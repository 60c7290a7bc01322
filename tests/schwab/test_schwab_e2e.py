"""End to end against the fake: CLI login, streamed quotes on Redis, reconnects, code 12,
live subscription changes, token expiry and death, and no secret in any log line."""

from __future__ import annotations

import json
import logging
import time

import pytest
from click.testing import CliRunner

from livedata import channels
from livedata.health import read_health
from livedata.quotes import to_iso
from services.schwab.cli import schwab
from services.schwab.control import send_control
from tests.conftest import wait_for
from tests.schwab.conftest import browse


def cli_login(env: dict) -> None:
    """`livedata schwab login` twice: once to print the URL, then with --redirect-url."""
    runner = CliRunner()
    first = runner.invoke(schwab, ["login"], env=env, input="")
    assert first.exit_code == 1 and "--redirect-url" in first.output
    url = next(line for line in first.output.splitlines() if line.startswith("http"))
    done = runner.invoke(schwab, ["login", "--redirect-url", browse(url)], env=env)
    assert done.exit_code == 0, done.output


def snapshot(rclient, symbol: str) -> dict | None:
    raw = rclient.hget(channels.LATEST_QUOTES, symbol)
    return json.loads(raw) if raw else None


def health(rclient) -> dict:
    return next((r for r in read_health(rclient) if r["provider"] == "schwab"), {})


def test_login_then_streamed_quotes_land_in_the_snapshot(schwab_env, fake, run_provider, rclient):
    cli_login(schwab_env)
    run_provider()
    wait_for(lambda: all(snapshot(rclient, s) for s in ("ES", "NQ", "AAPL", "$SPX")))
    fake.push_quote("/ES", {1: 6713.0, 2: 6713.25, 3: 6713.0})
    wait_for(lambda: snapshot(rclient, "ES")["bid"] == 6713.0)
    es = snapshot(rclient, "ES")
    assert (es["ask"], es["last"], es["source"]) == (6713.25, 6713.0, "schwab")
    assert es["provider_symbol"] == "/ESZ26" and es["volume"] == 1250270
    assert es["timestamp"] == to_iso(fake.state.market["/ES"]["10"])  # Schwab's quote time
    aapl = snapshot(rclient, "AAPL")
    assert (aapl["bid"], aapl["ask"], aapl["last"]) == (234.86, 234.88, 234.87)
    assert snapshot(rclient, "NQ")["provider_symbol"] == "/NQZ26"
    wait_for(lambda: health(rclient).get("status") == "ok")


def test_dropped_stream_reconnects_and_resubscribes(schwab_env, login, fake, run_provider, rclient):
    login()
    running = run_provider()
    wait_for(lambda: running.provider.streamer.state == "streaming")
    fake.drop_streams()
    wait_for(lambda: running.provider.streamer.connections >= 2, timeout=5)
    wait_for(lambda: fake.subscribed("LEVELONE_FUTURES") == {"/ES", "/NQ"}, timeout=5)
    fake.push_quote("/NQ", {1: 24800.0})
    wait_for(lambda: snapshot(rclient, "NQ")["bid"] == 24800.0, timeout=5)


def test_silent_stream_is_dead_after_the_heartbeat_limit(schwab_env, login, fake, run_provider):
    login()
    running = run_provider()
    wait_for(lambda: running.provider.streamer.state == "streaming")
    fake.silence_streams()
    wait_for(lambda: running.provider.streamer.connections >= 2, timeout=5)
    wait_for(lambda: running.provider.streamer.state == "streaming", timeout=5)


def test_code_12_is_reported_and_not_fought(schwab_env, login, fake, run_provider, rclient):
    login()
    running = run_provider()
    wait_for(lambda: running.provider.streamer.state == "streaming")
    take_over(fake)
    wait_for(lambda: running.provider.streamer.state == "taken_over", timeout=5)
    logins = len(fake.stream.logins)
    wait_for(lambda: "code 12" in health(rclient).get("detail", ""), timeout=5)
    assert health(rclient)["status"] == "degraded"
    assert len(fake.stream.logins) == logins  # still waiting out the takeover pause


def take_over(fake) -> None:
    """Another program logs in to the streamer as the same user."""
    from websockets.sync.client import connect

    token = fake.state.mint(new_login=False)["access_token"]
    with connect(fake.stream_url) as other:
        other.send(
            json.dumps(
                {
                    "requests": [
                        {
                            "service": "ADMIN",
                            "command": "LOGIN",
                            "requestid": "1",
                            "parameters": {"Authorization": token},
                        }
                    ]
                }
            )
        )
        assert json.loads(other.recv(timeout=5))["response"][0]["content"]["code"] == 0


def test_control_channel_adds_and_removes_without_reconnect(
    schwab_env, login, fake, run_provider, rclient
):
    login()
    running = run_provider()
    wait_for(lambda: running.provider.streamer.state == "streaming")
    wait_for(lambda: rclient.pubsub_numsub("live_data:control:schwab")[0][1] == 1)
    send_control(rclient, "add", ["/YM", "MSFT"])
    wait_for(lambda: fake.subscribed("LEVELONE_FUTURES") == {"/ES", "/NQ", "/YM"})
    fake.push_quote("/YM", {1: 47000.0, 2: 47001.0, 3: 47000.0, 34: "/YMZ26"})
    wait_for(lambda: (snapshot(rclient, "YM") or {}).get("bid") == 47000.0)
    send_control(rclient, "remove", ["AAPL"])
    wait_for(lambda: fake.subscribed("LEVELONE_EQUITIES") == {"$SPX", "MSFT"})
    assert running.provider.streamer.connections == 1
    assert [c for _, s, c, _ in fake.stream.log if s == "LEVELONE_EQUITIES"][-2:] == [
        "ADD",
        "UNSUBS",
    ]


def test_access_token_expiry_refreshes_and_streaming_goes_on(
    schwab_env, login, fake, run_provider, rclient
):
    fake.state.config.access_lifetime = 2.0
    login()
    running = run_provider()
    wait_for(lambda: running.provider.streamer.state == "streaming")
    wait_for(lambda: fake.state.count_token_requests(grant="refresh_token") >= 2, timeout=5)
    fake.drop_streams()  # the reconnect must log in with a refreshed token
    wait_for(lambda: running.provider.streamer.connections >= 2, timeout=5)
    fake.push_quote("/ES", {1: 6800.0})
    wait_for(lambda: snapshot(rclient, "ES")["bid"] == 6800.0, timeout=5)
    assert all(code == 0 for _, code in fake.stream.logins)


def test_refresh_token_death_means_auth_required_then_a_login_resumes(
    schwab_env, login, fake, run_provider, rclient
):
    fake.state.config.access_lifetime = 2.0
    cli_login(schwab_env)
    running = run_provider()
    wait_for(lambda: running.provider.streamer.state == "streaming")
    fake.state.kill_refresh_tokens()
    died = time.time()
    wait_for(lambda: health(rclient).get("status") == "auth_required", timeout=5)
    fake.drop_streams()
    streamer = running.provider.streamer
    wait_for(lambda: streamer.state == "auth_required", timeout=5)
    tries = streamer.attempts
    wait_for(lambda: streamer.attempts >= tries + 10, timeout=5)  # ten more reconnect tries
    assert fake.state.count_token_requests(since=died) <= 2
    assert running.thread.is_alive()
    cli_login(schwab_env)
    wait_for(lambda: running.provider.streamer.state == "streaming", timeout=5)
    fake.push_quote("AAPL", {1: 240.0})
    wait_for(lambda: snapshot(rclient, "AAPL")["bid"] == 240.0, timeout=5)
    wait_for(lambda: health(rclient).get("status") == "ok", timeout=5)


@pytest.fixture(autouse=True)
def no_secret_in_any_log_line(caplog, fake):
    """Every test here runs with all loggers at DEBUG; none may print a token, code or secret."""
    caplog.set_level(logging.DEBUG)
    yield
    secrets = [fake.state.config.app_secret, *fake.state.issued]
    secrets += [s.replace("@", "%40") for s in fake.state.issued]
    lines = [r.getMessage() for r in caplog.records] + caplog.text.splitlines()
    assert caplog.records, "expected some log lines"
    for line in lines:
        leaked = [s[:6] for s in secrets if s in line]
        assert not leaked, f"secret {leaked} in log line: {line[:160]}"
