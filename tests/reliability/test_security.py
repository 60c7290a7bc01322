"""Redis credentials and transport: ACL users (a publisher, a read-only API user that cannot
PUBLISH) and `rediss://` (TLS) with the real processes; no password in any process's log."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import redis
import requests

from livedata import channels
from livedata.client import LiveDataClient
from livedata.embedded_redis import redis_server_binary
from tests.conftest import free_port, wait_for
from tests.reliability.conftest import Collector, service_env, status_of

PUBLISHER_PASSWORD = "pub-Secret-7f3a9"  # noqa: S105 - a test password
READER_PASSWORD = "api-Secret-51c2e"  # noqa: S105 - a test password
SNAPSHOT = "/api/feed/quotes/snapshot/?symbols=ES,NQ"

# The provider: its own keys and channels, scripts, nothing administrative.
PUBLISHER_ACL = [
    "on",
    f">{PUBLISHER_PASSWORD}",
    "~live_data:*",
    "&live_data:*",
    "+@all",
    "-@admin",
    "-@dangerous",
]
# The API: reads keys, subscribes; no write of any kind, no PUBLISH.
READER_ACL = [
    "on",
    f">{READER_PASSWORD}",
    "~live_data:*",
    "&live_data:*",
    "-@all",
    "+@read",
    "+@connection",
    "+subscribe",
    "+psubscribe",
    "+unsubscribe",
    "+punsubscribe",
]


def user_url(port: int, user: str, password: str) -> str:
    return f"redis://{user}:{password}@127.0.0.1:{port}/0"


@pytest.fixture
def acl_redis(own_redis):
    """own_redis with a publisher user, a read-only API user, and the default user off."""
    admin = redis.Redis.from_url(own_redis.url, decode_responses=True)
    admin.acl_setuser(
        "admin",
        enabled=True,
        passwords=["+admin-pw"],
        commands=["+@all"],
        keys=["*"],
        channels=["*"],
    )
    admin.execute_command("ACL", "SETUSER", "publisher", *PUBLISHER_ACL)
    admin.execute_command("ACL", "SETUSER", "apireader", *READER_ACL)
    admin.execute_command("ACL", "SETUSER", "default", "off")
    admin.close()
    port = own_redis.port
    yield {
        "publisher": user_url(port, "publisher", PUBLISHER_PASSWORD),
        "reader": user_url(port, "apireader", READER_PASSWORD),
        "admin": user_url(port, "admin", "admin-pw"),
        "anonymous": own_redis.url,
    }


@pytest.mark.reliability(
    "Redis ACL users",
    "the sim as a publisher user, the API as a read-only user, default user off",
    (
        "snapshot, health and SSE work; the API user cannot PUBLISH/HSET/XADD/FLUSHALL; no "
        "password in either log"
    ),
)
@pytest.mark.slow
def test_publisher_and_read_only_api_users(acl_redis, spawn, start_api, tmp_path):
    sim = spawn(["sim"], service_env(acl_redis["publisher"], tmp_path, SIM_SYMBOLS="ES,NQ"))
    api, base = start_api(acl_redis["reader"])

    # The API reads: snapshot, provider health, a live SSE stream.
    body = wait_for(
        lambda: (
            (r := requests.get(base + SNAPSHOT, timeout=5)).status_code == 200
            and r.json()["count"] == 2
            and r.json()
        ),
        timeout=15,
    )
    assert {q["source"] for q in body["quotes"]} == {"sim"}
    health = requests.get(base + "/api/feed/providers/", timeout=5).json()
    assert [p["provider"] for p in health["providers"]] == ["sim"]
    consumer = Collector(LiveDataClient(api_url=base), ("ES", "NQ"))
    try:
        wait_for(lambda: consumer.count() > 20, timeout=10)
    finally:
        consumer.close()

    # The API's user cannot write anything, PUBLISH included.
    reader = redis.Redis.from_url(acl_redis["reader"], decode_responses=True)
    try:
        assert reader.hget(channels.LATEST_QUOTES, "ES")
        with pytest.raises(redis.exceptions.NoPermissionError):
            reader.publish(channels.quote_channel("ES"), "{}")
        with pytest.raises(redis.exceptions.NoPermissionError):
            reader.hset(channels.LATEST_QUOTES, "ES", "{}")
        with pytest.raises(redis.exceptions.NoPermissionError):
            reader.xadd(channels.QUOTE_STREAM, {"symbol": "ES"})
        with pytest.raises(redis.exceptions.NoPermissionError):
            reader.flushall()
    finally:
        reader.close()
    # Without credentials, nothing at all.
    anonymous = redis.Redis.from_url(acl_redis["anonymous"])
    with pytest.raises(redis.exceptions.AuthenticationError):
        anonymous.ping()
    anonymous.close()

    # The one endpoint that publishes (the TOS workbook read) says why it cannot: no 500.
    resp = requests.get(base + "/api/feed/tos/quotes/latest/", timeout=5)
    assert resp.status_code in (400, 404, 503), resp.text  # no workbook configured here

    # No password in any log line of either process.
    for service in (sim, api):
        output = service.output()
        assert output, f"{service.log.name} is empty"
        for secret in (PUBLISHER_PASSWORD, READER_PASSWORD):
            assert secret not in output, f"{secret[:6]}... in {service.log.name}"
    assert sim.alive() and api.alive()


@pytest.mark.reliability(
    "The one writing endpoint (TOS) with a read-only Redis user",
    "GET the workbook endpoint",
    "503 naming the ACL problem, not a 500",
)
def test_a_read_only_api_user_refused_a_write_is_a_clear_503_not_a_500(
    acl_redis, make_app, tmp_path
):
    """The TOS endpoint publishes what it reads; with a read-only Redis user it cannot."""
    from livedata.settings import Settings
    from services.tos.sample import write_sample

    workbooks = tmp_path / "workbooks"
    workbooks.mkdir()
    write_sample(workbooks / "CleanData.xlsm")
    settings = Settings.from_env(
        {
            "REDIS_URL": acl_redis["reader"],
            "TOS_WORKBOOK_DIR": str(workbooks),
            "TOS_WORKBOOK": "CleanData.xlsm",
        }
    )
    client = make_app(settings).test_client()
    resp = client.get("/api/feed/tos/quotes/latest/")
    assert resp.status_code == 503
    assert "may not" in resp.get_json()["error"] and "ACL" in resp.get_json()["error"]
    assert READER_PASSWORD not in resp.get_data(as_text=True)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key."""
    cert, key = directory / "redis.crt", directory / "redis.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


