"""GET /api/feed/tos/quotes/latest/ against a real Redis and real sample workbooks."""

import json
import os
import threading

import pytest

from livedata import channels
from services.api import create_app
from services.tos import endpoint
from services.tos.sample import write_sample
from tests.conftest import free_port, wait_for
from tests.tos.conftest import WORKBOOK, seconds_ago

URL = "/api/feed/tos/quotes/latest/"
README_URL = (
    URL + "?consumer=x&file_path=A:\\\\Thor\\\\CleanData.xlsm&sheet_name=Futures&data_range=A1:M12"
)


@pytest.fixture
def reads(monkeypatch) -> list:
    """Every workbook file the endpoint reads."""
    calls: list = []
    real = endpoint.read_file

    def counting(path, *args):
        calls.append(path)
        return real(path, *args)

    monkeypatch.setattr(endpoint, "read_file", counting)
    return calls


def nothing_published(rclient) -> bool:
    return rclient.xlen(channels.QUOTE_STREAM) == 0 and rclient.hlen(channels.LATEST_QUOTES) == 0


def refused(client, rclient, status, url=URL, **params) -> str:
    response = client.get(url, query_string=params or None)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert isinstance(error, str) and error
    assert nothing_published(rclient)
    return error


def test_the_readme_example_url(client, workbook, rclient):
    response = client.get(README_URL)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert list(body) == ["quotes", "rows", "count", "source", "workbook", "sheet", "range",
                          "as_of", "consumer"]  # fmt: skip
    assert (body["count"], body["source"], body["consumer"]) == (11, "tos_excel", "x")
    assert (body["workbook"], body["sheet"], body["range"]) == (WORKBOOK, "Futures", "A1:M12")
    assert body["as_of"].endswith("Z")
    assert len(body["rows"]) == 11 and body["rows"][10]["Last"] == "117'14"
    zb = body["quotes"][10]
    assert (zb["symbol"], zb["last"], zb["provider_symbol"]) == ("ZB", 117.4375, "/ZB:XCBT")
    stored = json.loads(rclient.hget(channels.LATEST_QUOTES, "ZB"))
    assert {name: stored[name] for name in zb} == zb  # published as returned, seq included
    assert rclient.xlen(channels.QUOTE_STREAM) == 11


def test_single_backslashes_work_too(client, workbook):
    response = client.get(URL, query_string={"file_path": "A:\\Thor\\CleanData.xlsm"})
    assert response.status_code == 200


def test_defaults_read_the_configured_livedata_range(client, workbook):
    body = client.get(URL.rstrip("/")).get_json()  # trailing slash optional
    assert (body["sheet"], body["range"], body["count"]) == ("LiveData", "A1:N13", 11)
    assert body["rows"][-1]["Symbol"] == "6E"  # the loading row is shown, not published
    assert body["consumer"] is None
    dxy = next(q for q in body["quotes"] if q["symbol"] == "$DXY")
    assert dxy["bid"] is None and dxy["ask"] is None


def test_a_stale_workbook_serves_stale_quotes(client, workbook_dir):
    write_sample(workbook_dir / WORKBOOK, saved_at=seconds_ago(120))
    body = client.get(URL).get_json()
    assert all(q["stale"] for q in body["quotes"])


def test_a_save_in_progress_is_retried(client, workbook, monkeypatch):
    real = endpoint.read_file

    def vanished_once(path, *args):
        monkeypatch.setattr(endpoint, "read_file", real)
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(endpoint, "read_file", vanished_once)
    assert client.get(URL).status_code == 200


# --- bad input: each a 4xx JSON error, nothing read, nothing published ---------------------


@pytest.mark.parametrize("name", ["../CleanData.xlsm", "..\\..\\CleanData.xlsm", "A:\\..\\x.xlsm"])
def test_dot_dot(client, rclient, workbook, reads, name):
    assert "'..'" in refused(client, rclient, 400, file_path=name)
    assert reads == []


def test_absolute_path(client, rclient, workbook, reads):
    assert "absolute" in refused(client, rclient, 400, file_path="/etc/CleanData.xlsm")
    assert "absolute" in refused(client, rclient, 400, file_path=str(workbook))
    assert reads == []


def test_percent_encoded_dot_dot(client, rclient, workbook, reads):
    once = refused(client, rclient, 400, url=URL + "?file_path=%2e%2e%2fCleanData.xlsm")
    twice = refused(client, rclient, 400, url=URL + "?file_path=%252e%252e%252fCleanData.xlsm")
    assert "'..'" in once and "percent" in twice
    assert reads == []


def test_unc_path(client, rclient, workbook, reads):
    assert "UNC" in refused(client, rclient, 400, file_path="\\\\host\\share\\x.xlsm")
    assert reads == []


def test_nul_byte(client, rclient, workbook, reads):
    error = refused(client, rclient, 400, url=URL + "?file_path=CleanData.xlsm%00.txt")
    assert "control characters" in error
    assert reads == []


def test_five_kilobyte_name(client, rclient, workbook, reads):
    assert "at most 255" in refused(client, rclient, 400, file_path="a" * 5000 + ".xlsm")
    assert reads == []


