import zipfile
from datetime import UTC, datetime
from io import BytesIO

import openpyxl
import pytest

from services.tos.xlsx import XLSM_TYPE, Rtd, save_like_excel, workbook_bytes

SAVED = datetime(2025, 10, 24, 14, 33, 12, tzinfo=UTC)
SHEETS = {
    "LiveData": [
        ["Symbol", "Last", "Bid", "Volume", "Ask"],
        ["ES", Rtd("LAST", "/ES:XCME", 6857.25), Rtd("BID", "/ES:XCME", 6857.0, '""'),
         Rtd("VOLUME", "/ES:XCME", 1234567), Rtd("ASK", "/ES:XCME", "#N/A")],
        ["$DXY", Rtd("LAST", "$A3", 99.532), Rtd("BID", "$A3", "N/A"), Rtd("VOLUME", "$A3"),
         Rtd("ASK", "$A3", "<&>")],
    ],
    "Other": [["x", Rtd("LAST", "/NQ", 1.5)]],
}  # fmt: skip


@pytest.fixture
def package() -> bytes:
    return workbook_bytes(SHEETS, SAVED)


def test_cells_carry_formula_and_cached_value_as_excel_writes_them(package):
    xml = zipfile.ZipFile(BytesIO(package)).read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="B2"><f>RTD("tos.rtd",,"LAST","/ES:XCME")</f><v>6857.25</v></c>' in xml
    assert '<c r="C2"><f>RTD("tos.rtd","","BID","/ES:XCME")</f><v>6857</v></c>' in xml
    assert '<c r="E2" t="e"><f>RTD("tos.rtd",,"ASK","/ES:XCME")</f><v>#N/A</v></c>' in xml
    assert '<c r="C3" t="str"><f>RTD("tos.rtd",,"BID",$A3)</f><v>N/A</v></c>' in xml
    assert '<c r="D3" t="str"><f>RTD("tos.rtd",,"VOLUME",$A3)</f><v></v></c>' in xml
    assert "<v>&lt;&amp;&gt;</v>" in xml


def test_floats_keep_excels_17_digits():
    package = workbook_bytes({"S": [[Rtd("LAST", "$DXY", 99.532)]]}, SAVED)
    xml = zipfile.ZipFile(BytesIO(package)).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>99.531999999999996</v>" in xml


def test_data_only_reads_the_cached_values(package):
    workbook = openpyxl.load_workbook(BytesIO(package), read_only=True, data_only=True)
    rows = list(workbook["LiveData"].iter_rows(min_row=2, max_row=3, values_only=True))
    other = list(workbook["Other"].iter_rows(values_only=True))
    workbook.close()
    assert rows == [
        ("ES", 6857.25, 6857, 1234567, "#N/A"),
        ("$DXY", 99.532, "N/A", None, "<&>"),
    ]
    assert other == [("x", 1.5)]


def test_formulas_read_back_as_formula_text(package):
    workbook = openpyxl.load_workbook(BytesIO(package), read_only=True, data_only=False)
    row = next(workbook["LiveData"].iter_rows(min_row=2, max_row=2, values_only=True))
    workbook.close()
    assert row[1] == '=RTD("tos.rtd",,"LAST","/ES:XCME")'


def test_saved_time_and_macro_content_type(package):
    archive = zipfile.ZipFile(BytesIO(package))
    assert XLSM_TYPE in archive.read("[Content_Types].xml").decode()
    workbook = openpyxl.load_workbook(BytesIO(package), read_only=True)
    assert workbook.properties.modified == SAVED.replace(tzinfo=None)
    workbook.close()


def test_xlsx_keeps_the_plain_content_type():
    package = workbook_bytes(SHEETS, SAVED, macro=False)
    assert XLSM_TYPE not in zipfile.ZipFile(BytesIO(package)).read("[Content_Types].xml").decode()


def test_save_like_excel_replaces_the_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "CleanData.xlsm"
    path.write_bytes(b"old")
    save_like_excel(path, b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["CleanData.xlsm"]
