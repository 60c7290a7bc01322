from livedata.settings import Settings
from livedata.stack import needs_embedded_redis, supervisor_environment
from tests.conftest import free_port


def test_providers_choose_which_programs_start(tmp_path):
    settings = Settings.from_env({"LIVEDATA_PROVIDERS": "tos", "LIVEDATA_DATA_DIR": str(tmp_path)})
    env = supervisor_environment(settings, embedded=True)
    assert env["LIVEDATA_START_SIM"] == "false" and env["LIVEDATA_START_TOS"] == "true"
    assert env["LIVEDATA_START_REDIS"] == "true"
    assert (tmp_path / "run").is_dir()


def test_embedded_redis_only_for_a_silent_local_url(redis_url):
    assert not needs_embedded_redis(redis_url)  # one answers there
    assert needs_embedded_redis(f"redis://127.0.0.1:{free_port()}/0")
    assert not needs_embedded_redis("redis://redis.example:6379/0")  # remote: not ours to start
    assert not needs_embedded_redis("rediss://localhost:6380/0")
