"""What the Schwab card shows (pure): configured? logged in? token clocks, provider status.

Built on services.schwab's own `describe()` of the token record, which already masks the
tokens; nothing from the token file reaches a template except the clocks.
"""

from __future__ import annotations

from typing import Any

from livedata.settings import Settings
from services.schwab.callback import LISTEN_TIMEOUT, local_callback

REFRESH_WARN_DAYS = 6.0
"""From this age the refresh token (7 days, not extended by refreshing) gets a warning."""


def card_state(
    settings: Settings,
    login: dict[str, Any],
    health: dict[str, Any] | None,
    listener: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`login` is `services.schwab.tokens.describe()`; `health` the provider's record, if any;
    `listener` the callback listener's `ListenerSlot.view()`."""
    if not (settings.schwab_app_key and settings.schwab_app_secret):
        return {"state": "not_configured", "label": "not configured"}
    card: dict[str, Any] = {
        "provider": health and {k: health.get(k) for k in ("status", "detail", "age_s")},
        "symbols": list((health or {}).get("symbols") or settings.schwab_symbols),
        "callback_url": settings.schwab_callback_url,
        "auto_callback": local_callback(settings.schwab_callback_url) is not None,
        "listen_minutes": round(LISTEN_TIMEOUT / 60),
        "listener": listener if listener and listener["status"] != "stopped" else None,
    }
    rejected = login.get("refresh_rejected")
    expired = login.get("logged_in") and login.get("refresh_token_days_left", 0) <= 0
    asks = (health or {}).get("status") == "auth_required"
    if not login.get("logged_in") or rejected or expired or asks:
        reason = _why_login(login, rejected, expired, health)
        return {**card, "state": "login_required", "label": "login required", "reason": reason}
    age = float(login["refresh_token_age_days"])
    return {
        **card,
        "state": "connected",
        "label": "connected",
        "login_at": login["login_at"],
        "access_expires_in_s": int(login["access_token_expires_in_s"]),
        "refresh_age_days": age,
        "refresh_days_left": float(login["refresh_token_days_left"]),
        "refresh_warning": age >= REFRESH_WARN_DAYS,
    }


def _why_login(login: dict, rejected: Any, expired: Any, health: dict | None) -> str:
    if not login.get("logged_in"):
        return "no Schwab login is stored"
    if rejected:
        return "Schwab refused the refresh token"
    if expired:
        return "the 7-day refresh token has run out"
    return str((health or {}).get("detail") or "the provider asks for a new login")
