"""The callback listener against the fake Schwab: the browser's redirect completes the login."""

from __future__ import annotations

import logging
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from livedata.settings import Settings
from services.schwab.callback import (
    CallbackListener,
    ListenerSlot,
    check_redirect,
    listen_for_login,
    local_callback,
)
from services.schwab.callback_cert import cert_paths, ensure_cert
from services.schwab.errors import LoginError
from services.schwab.tokens import TokenStore
from tests.conftest import free_port
from tests.schwab.conftest import browse


@pytest.fixture
def callback_env(schwab_env: dict[str, str], fake, monkeypatch) -> dict[str, str]:
    """schwab_env with SCHWAB_CALLBACK_URL on a free port, registered with the fake too."""
    url = f"https://127.0.0.1:{free_port()}"
    fake.state.config.callback_url = url  # the fake checks redirect_uri against it
    monkeypatch.setenv("SCHWAB_CALLBACK_URL", url)
    return {**schwab_env, "SCHWAB_CALLBACK_URL": url}


@pytest.fixture
def cb_settings(callback_env: dict[str, str]) -> Settings:
    return Settings.from_env(callback_env)


@pytest.fixture
def listen(cb_settings: Settings) -> Iterator[Callable[..., tuple[str, CallbackListener]]]:
    """Start listeners (authorize URL, listener); every one is stopped after the test."""
    started: list[CallbackListener] = []

    def start(**options) -> tuple[str, CallbackListener]:
        url, listener = listen_for_login(cb_settings, **options)
        started.append(listener)
        return url, listener

    yield start
    for listener in started:
        listener.stop()


def visit(listener: CallbackListener, url: str, **options) -> requests.Response:
    """The browser landing on the callback URL (trusting the listener's own certificate)."""
    return requests.get(url, verify=str(listener.cert_path), timeout=15, **options)


def refused(url: str, listener: CallbackListener) -> bool:
    try:
        visit(listener, url)
    except requests.ConnectionError:
        return True
    return False


def tokens(settings: Settings) -> dict | None:
    return TokenStore.for_settings(settings).load()


def with_state(redirect: str, state: str) -> str:
    parts = urlsplit(redirect)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = state
    return parts._replace(query="&".join(f"{k}={v}" for k, v in query.items())).geturl()


def test_the_redirect_completes_the_login(listen, cb_settings, fake, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    url, listener = listen()
    redirect = browse(url)
    page = visit(listener, redirect)
    assert page.status_code == 200 and "you can close this tab" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    outcome = listener.wait(5)
    assert outcome is not None and outcome.status == "logged_in"
    assert fake.state.count_token_requests(grant="authorization_code") == 1
    token_file = Path(cb_settings.data_dir) / "schwab-token.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert refused(redirect, listener)  # one-shot: the port is closed
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    token = tokens(cb_settings)["token"]
    # urllib3's lines are this test's own browser asking for the URL; everything else counts.
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("urllib3")]
    said = "\n".join(logged) + "".join(capfd.readouterr())
    for secret in (code, code.replace("@", "%40"), token["access_token"], token["refresh_token"]):
        assert secret not in said and secret not in page.text


def test_wrong_state_is_an_error_page_and_the_right_one_still_works(listen, cb_settings):
    url, listener = listen()
    redirect = browse(url)
    page = visit(listener, with_state(redirect, "forged"))
    assert page.status_code == 400 and "state differs" in page.text
    assert tokens(cb_settings) is None and listener.running
    assert visit(listener, redirect).status_code == 200
    assert listener.wait(5).status == "logged_in"


def test_other_requests_are_404(listen, cb_settings):
    url, listener = listen()
    redirect = browse(url)
    origin, port = redirect.split("/?")[0], urlsplit(redirect).port
    assert visit(listener, origin + "/favicon.ico").status_code == 404
    assert visit(listener, redirect.replace("/?", "/elsewhere?")).status_code == 404
    assert visit(listener, redirect, headers={"Host": f"evil.example:{port}"}).status_code == 404
    assert requests.post(redirect, verify=str(listener.cert_path), timeout=5).status_code == 404
    assert tokens(cb_settings) is None and listener.running


