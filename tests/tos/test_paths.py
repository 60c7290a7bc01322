import os

import pytest

from services.tos.errors import BadPath, WorkbookMissing
from services.tos.paths import resolve_workbook, workbook_name


@pytest.mark.parametrize(
    "raw",
    [
        "CleanData.xlsm",
        "A:\\Thor\\CleanData.xlsm",
        "A:\\\\Thor\\\\CleanData.xlsm",  # the README's URL, backslashes doubled
        "a:/Thor/CleanData.xlsm",
        "A:CleanData.xlsm",
        "Thor\\CleanData.xlsm",
        "  CleanData.xlsm ",
    ],
)
def test_only_the_file_name_is_used(raw):
    assert workbook_name(raw) == "CleanData.xlsm"


def test_extensions_are_case_insensitive():
    assert workbook_name("RTD_TOS.XLSX") == "RTD_TOS.XLSX"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("../CleanData.xlsm", r"'\.\.'"),
        ("..\\..\\CleanData.xlsm", r"'\.\.'"),
        ("A:\\Thor\\..\\CleanData.xlsm", r"'\.\.'"),
        ("/etc/CleanData.xlsm", "absolute"),
        ("\\Thor\\CleanData.xlsm", "absolute"),
        ("%2e%2e/CleanData.xlsm", "percent"),
        ("%2e%2e%2fCleanData.xlsm", "percent"),
        ("\\\\host\\share\\x.xlsm", "UNC"),
        ("//host/share/x.xlsm", "UNC"),
        ("\\\\?\\C:\\x.xlsm", "UNC"),
        ("CleanData.xlsm\x00.txt", "control"),
        ("Clean\nData.xlsm", "control"),
        ("a" * 5000 + ".xlsm", "characters long"),
        ("CleanData.csv", ".xlsx or .xlsm"),
        ("CleanData.xls", ".xlsx or .xlsm"),
        ("CleanData.xlsm.txt", ".xlsx or .xlsm"),
        ("~$CleanData.xlsm", "characters"),
        (".xlsm", "characters"),
        ("", "required"),
        (None, "required"),
    ],
)
def test_refused(raw, says):
    with pytest.raises(BadPath, match=says):
        workbook_name(raw)


def test_resolves_inside_the_directory(tmp_path):
    (tmp_path / "CleanData.xlsm").write_bytes(b"x")
    assert (
        resolve_workbook("A:\\Thor\\CleanData.xlsm", tmp_path)
        == (tmp_path / "CleanData.xlsm").resolve()
    )


def test_missing_workbook(tmp_path):
    with pytest.raises(WorkbookMissing, match="not found") as caught:
        resolve_workbook("CleanData.xlsm", tmp_path)
    assert str(tmp_path) not in str(caught.value)  # no filesystem layout in errors


def test_missing_directory(tmp_path):
    with pytest.raises(WorkbookMissing):
        resolve_workbook("CleanData.xlsm", tmp_path / "nope")


def test_symlink_out_of_the_directory_is_refused(tmp_path):
    inside, outside = tmp_path / "tos", tmp_path / "private"
    inside.mkdir(), outside.mkdir()
    (outside / "secret.xlsm").write_bytes(b"x")
    os.symlink(outside / "secret.xlsm", inside / "CleanData.xlsm")
    with pytest.raises(BadPath, match="outside"):
        resolve_workbook("CleanData.xlsm", inside)


def test_symlinked_directory_itself_is_fine(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "CleanData.xlsm").write_bytes(b"x")
    os.symlink(real, tmp_path / "link")
    assert resolve_workbook("CleanData.xlsm", tmp_path / "link").parent == real.resolve()


def test_symlink_to_a_non_workbook_inside_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    os.symlink(tmp_path / "notes.txt", tmp_path / "CleanData.xlsm")
    with pytest.raises(BadPath, match="other than a workbook"):
        resolve_workbook("CleanData.xlsm", tmp_path)


def test_a_directory_named_like_a_workbook(tmp_path):
    (tmp_path / "CleanData.xlsm").mkdir()
    with pytest.raises(WorkbookMissing, match="not a file"):
        resolve_workbook("CleanData.xlsm", tmp_path)


def test_symlink_loop(tmp_path):
    os.symlink(tmp_path / "b.xlsm", tmp_path / "a.xlsm")
    os.symlink(tmp_path / "a.xlsm", tmp_path / "b.xlsm")
    with pytest.raises((BadPath, WorkbookMissing)):
        resolve_workbook("a.xlsm", tmp_path)
