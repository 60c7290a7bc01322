"""No secret in what the real processes print: the Schwab login, status and provider as
subprocesses against the fake (logins, refreshes, a dropped stream), every line of stdout and
stderr captured -- not only what passes through Python logging (tests/schwab checks that)."""

from __future__ import annotations

import os
import subprocess
from urllib.parse import quote

import pytest

from livedata import channels
from tests.conftest import wait_for
from tests.reliability.conftest import LIVEDATA
from tests.schwab.conftest import browse


def run_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LIVEDATA, "schwab", *args], env=env, capture_output=True, text=True, timeout=30
    )


@pytest.mark.reliability(
    "Secrets in process output",
    (
        "`livedata schwab login`, `status`, `run` (refreshes, a dropped stream) as "
        "subprocesses against the fake"
    ),
    "no app secret, auth code, access or refresh token (raw or URL-encoded) in any stdout/stderr",
)
@pytest.mark.slow
def test_no_token_code_or_secret_in_any_output_of_the_schwab_processes(
    schwab_env,
    fake,
    spawn,
    rclient,
):
    fake.state.config.access_lifetime = 2.0  # refreshes every couple of seconds
    env = {**os.environ, **schwab_env}
    outputs = []

    first = run_cli(env, "login")  # no redirect URL: prints the authorize URL, exits 1
    assert first.returncode == 1
    outputs.append(first.stdout + first.stderr)
    url = next(line for line in first.stdout.splitlines() if line.startswith("http"))
    done = run_cli(env, "login", "--redirect-url", browse(url))
    assert done.returncode == 0, done.stderr
    outputs.append(done.stdout + done.stderr)

    provider = spawn(["schwab", "run"], env)
    wait_for(lambda: rclient.hexists(channels.LATEST_QUOTES, "ES"), timeout=15)
    wait_for(lambda: fake.state.count_token_requests(grant="refresh_token") >= 2, timeout=10)
    logins = len(fake.stream.logins)
    fake.drop_streams()
    wait_for(lambda: len(fake.stream.logins) > logins, timeout=10)
    fake.push_quote("/ES", {1: 6800.0})
    wait_for(lambda: '"bid":6800.0' in (rclient.hget(channels.LATEST_QUOTES, "ES") or ""), 10)
    for args in (["status"], ["status", "--json"]):
        shown = run_cli(env, *args)
        assert shown.returncode == 0
        outputs.append(shown.stdout + shown.stderr)
    provider.stop()
    outputs.append(provider.output())

    secrets = [fake.state.config.app_secret, *fake.state.issued]
    secrets += [quote(s, safe="") for s in secrets]  # as they travel in URLs and forms
    assert len(fake.state.issued) >= 5  # a code, then access/refresh pairs: a real sample
    assert outputs[-1].strip(), "the provider printed nothing"
    for output in outputs:
        for secret in secrets:
            assert secret not in output, f"secret {secret[:6]}... printed:\n{output[-500:]}"