def test_a_refused_code_ends_with_an_error_page(listen, cb_settings, fake):
    fake.state.config.code_lifetime = 0.0
    url, listener = listen()
    page = visit(listener, browse(url))
    assert page.status_code == 400 and "30 s" in page.text
    assert listener.wait(5).status == "failed" and tokens(cb_settings) is None


def test_timeout_ends_the_listener(listen):
    url, listener = listen(timeout=0.3)
    outcome = listener.wait(5)
    assert outcome is not None and outcome.status == "timed_out"
    assert refused(browse(url), listener)


def test_a_busy_port_is_a_clear_error(cb_settings):
    with socket.socket() as taken:
        taken.bind(local_callback(cb_settings.schwab_callback_url))
        taken.listen()
        with pytest.raises(LoginError, match="cannot listen on"):
            listen_for_login(cb_settings)
        slot = ListenerSlot()
        slot.listen(cb_settings)  # the admin's way: noted, not raised (pasting still works)
        assert slot.view()["status"] == "failed"


def test_a_new_listener_replaces_the_last(cb_settings):
    slot = ListenerSlot()
    first_url = slot.listen(cb_settings)
    first = slot.current
    second_url = slot.listen(cb_settings)  # same port: the first must be gone
    try:
        assert first.wait(0) is not None and first.outcome.status == "stopped"
        assert slot.view()["status"] == "listening"
        assert visit(slot.current, browse(second_url)).status_code == 200
        assert first_url != second_url and slot.current.wait(5).status == "logged_in"
    finally:
        slot.stop()


def test_certificate_is_made_once_with_a_private_key(tmp_path):
    cert, key = ensure_cert(tmp_path, "127.0.0.1")
    assert (cert, key) == cert_paths(tmp_path, "127.0.0.1")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = cert.read_bytes()
    assert ensure_cert(tmp_path, "127.0.0.1")[0].read_bytes() == before
    cert.unlink()
    assert ensure_cert(tmp_path, "127.0.0.1")[0].read_bytes() != before


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://127.0.0.1:8182", ("127.0.0.1", 8182)),
     ("https://localhost:9000/cb", ("127.0.0.1", 9000)), ("https://[::1]:8182", ("::1", 8182)),
     ("https://127.0.0.1", None), ("http://127.0.0.1:8182", None),
     ("https://example.com:8182", None), ("https://0.0.0.0:8182", None),
     ("https://127.0.0.1:99999", None)],
)  # fmt: skip
def test_only_https_loopback_urls_with_a_port_are_answered(url, expected):
    assert local_callback(url) == expected


def test_check_redirect():
    cb, host = "https://127.0.0.1:8182", "127.0.0.1:8182"
    assert check_redirect(cb, "s1", host, "/?code=c%40&session=x&state=s1") is None
    assert check_redirect(cb + "/cb", "s1", host, "/cb?code=c&state=s1") is None
    assert check_redirect(cb, "s1", host, "/?code=c&state=s2")[0] == 400
    assert check_redirect(cb, "s1", host, "/?state=s1")[0] == 400
    assert check_redirect(cb, "s1", "localhost:8182", "/?code=c&state=s1")[0] == 404
    assert check_redirect(cb, "s1", host, "https://127.0.0.1:8182/?code=c&state=s1")[0] == 404


def test_cli_login_listen(callback_env):
    """The real process: it prints the URL and ends by itself once the browser comes back."""
    env = {**os.environ, **callback_env, "OAUTHLIB_INSECURE_TRANSPORT": "1"}
    command = [sys.executable, "-c", "from livedata.cli import main; main()"]
    with subprocess.Popen(
        [*command, "schwab", "login", "--listen"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            url = process.stdout.readline().strip()  # printed once the listener is up
            cert = cert_paths(callback_env["LIVEDATA_DATA_DIR"], "127.0.0.1")[0]
            page = requests.get(browse(url), verify=str(cert), timeout=15)
            out, err = process.communicate(timeout=30)
        finally:
            process.kill()
    assert page.status_code == 200
    assert process.returncode == 0, err
    assert "Logged in" in out and "self-signed certificate" in err
