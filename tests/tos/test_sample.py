from io import BytesIO

import openpyxl
from click.testing import CliRunner

from services.tos.sample import HEADERS, main, write_sample
from tests.tos.conftest import seconds_ago


def _values(path, sheet, cells, data_only=True):
    workbook = openpyxl.load_workbook(BytesIO(path.read_bytes()), data_only=data_only)
    values = [[c.value for c in row] for row in workbook[sheet][cells]]
    workbook.close()
    return values


def test_livedata_sheet_has_the_original_layout(tmp_path):
    path = write_sample(tmp_path / "CleanData.xlsm")
    rows = _values(path, "LiveData", "A1:N13")
    assert tuple(rows[0]) == HEADERS == (
        "Type", "Symbol", "Description", "Close", "Open", "NetChange", "24High", "24Low",
        "Volume", "Bid", "Last", "Ask", "BidSize", "AskSize",
    )  # fmt: skip
    assert [row[1] for row in rows[1:]] == [
        "YM", "ES", "NQ", "RTY", "CL", "SI", "HG", "GC", "VX", "$DXY", "ZB", "6E",
    ]  # fmt: skip
    assert rows[12][3:] == [None] * 11  # the loading row


def test_formulas_hold_the_tos_symbol(tmp_path):
    path = write_sample(tmp_path / "CleanData.xlsm")
    es = _values(path, "LiveData", "A3:N3", data_only=False)[0]
    assert es[10] == '=RTD("tos.rtd",,"LAST","/ES:XCME")'
    futures = _values(path, "Futures", "A3:M3", data_only=False)[0]
    assert futures[10] == '=RTD("tos.rtd","","LAST","/ES:XCME")'


def test_futures_sheet_matches_the_readme_range(tmp_path):
    path = write_sample(tmp_path / "CleanData.xlsm")
    rows = _values(path, "Futures", "A1:M12")
    assert rows[0][-1] == "BidSize"
    assert rows[-1][1] == "ZB" and rows[-1][10] == "117'14"
    assert rows[9][12] == "#N/A"


def test_overrides_and_saved_time(tmp_path):
    saved = seconds_ago(60)
    path = write_sample(tmp_path / "CleanData.xlsm", {"ES": {"LAST": 6900.5}}, saved_at=saved)
    assert _values(path, "LiveData", "K3:K3") == [[6900.5]]
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.properties.modified == saved.replace(tzinfo=None)
    workbook.close()


def test_cli_writes_the_workbook(tmp_path):
    result = CliRunner().invoke(main, [str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "CleanData.xlsm").is_file()
