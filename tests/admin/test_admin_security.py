"""Login, CSRF, trusted hosts, headers and the session key (Flask test client, real Redis)."""

from __future__ import annotations

import socket
import stat

import pytest

from admin.secret import KEY_FILE, secret_key
from admin.security import auth_required, host_name, is_loopback, trusted_hosts
from livedata.exceptions import SettingsError
from tests.admin.conftest import TOKEN, csrf_of

PAGES = ("/", "/providers", "/board", "/schwab", "/traffic/panel", "/login")


@pytest.fixture
def exposed(make_admin, settings):
    """An admin bound off loopback, so ADMIN_TOKEN is required."""
    return make_admin(settings.with_overrides(admin_bind="0.0.0.0:8001", admin_token=TOKEN))


def login(client, token=TOKEN):
    client.get("/login")
    with client.session_transaction() as session:
        csrf = session["csrf"]
    return client.post("/login", data={"token": token, "csrf_token": csrf})


def test_non_loopback_bind_without_token_refuses_to_start(make_admin, settings):
    with pytest.raises(SettingsError, match="ADMIN_TOKEN"):
        make_admin(settings.with_overrides(admin_bind="0.0.0.0:8001"))


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("[::1]", True),
     ("0.0.0.0", False), ("192.168.1.5", False), ("admin.example", False)],
)  # fmt: skip
def test_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_trusted_hosts(settings):
    assert trusted_hosts(settings) == {"localhost", "127.0.0.1", "::1"}
    assert "10.0.0.2" in trusted_hosts(settings.with_overrides(admin_bind="10.0.0.2:8001"))
    wildcard = trusted_hosts(settings.with_overrides(admin_bind="0.0.0.0:8001"))
    assert socket.gethostname().lower() in wildcard and "0.0.0.0" not in wildcard
    assert [host_name(h) for h in ("[::1]:8001", "Example.COM:80", "x")] == [
        "::1", "example.com", "x"
    ]  # fmt: skip


def test_token_optional_on_loopback_but_binding_when_set(settings):
    assert not auth_required(settings)
    assert auth_required(settings.with_overrides(admin_token=TOKEN))
    assert auth_required(settings.with_overrides(admin_bind="10.0.0.2:8001", admin_token=TOKEN))


def test_loopback_without_token_serves_the_page(admin_client):
    page = admin_client.get("/")
    assert page.status_code == 200 and b"Live traffic" in page.data
    assert b"Log out</button>" not in page.data


def test_exposed_page_asks_for_the_token(exposed):
    client = exposed.test_client()
    assert client.get("/").headers["Location"] == "/login"
    fragment = client.get("/providers", headers={"HX-Request": "true"})
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"] == "/login"
    assert client.get("/traffic/stream").status_code == 401
    assert b'name="token"' in client.get("/login").data


def test_wrong_token_is_refused_and_the_right_one_logs_in(exposed):
    client = exposed.test_client()
    wrong = login(client, "nope")
    assert wrong.status_code == 401 and b"not the ADMIN_TOKEN" in wrong.data
    assert login(client).status_code == 302
    page = client.get("/")
    assert page.status_code == 200 and b"Log out</button>" in page.data
    assert TOKEN.encode() not in page.data


def test_session_cookie_is_httponly_and_samesite_strict(exposed):
    answer = login(exposed.test_client())
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie


def test_a_new_admin_token_ends_old_sessions(make_admin, settings, exposed):
    client = exposed.test_client()
    login(client)
    rotated = make_admin(
        settings.with_overrides(admin_bind="0.0.0.0:8001", admin_token=TOKEN + "-new")
    )
    cookie = client.get_cookie("livedata_admin")
    other = rotated.test_client()
    other.set_cookie(cookie.key, cookie.value)
    assert other.get("/").status_code == 302


def test_logout_needs_csrf_and_ends_the_session(exposed):
    client = exposed.test_client()
    login(client)
    assert client.post("/logout").status_code == 403
    csrf = csrf_of(client)
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("path", ["/schwab/logout", "/schwab/finish", "/schwab/symbols", "/logout"])
def test_post_without_or_with_a_wrong_csrf_token_is_refused(admin_client, path):
    csrf_of(admin_client)
    assert admin_client.post(path).status_code == 403
    assert admin_client.post(path, headers={"X-CSRF-Token": "forged"}).status_code == 403


def test_cross_origin_post_is_refused_even_with_the_token(admin_client):
    csrf = csrf_of(admin_client)
    headers = {"X-CSRF-Token": csrf, "Origin": "http://evil.example"}
    assert admin_client.post("/logout", headers=headers).status_code == 403
    headers["Origin"] = "null"  # what Chrome sends under Referrer-Policy: no-referrer
    assert admin_client.post("/logout", headers=headers).status_code == 303


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8001", "10.1.2.3"])
def test_foreign_host_is_a_400(admin_client, host):
    answer = admin_client.get("/", headers={"Host": host})
    assert answer.status_code == 400 and b"Host" in answer.data
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("host", ["127.0.0.1:8001", "localhost", "[::1]:8001"])
def test_loopback_hosts_are_served(admin_client, host):
    assert admin_client.get("/", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_html_response(admin_client, exposed, path):
    for client in (admin_client, exposed.test_client()):
        answer = client.get(path)
        csp = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe" not in csp
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert answer.headers["Cache-Control"] == "no-store"


def test_no_inline_script_or_style_in_the_page(admin_client):
    page = admin_client.get("/").data.decode()
    assert "<script>" not in page and "<script src" in page
    assert " style=" not in page and "<style" not in page and " on" + "click" not in page


def test_secret_key_is_kept_0600_and_reused(tmp_path):
    first = secret_key(tmp_path / "data")
    assert len(first) >= 32 and secret_key(tmp_path / "data") == first
    assert stat.S_IMODE((tmp_path / "data" / KEY_FILE).stat().st_mode) == 0o600


def test_unwritable_data_dir_falls_back_to_a_process_key(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert len(secret_key(blocker / "data")) == 32
