"""The token file: 0600, atomic, the login time kept across refreshes, never shown whole."""

from __future__ import annotations

import stat
import time

from services.schwab.tokens import REFRESH_TOKEN_DAYS, TokenStore, describe, mask, write_private

TOKEN = {"access_token": "I0.abcdefghijkl@", "refresh_token": "R0.zyxwvut@", "expires_in": 1800}


def test_file_is_0600_and_no_temp_file_is_left(tmp_path):
    store = TokenStore(tmp_path / "d" / "schwab-token.json")
    store.save_login(TOKEN)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert sorted(p.name for p in store.path.parent.iterdir()) == [
        "schwab-token.json",
        "schwab-token.lock",
    ]
    assert stat.S_IMODE(store.path.with_suffix(".lock").stat().st_mode) == 0o600


def test_write_private_replaces_a_world_readable_file(tmp_path):
    path = tmp_path / "t.json"
    path.write_text("{}")
    path.chmod(0o644)
    write_private(path, {"a": 1})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == '{"a": 1}'


def test_refresh_keeps_the_login_time(tmp_path):
    store = TokenStore(tmp_path / "t.json")
    login = store.save_login(TOKEN, now=1_000_000.0)
    refreshed = store.save_refreshed(login["creation_timestamp"], {**TOKEN, "access_token": "x"})
    assert refreshed["creation_timestamp"] == 1_000_000.0
    assert store.load()["token"]["access_token"] == "x"
    assert store.load()["token"]["expires_at"] > time.time() + 1700


def test_a_refresh_never_overwrites_a_newer_login(tmp_path):
    store = TokenStore(tmp_path / "t.json")
    old = store.save_login(TOKEN, now=1_000_000.0)
    store.save_login({**TOKEN, "access_token": "new"})
    assert store.save_refreshed(old["creation_timestamp"], TOKEN) is None
    assert store.load()["token"]["access_token"] == "new"


def test_unreadable_or_missing_file_reads_as_logged_out(tmp_path):
    store = TokenStore(tmp_path / "t.json")
    assert store.load() is None and store.version() == 0
    store.path.write_text("not json")
    assert store.load() is None
    assert describe(None) == {"logged_in": False}
    assert store.delete() is not False


def test_describe_counts_the_seven_days_from_the_login_and_masks():
    now = 2_000_000.0
    record = {"creation_timestamp": now - 2.5 * 86400, "token": {**TOKEN, "expires_at": now + 600}}
    info = describe(record, now=now)
    assert info["refresh_token_age_days"] == 2.5
    assert info["refresh_token_days_left"] == REFRESH_TOKEN_DAYS - 2.5
    assert info["access_token_expires_in_s"] == 600
    assert TOKEN["access_token"] not in str(info) and info["access_token"] == mask(
        "I0.abcdefghijkl@"
    )
    assert mask(None) == "none" and mask("abcdefgh") == "abcd…(8 chars)"


def test_rejection_is_remembered_in_the_file(tmp_path):
    store = TokenStore(tmp_path / "t.json")
    record = store.save_login(TOKEN)
    store.mark_rejected(record["creation_timestamp"], "unsupported_token_type")
    assert store.load()["refresh_rejected"]["reason"] == "unsupported_token_type"
    assert describe(store.load())["refresh_rejected"]
