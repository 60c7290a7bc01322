"""TokenManager against the fake: refresh ahead of expiry and on 401, transient token-endpoint
trouble without a storm, a refused refresh token -> auth_required, a new login picked up."""

from __future__ import annotations

import pytest

from services.schwab.errors import AuthRequired, RestError, TransientError
from services.schwab.oauth import TokenManager
from services.schwab.rest import SchwabRest
from tests.conftest import wait_for

REFRESH = "refresh_token"


@pytest.fixture
def manager(schwab_settings, login) -> TokenManager:
    login()
    return TokenManager(schwab_settings)


def test_no_login_is_auth_required(schwab_settings):
    manager = TokenManager(schwab_settings)
    with pytest.raises(AuthRequired, match="not logged in"):
        manager.access_token()
    assert manager.status()[0] == "auth_required"


def test_refreshes_a_little_before_the_end(schwab_settings, login, fake):
    fake.state.config.access_lifetime = 2.0
    login()
    manager = TokenManager(schwab_settings)
    first = manager.access_token()
    assert fake.state.count_token_requests(grant=REFRESH) == 0
    second = wait_for(lambda: (t := manager.access_token()) != first and t, timeout=5)
    assert fake.state.access_ok(second)  # fresh before the old one ran out
    assert fake.state.count_token_requests(grant=REFRESH) == 1
    assert manager.store.load()["token"]["access_token"] == second  # written back


def test_a_401_refreshes_once_and_retries(schwab_settings, manager, fake):
    rest = SchwabRest(schwab_settings, manager)
    fake.state.revoke_access_tokens()
    assert rest.get("/trader/v1/accounts/accountNumbers")[0]["hashValue"]
    assert fake.state.count_token_requests(grant=REFRESH) == 1
    rest.close()


def test_a_401_that_a_new_token_does_not_fix_is_not_a_storm(schwab_settings, manager, fake):
    rest = SchwabRest(schwab_settings, manager)
    fake.state.config.refuse_bearer = True  # "Client not authorized": no token fixes it
    for _ in range(5):
        with pytest.raises(RestError, match="401"):
            rest.get("/trader/v1/accounts/accountNumbers")
    assert fake.state.count_token_requests(grant=REFRESH) <= 1
    rest.close()


def test_refused_refresh_token_is_auth_required_and_never_retried(
    schwab_settings, manager, fake, login
):
    fake.state.kill_refresh_tokens()
    fake.state.revoke_access_tokens()
    manager.on_unauthorized(manager.access_token())
    for _ in range(20):
        with pytest.raises(AuthRequired):
            manager.access_token()
    status, detail = manager.status()
    assert status == "auth_required" and "unsupported_token_type" in detail
    assert fake.state.count_token_requests(grant=REFRESH) == 1
    # A restarted provider remembers the refusal instead of asking again.
    restarted = TokenManager(schwab_settings)
    assert restarted.status()[0] == "auth_required"
    restarted.access_token()  # still in date by the clock: served, but no refresh attempted
    assert fake.state.count_token_requests(grant=REFRESH) == 1
    login()  # a new login lands in the file: picked up without a restart
    assert fake.state.access_ok(manager.access_token())
    assert manager.status() == ("ok", "")


@pytest.mark.parametrize("kind", ["500", "429", "denied"])
def test_transient_token_endpoint_trouble_backs_off(schwab_settings, manager, fake, kind):
    fake.state.fail_next("/v1/oauth/token", kind, times=100, retry_after=30)
    fake.state.revoke_access_tokens()
    used = manager.access_token()
    assert manager.on_unauthorized(used) is False
    for _ in range(20):
        with pytest.raises(TransientError, match="token endpoint answered"):
            manager.access_token()  # backing off: no new attempt yet
    assert fake.state.count_token_requests(grant=REFRESH) == 1
    status, detail = manager.status()
    assert status == "degraded" and "token endpoint answered" in detail
