"""`livedata schwab login|status|logout` against the fake."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from livedata.cli import main
from services.schwab.errors import LoginError
from services.schwab.login import finish_login, start_login
from tests.schwab.conftest import browse


def invoke(env, *args, stdin: str = ""):
    return CliRunner().invoke(main, ["schwab", *args], env=env, input=stdin)


def authorize_url(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("http"))


def test_login_with_redirect_url(schwab_env, fake):
    url = start_login_url(schwab_env)
    redirect = browse(url)
    assert "%40" in redirect  # Schwab sends the code's '@' encoded
    result = invoke(schwab_env, "login", "--redirect-url", redirect)
    assert result.exit_code == 0, result.output
    token_file = Path(schwab_env["LIVEDATA_DATA_DIR"]) / "schwab-token.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert fake.state.count_token_requests(grant="authorization_code") == 1


def start_login_url(env) -> str:
    result = invoke(env, "login")
    assert result.exit_code == 1 and "no redirected URL" in result.output
    return authorize_url(result.output)


def test_login_interactive_on_stdin(schwab_env):
    """The real process: it prints the URL, the user pastes the redirected URL on stdin."""
    env = {**os.environ, **schwab_env, "OAUTHLIB_INSECURE_TRANSPORT": "1"}
    command = [sys.executable, "-c", "from livedata.cli import main; main()", "schwab", "login"]
    with subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        url = process.stdout.readline().strip()
        out, err = process.communicate(browse(url) + "\n", timeout=30)
    assert process.returncode == 0, err
    assert "Logged in" in out and "Then paste" in err


def test_status_and_logout(schwab_env, login):
    assert invoke(schwab_env, "status").exit_code == 1
    login()
    result = invoke(schwab_env, "status")
    assert result.exit_code == 0 and "7.0 days left" in result.output
    info = json.loads(invoke(schwab_env, "status", "--json").output)
    assert info["logged_in"] and info["refresh_token_days_left"] == 7.0
    assert "Tokens deleted." in invoke(schwab_env, "logout").output
    assert "Not logged in" in invoke(schwab_env, "status").output


def test_state_must_match(schwab_settings):
    redirect = browse(start_login(schwab_settings))
    start_login(schwab_settings)  # a newer authorize URL replaces the pending state
    with pytest.raises(LoginError, match="state mismatch"):
        finish_login(schwab_settings, redirect)


def test_code_is_single_use_and_short_lived(schwab_settings, fake):
    redirect = browse(start_login(schwab_settings))
    finish_login(schwab_settings, redirect)
    with pytest.raises(LoginError, match="no login in progress"):
        finish_login(schwab_settings, redirect)
    fake.state.config.code_lifetime = 0.0
    with pytest.raises(LoginError, match="30 s"):
        finish_login(schwab_settings, browse(start_login(schwab_settings)))


def test_url_from_elsewhere_or_without_code_is_refused(schwab_settings):
    url = start_login(schwab_settings)
    state = parse_qs(urlsplit(url).query)["state"][0]
    with pytest.raises(LoginError, match="SCHWAB_CALLBACK_URL"):
        finish_login(schwab_settings, f"https://evil.example/?code=x%40&state={state}")
    with pytest.raises(LoginError, match="no code"):
        finish_login(schwab_settings, f"https://127.0.0.1:8182/?state={state}")


def test_token_endpoint_trouble_is_a_clear_error(schwab_settings, fake):
    redirect = browse(start_login(schwab_settings))
    fake.state.fail_next("/v1/oauth/token", "denied")
    with pytest.raises(LoginError, match="Access Denied"):
        finish_login(schwab_settings, redirect)


def test_missing_app_key_is_named(schwab_env):
    result = invoke({**schwab_env, "SCHWAB_APP_KEY": ""}, "login")
    assert result.exit_code == 1 and "SCHWAB_APP_KEY" in result.output