@pytest.fixture
def tls_redis(tmp_path):
    """A redis-server answering only TLS; its rediss:// URL (verifying our CA)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a certificate")
    cert, key = make_certificate(tmp_path)
    port = free_port()
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--tls-cert-file",
            str(cert),
            "--tls-key-file",
            str(key),
            "--tls-ca-cert-file",
            str(cert),
            "--tls-auth-clients",
            "no",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"rediss://127.0.0.1:{port}/0?ssl_cert_reqs=required&ssl_ca_certs={cert}"

    def answers() -> bool:
        if process.poll() is not None:
            pytest.fail("redis-server refused TLS: " + process.stdout.read()[-300:])
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    try:
        wait_for(answers, timeout=10)
        yield url, port
    finally:
        process.kill()
        process.wait(5)
        process.stdout.close()


@pytest.mark.reliability(
    "Redis over TLS (`rediss://`)",
    "a TLS-only redis-server with a fresh certificate; sim, API, Redis and SSE consumers",
    "quotes flow end to end with no gap; plain text is refused",
)
@pytest.mark.slow
def test_everything_works_over_rediss(tls_redis, spawn, start_api, tmp_path):
    url, port = tls_redis
    spawn(["sim"], service_env(url, tmp_path, SIM_SYMBOLS="ES,NQ", SIM_RATE="100"))
    _, base = start_api(url)
    wait_for(lambda: requests.get(base + SNAPSHOT, timeout=5).json().get("count") == 2, 15)
    consumers = [
        Collector(LiveDataClient(redis_url=url), ("ES", "NQ")),
        Collector(LiveDataClient(api_url=base), ("ES", "NQ")),
    ]
    try:
        wait_for(lambda: all(c.count() > 20 for c in consumers), timeout=15)
    finally:
        for consumer in consumers:
            consumer.close()
    assert all(c.gaps() == [] for c in consumers)
    # The port speaks TLS only: a plain-text client gets nowhere.
    plain = redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1)
    with pytest.raises(redis.RedisError):
        plain.ping()
    plain.close()
    assert status_of(base + "/healthz") == 200
