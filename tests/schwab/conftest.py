"""Fixtures for the Schwab provider: the fake Schwab, settings pointing at it, a login, and a
provider running in a thread with short timings."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import requests

from livedata.provider import ProviderRuntime, StopFlag
from livedata.settings import Settings
from services.schwab.login import finish_login, start_login
from services.schwab.provider import SchwabProvider
from services.schwab.streamer import Tuning
from tests.fakes.schwab_server import FakeConfig, FakeSchwab

FAST = Tuning(
    heartbeat_limit=1.0,
    login_timeout=3.0,
    backoff_base=0.05,
    backoff_cap=0.3,
    healthy_after=2.0,
    takeover_pause=30.0,
    auth_poll=0.1,
)


@pytest.fixture
def fake() -> Iterator[FakeSchwab]:
    server = FakeSchwab(FakeConfig(heartbeat_interval=0.2)).start()
    yield server
    server.stop()


@pytest.fixture
def schwab_env(fake: FakeSchwab, redis_url: str, tmp_path, monkeypatch) -> dict[str, str]:
    """The environment of a LiveData pointed at the fake (also set on os.environ for the CLI)."""
    # The fake speaks plain http on 127.0.0.1; only tests ever allow that.
    assert fake.api_base.startswith("http://127.0.0.1:")
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    env = {
        "REDIS_URL": redis_url,
        "LIVEDATA_DATA_DIR": str(tmp_path / "data"),
        "SCHWAB_API_BASE": fake.api_base,
        "SCHWAB_APP_KEY": fake.state.config.app_key,
        "SCHWAB_APP_SECRET": fake.state.config.app_secret,
        "SCHWAB_SYMBOLS": "/ES,/NQ,AAPL,$SPX",
        "SCHWAB_ACCOUNT_POLL_SECONDS": "0.5",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def schwab_settings(schwab_env: dict[str, str]) -> Settings:
    return Settings.from_env(schwab_env)


def browse(authorize_url: str) -> str:
    """What the browser does after the user clicks Allow: follow to the callback URL."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


@pytest.fixture
def login(schwab_settings: Settings) -> Callable[[], dict]:
    """Log in through the library path the admin page uses (the CLI has its own tests)."""
    return lambda: finish_login(schwab_settings, browse(start_login(schwab_settings)))


class RunningProvider:
    """A SchwabProvider in a thread; `stop()` ends it like SIGTERM would."""

    def __init__(self, settings: Settings, fallback_after: float = 60.0) -> None:
        self.stop_flag = StopFlag()
        self.provider = SchwabProvider(
            settings, ProviderRuntime("schwab", settings), FAST, fallback_after=fallback_after
        )
        self.thread = threading.Thread(target=self.provider.run, args=(self.stop_flag,))

    def start(self) -> RunningProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_flag.event.set()
        self.thread.join(10)
        assert not self.thread.is_alive(), "provider did not stop within 10 s"


@pytest.fixture
def run_provider(schwab_settings: Settings) -> Iterator[Callable[..., RunningProvider]]:
    started: list[RunningProvider] = []

    def start(**options) -> RunningProvider:
        started.append(RunningProvider(schwab_settings, **options).start())
        return started[-1]

    yield start
    for running in started:
        running.stop()
