"""Docker is not available on these machines: check what can be checked without it."""

from pathlib import Path

import yaml
from click.testing import CliRunner

from livedata.cli import SUBCOMMANDS, main

ROOT = Path(__file__).parents[1]


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_redis_with_healthcheck_and_livedata():
    services = compose()["services"]
    assert services["redis"]["healthcheck"]["test"][-1] == "ping"
    assert services["livedata"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["livedata"]["environment"]["REDIS_URL"].startswith("redis://redis:")


def test_compose_publishes_ports_on_loopback_only():
    for name, service in compose()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_compose_and_dockerfile_name_real_commands():
    command = compose()["services"]["livedata"]["command"]
    assert command[0] == "livedata" and command[1] in SUBCOMMANDS
    assert 'CMD ["livedata", "up"]' in (ROOT / "Dockerfile").read_text()


def test_every_supervisord_program_runs_a_real_subcommand():
    import configparser

    config = configparser.RawConfigParser()
    config.read(ROOT / "supervisord.conf")
    programs = [s for s in config.sections() if s.startswith("program:")]
    assert {
        "program:redis",
        "program:api",
        "program:admin",
        "program:sim",
        "program:tos",
        "program:schwab",
    } <= set(programs)
    for section in programs:
        argv = config.get(section, "command").split()
        assert argv[0] == "livedata"
        result = CliRunner().invoke(main, [*argv[1:], "--help"])
        assert result.exit_code == 0, (section, result.output)
        assert config.get(section, "stopasgroup") == "true"
