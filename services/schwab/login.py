"""The interactive login: the authorize URL, then the redirected URL exchanged for tokens.

Used by `livedata schwab login` and by the admin page. The `state` sent with the authorize
URL is kept in a 0600 file for LOGIN_STATE_TTL, so the redirected URL may come back in a
later command (`--redirect-url`) or from the admin page and still be checked.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests
from oauthlib.oauth2 import (
    InsecureTransportError,
    MismatchingStateError,
    MissingCodeError,
    OAuth2Error,
)

from livedata.settings import Settings
from services.schwab.errors import LoginError, TransientError
from services.schwab.oauth import (
    AUTHORIZE_PATH,
    HTTP_TIMEOUT,
    TOKEN_PATH,
    credentials,
    oauth_session,
)
from services.schwab.tokens import TokenStore, write_private

LOGIN_STATE_FILE = "schwab-login.json"
LOGIN_STATE_TTL = 600.0
"""Seconds an authorize URL stays answerable (the code itself lives only ~30 s)."""


def start_login(settings: Settings) -> str:
    """A fresh authorize URL; its `state` is remembered for `finish_login`."""
    with oauth_session(settings) as session:
        url, state = session.authorization_url(settings.schwab_api_base + AUTHORIZE_PATH)
    write_private(_state_path(settings), {"state": state, "created": time.time()})
    return url


def finish_login(settings: Settings, redirect_url: str) -> dict[str, Any]:
    """Exchange the code in the redirected URL (state checked, `%40` decoded); store tokens."""
    redirect_url = redirect_url.strip()
    if not redirect_url.startswith(settings.schwab_callback_url):
        raise LoginError(
            f"the redirected URL must start with SCHWAB_CALLBACK_URL "
            f"({settings.schwab_callback_url}); paste the whole address bar"
        )
    try:
        with oauth_session(settings, state=_pending_state(settings)) as session:
            token = session.fetch_token(
                settings.schwab_api_base + TOKEN_PATH,
                authorization_response=redirect_url,
                auth=credentials(settings),
                timeout=HTTP_TIMEOUT,
            )
    except InsecureTransportError:
        raise LoginError("SCHWAB_API_BASE must be an https:// URL") from None
    except MismatchingStateError:
        raise LoginError(
            "state mismatch: this URL does not answer the last authorize URL; log in again"
        ) from None
    except MissingCodeError:
        raise LoginError("the redirected URL has no code; paste the whole address bar") from None
    except OAuth2Error as exc:
        raise LoginError(
            f"Schwab refused the code ({exc.error}): codes are single-use and live ~30 s; "
            "log in again and paste the URL right away"
        ) from None
    except (TransientError, requests.RequestException) as exc:
        raise LoginError(f"token endpoint trouble ({exc or type(exc).__name__}); retry") from None
    record = TokenStore.for_settings(settings).save_login(dict(token))
    _state_path(settings).unlink(missing_ok=True)
    return record


def _pending_state(settings: Settings) -> str:
    try:
        pending = json.loads(_state_path(settings).read_text())
    except (OSError, ValueError):
        raise LoginError(
            "no login in progress: run `livedata schwab login` to get an authorize URL first"
        ) from None
    if time.time() - float(pending.get("created", 0)) > LOGIN_STATE_TTL:
        raise LoginError("the authorize URL is too old; run `livedata schwab login` again")
    return str(pending["state"])


def _state_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / LOGIN_STATE_FILE
