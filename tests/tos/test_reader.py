import io
import os
import zipfile

import pytest

from services.tos.errors import UnknownSheet, UnreadableWorkbook, WorkbookTooLarge
from services.tos.ranges import parse_range
from services.tos.reader import check_sheet_name, load_range, read_file
from services.tos.sample import write_sample
from tests.tos.conftest import seconds_ago

LIVEDATA = parse_range("A1:N13")


@pytest.fixture
def data(tmp_path) -> bytes:
    return write_sample(tmp_path / "CleanData.xlsm").read_bytes()


def _rezip(data: bytes, name: str, content: bytes | None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = content if item.filename == name else src.read(item.filename)
            if body is not None:
                dst.writestr(item.filename, body)
    return out.getvalue()


def test_values_are_the_cached_rtd_results(data):
    grid = load_range(data, "LiveData", LIVEDATA)
    assert len(grid.values) == 13
    assert grid.values[2][:4] == ("Futures", "ES", "E-mini S&P 500", 6850.5)
    assert grid.values[10][9] == "N/A"  # $DXY has no bid


def test_formulas_come_from_the_same_cells(data):
    grid = load_range(data, "LiveData", LIVEDATA)
    assert grid.formulas[2][3] == '=RTD("tos.rtd",,"CLOSE","/ES:XCME")'
    assert grid.formulas[2][1] == "ES"


def test_explicit_bounds_cut_the_range(data):
    grid = load_range(data, "Futures", parse_range("A1:M12"))
    assert len(grid.values) == 12
    assert {len(row) for row in grid.values} == {13}


def test_saved_time_comes_from_document_properties(tmp_path):
    saved = seconds_ago(42)
    data = write_sample(tmp_path / "x.xlsm", saved_at=saved).read_bytes()
    assert load_range(data, "LiveData", LIVEDATA).saved_at == saved


def test_no_saved_time_without_document_properties(data):
    stripped = _rezip(data, "docProps/core.xml", None)
    assert load_range(stripped, "LiveData", LIVEDATA).saved_at is None


def test_sheet_names_match_as_excel_does(data):
    assert load_range(data, "futures", parse_range("A1:B2")).values[1][1] == "YM"


def test_unknown_sheet_names_the_sheets_there_are(data):
    with pytest.raises(UnknownSheet, match="the workbook has: LiveData, Futures"):
        load_range(data, "Nope", LIVEDATA)


def _zlib_corrupted(data: bytes) -> bytes:
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    broken = bytearray(data)
    broken[start + 5 : start + 13] = b"\xff" * 8
    return bytes(broken)


@pytest.mark.parametrize(
    ("damage", "kind"),
    [
        (lambda d: b"", "BadZipFile"),
        (lambda d: b"PK\x03\x04 not really" * 50, "BadZipFile"),
        (lambda d: d[: len(d) // 2], "BadZipFile"),  # half-written by a save
        (_zlib_corrupted, "zlib.error"),
        (lambda d: _rezip(d, "xl/worksheets/sheet1.xml", b"<<garbage"), "ParseError"),
        (lambda d: _rezip(d, "xl/workbook.xml", None), "KeyError"),
        (lambda d: _rezip(d, "[Content_Types].xml", b"<x/>"), "OSError"),
    ],
    ids=["empty", "garbage", "truncated", "zlib", "bad-xml", "no-workbook-part", "bad-types"],
)
def test_damaged_workbooks_are_unreadable(data, damage, kind):
    with pytest.raises(UnreadableWorkbook, match=kind):
        load_range(damage(data), "LiveData", LIVEDATA)


def test_read_file_reads_everything_and_closes(tmp_path):
    path = write_sample(tmp_path / "CleanData.xlsm")
    data, stat = read_file(path)
    assert data == path.read_bytes() and stat.st_size == len(data)
    assert not any(
        str(path) in os.readlink(f"/proc/self/fd/{fd}")
        for fd in os.listdir("/proc/self/fd")
        if os.path.exists(f"/proc/self/fd/{fd}")
    )


def test_read_file_size_cap(tmp_path):
    path = write_sample(tmp_path / "CleanData.xlsm")
    with pytest.raises(WorkbookTooLarge):
        read_file(path, max_bytes=100)


def test_read_file_notices_a_save_during_the_read(tmp_path, monkeypatch):
    path = write_sample(tmp_path / "CleanData.xlsm")
    real_read = type(path).read_bytes

    def read_then_excel_saves(self):
        data = real_read(self)
        write_sample(path, {"ES": {"LAST": 1.0}})
        return data

    monkeypatch.setattr(type(path), "read_bytes", read_then_excel_saves)
    with pytest.raises(UnreadableWorkbook, match="changed while being read"):
        read_file(path)


@pytest.mark.parametrize("name", ["", "a" * 32, "x[1]", "a/b", "a:b", "a\x00b", None])
def test_impossible_sheet_names(name):
    with pytest.raises(UnknownSheet):
        check_sheet_name(name)


def test_possible_sheet_name():
    assert check_sheet_name("Live Data (2)") == "Live Data (2)"


def test_no_saved_time_when_core_properties_lack_it(data):
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode()
    start, end = core.index("<dcterms:modified"), core.index("</dcterms:modified>") + 19
    stripped = _rezip(data, "docProps/core.xml", (core[:start] + core[end:]).encode())
    assert load_range(stripped, "LiveData", LIVEDATA).saved_at is None