@pytest.mark.parametrize("name", ["CleanData.csv", "CleanData.xls", "passwd", "CleanData.xlsm.py"])
def test_non_excel_extension(client, rclient, workbook, reads, name):
    assert ".xlsx or .xlsm" in refused(client, rclient, 400, file_path=name)
    assert reads == []


def test_symlink_outside_the_directory(client, rclient, workbook_dir, tmp_path, reads):
    outside = write_sample(tmp_path / "Private.xlsm")  # a real workbook: reading it would publish
    os.symlink(outside, workbook_dir / "Evil.xlsm")
    assert "outside" in refused(client, rclient, 400, file_path="Evil.xlsm")
    assert reads == []


def test_unknown_sheet(client, rclient, workbook):
    error = refused(client, rclient, 400, sheet_name="Nope")
    assert "Nope" in error and "LiveData, Futures" in error


def test_impossible_sheet_name(client, rclient, workbook, reads):
    refused(client, rclient, 400, sheet_name="a/b[1]")
    assert reads == []


@pytest.mark.parametrize(
    ("cells", "says"),
    [("M12:A1", "reversed"), ("A:M", "not a range"), ("XFE1", "not a range"),
     ("XFE1:XFE9", "outside"), ("A1:ZZ100000", "cells"), ("Futures!A1:M12", "sheet")],
)  # fmt: skip
def test_bad_range(client, rclient, workbook, reads, cells, says):
    assert says in refused(client, rclient, 400, data_range=cells)
    assert reads == []


def test_corrupt_workbook(client, rclient, workbook):
    workbook.write_bytes(workbook.read_bytes()[:2000])
    assert "not a readable workbook" in refused(client, rclient, 422)


def test_garbage_workbook(client, rclient, workbook):
    workbook.write_bytes(b"this is not a zip file" * 10)
    refused(client, rclient, 422)


def test_missing_workbook(client, rclient, reads):
    assert "not found" in refused(client, rclient, 404, file_path="Nope.xlsm")
    assert reads == []


def test_bad_consumer(client, rclient, workbook, reads):
    refused(client, rclient, 400, consumer="<script>")
    assert reads == []


def test_no_workbook_configured_and_none_named(app, client, rclient):
    app.extensions["livedata_settings"] = app.extensions["livedata_settings"].with_overrides(
        tos_workbooks=()
    )
    assert "file_path is required" in refused(client, rclient, 400)


# --- single flight, Redis down, OpenAPI -----------------------------------------------------


@pytest.fixture
def blocked_parse(monkeypatch):
    """Parses wait for `release`; `calls` counts them."""
    release, calls = threading.Event(), []
    real = endpoint.load_range

    def slow(*args):
        calls.append(1)
        release.wait(10)
        return real(*args)

    monkeypatch.setattr(endpoint, "load_range", slow)
    yield release, calls
    release.set()


def _get_in_thread(app, box, key):
    def target():
        box[key] = app.test_client().get(URL)

    thread = threading.Thread(target=target)
    thread.start()
    return thread


def _flight_key(settings):
    from services.tos.ranges import parse_range

    path = (settings.tos_workbook_dir / WORKBOOK).resolve()
    return (str(path), "livedata", parse_range("A1:N13"))


def test_a_concurrent_request_gets_409_rather_than_a_second_parse(
    app, client, settings, workbook, rclient, blocked_parse, monkeypatch
):
    release, calls = blocked_parse
    monkeypatch.setattr(endpoint.FLIGHTS, "wait", 0.05)
    box: dict = {}
    first = _get_in_thread(app, box, "first")
    wait_for(lambda: endpoint.FLIGHTS.running(_flight_key(settings)))
    second = client.get(URL)
    assert second.status_code == 409 and "retry" in second.get_json()["error"]
    release.set()
    first.join(10)
    assert box["first"].status_code == 200
    assert len(calls) == 1


def test_a_concurrent_request_waits_and_shares_the_read(
    app, settings, workbook, rclient, blocked_parse
):
    release, calls = blocked_parse
    box: dict = {}
    first = _get_in_thread(app, box, "first")
    key = _flight_key(settings)
    wait_for(lambda: endpoint.FLIGHTS.running(key))
    second = _get_in_thread(app, box, "second")
    wait_for(lambda: endpoint.FLIGHTS.waiting(key) == 1)
    release.set()
    first.join(10), second.join(10)
    assert box["first"].status_code == box["second"].status_code == 200
    assert box["first"].get_json()["quotes"] == box["second"].get_json()["quotes"]
    assert len(calls) == 1
    assert rclient.xlen(channels.QUOTE_STREAM) == 11  # published once


def test_redis_down_is_a_fast_503(settings, workbook):
    dead = settings.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    response = create_app({"SETTINGS": dead, "TESTING": True}).test_client().get(URL)
    assert response.status_code == 503 and response.get_json()["error"]


def test_openapi_documents_the_endpoint(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    operation = paths[URL]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "consumer", "file_path", "sheet_name", "data_range",
    }  # fmt: skip
    assert {"200", "400", "404", "409", "422"} <= set(operation["responses"])
