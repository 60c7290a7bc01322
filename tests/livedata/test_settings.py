from pathlib import Path

import pytest

from livedata.exceptions import SettingsError
from livedata.settings import DEFAULT_SIM_SYMBOLS, Settings, parse_aliases


def test_defaults_match_the_design():
    s = Settings.from_env({})
    assert s.redis_url == "redis://localhost:6379/0"
    assert (s.api_bind, s.admin_bind) == ("127.0.0.1:8000", "127.0.0.1:8001")
    assert s.providers == ("sim",)
    assert (s.max_symbols, s.quote_stream_maxlen) == (500, 100_000)
    assert s.sim_symbols == DEFAULT_SIM_SYMBOLS and len(s.sim_symbols) == 11
    assert (s.tos_sheet, s.tos_range, s.tos_poll_interval) == ("LiveData", "A1:N13", 0.5)
    assert s.schwab_api_base == "https://api.schwabapi.com"
    assert s.data_dir == Path("var")


def test_redis_url_wins_over_host_port_db():
    env = {"REDIS_URL": "rediss://cache:6380/2", "REDIS_HOST": "other", "REDIS_PORT": "1"}
    assert Settings.from_env(env).redis_url == "rediss://cache:6380/2"


def test_host_port_db_as_the_original_read_them():
    env = {"REDIS_HOST": "redis.lan", "REDIS_PORT": "6380", "REDIS_DB": "3"}
    assert Settings.from_env(env).redis_url == "redis://redis.lan:6380/3"


def test_unix_socket_url_is_accepted():
    assert Settings.from_env({"REDIS_URL": "unix:///run/redis.sock"}).redis_url.startswith("unix")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL"),
        ({"REDIS_PORT": "sixty"}, "REDIS_PORT must be an integer"),
        ({"MAX_SYMBOLS": "0"}, "MAX_SYMBOLS must be at least 1"),
        ({"SIM_RATE": "-5"}, "SIM_RATE must be a positive number"),
        ({"SIM_RATE": "nan"}, "SIM_RATE must be a positive number"),
        ({"API_BIND": "8000"}, "API_BIND must look like HOST:PORT"),
        ({"LIVEDATA_PROVIDERS": "sim,ibkr"}, "unknown provider(s) ibkr"),
        ({"SYMBOL_ALIASES": "DX"}, "SYMBOL_ALIASES entries must look like FROM=TO"),
    ],
)
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env)


def test_aliases_are_upper_cased():
    assert parse_aliases(" $dxy=dx , RT=rty ") == {"$DXY": "DX", "RT": "RTY"}


def test_repr_hides_secrets():
    env = {
        "REDIS_URL": "redis://:hunter2@localhost:6379/0",
        "ADMIN_TOKEN": "admintok",
        "SCHWAB_APP_SECRET": "appsecret",
    }
    text = repr(Settings.from_env(env))
    assert "hunter2" not in text and "admintok" not in text and "appsecret" not in text


def test_every_setting_is_documented_in_the_readme():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    source = (Path(__file__).parents[2] / "livedata" / "settings.py").read_text()
    import re

    names = set(re.findall(r'reader\.\w+\(\s*"([A-Z_]+)"', source))
    names |= {"REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_DB"}
    assert len(names) > 20
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"settings missing from README: {missing}"
