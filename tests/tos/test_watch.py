"""WorkbookWatch without Redis: when it reads, and which quotes it hands out."""

from datetime import UTC, datetime, timedelta

import pytest

from services.tos import watch as watch_module
from services.tos.ranges import parse_range
from services.tos.sample import sample_sheets, write_sample
from services.tos.watch import WorkbookWatch
from services.tos.xlsx import save_like_excel, workbook_bytes
from tests.tos.conftest import WORKBOOK, seconds_ago


@pytest.fixture
def watch(workbook_dir) -> WorkbookWatch:
    return WorkbookWatch(WORKBOOK, workbook_dir, "LiveData", parse_range("A1:N13"))


@pytest.fixture
def reads(monkeypatch) -> list:
    """Every file read the watch makes."""
    calls: list = []
    real = watch_module.read_file

    def counting(path, *args):
        calls.append(path)
        return real(path, *args)

    monkeypatch.setattr(watch_module, "read_file", counting)
    return calls


def now() -> datetime:
    return datetime.now(UTC)


def test_first_read_hands_out_every_quote_then_nothing(watch, workbook):
    assert watch.refresh() is True
    assert len(watch.changed_quotes(now(), 10)) == 11
    assert watch.refresh() is False
    assert watch.changed_quotes(now(), 10) == []


def test_an_unchanged_file_is_not_read_again(watch, workbook, reads):
    watch.refresh()
    watch.refresh()
    watch.refresh()
    assert len(reads) == 1


def test_only_the_changed_row_is_handed_out(watch, workbook):
    watch.refresh()
    watch.changed_quotes(now(), 10)
    write_sample(workbook, {"ES": {"LAST": 6860.0}})
    assert watch.refresh() is True
    [quote] = watch.changed_quotes(now(), 10)
    assert (quote["symbol"], quote["last"]) == ("ES", 6860.0)


def test_a_resave_with_the_same_values_hands_out_nothing(watch, workbook):
    watch.refresh()
    watch.changed_quotes(now(), 10)
    write_sample(workbook, saved_at=now() + timedelta(seconds=5))
    assert watch.refresh() is True
    assert watch.changed_quotes(now(), 10) == []


def test_going_stale_resends_every_quote_once_flagged(watch, workbook_dir):
    write_sample(workbook_dir / WORKBOOK, saved_at=seconds_ago(5))
    watch.refresh()
    assert not any(q["stale"] for q in watch.changed_quotes(now(), 10))
    later = now() + timedelta(seconds=10)
    stale = watch.changed_quotes(later, 10)
    assert len(stale) == 11 and all(q["stale"] for q in stale)
    assert watch.changed_quotes(later, 10) == []
    assert watch.age(later) > 10


def test_a_fresh_save_clears_stale(watch, workbook_dir):
    write_sample(workbook_dir / WORKBOOK, saved_at=seconds_ago(60))
    watch.refresh()
    assert all(q["stale"] for q in watch.changed_quotes(now(), 10))
    write_sample(workbook_dir / WORKBOOK)
    watch.refresh()
    fresh = watch.changed_quotes(now(), 10)
    assert len(fresh) == 11 and not any(q["stale"] for q in fresh)


def test_missing_file_is_a_problem_not_a_crash(watch):
    assert watch.refresh() is False
    assert "not found" in watch.problem
    assert watch.changed_quotes(now(), 10) == []
    assert watch.age(now()) == float("inf")


@pytest.mark.parametrize(
    "damage",
    [lambda d: d[: len(d) // 3], lambda d: b"garbage" * 100, lambda d: b""],
    ids=["half-written", "garbage", "empty"],
)
def test_a_broken_file_is_retried_next_poll(watch, workbook, damage, reads):
    good = workbook.read_bytes()
    workbook.write_bytes(damage(good))  # in place, as a torn copy would look
    assert watch.refresh() is False
    assert "UnreadableWorkbook" in watch.problem
    assert watch.refresh() is False
    assert len(reads) == 2  # retried, not remembered as read
    write_sample(workbook)
    assert watch.refresh() is True and watch.problem is None
    assert len(watch.changed_quotes(now(), 10)) == 11


def test_old_quotes_survive_a_broken_save(watch, workbook):
    watch.refresh()
    watch.changed_quotes(now(), 10)
    workbook.write_bytes(b"half")
    watch.refresh()
    assert len(watch.rows) == 12 and watch.problem


def test_unknown_sheet_is_reported_and_not_reread_until_the_file_changes(
    workbook_dir, workbook, reads
):
    watch = WorkbookWatch(WORKBOOK, workbook_dir, "Nope", parse_range("A1:N13"))
    watch.refresh()
    watch.refresh()
    assert "not found" in watch.problem and len(reads) == 1
    write_sample(workbook)
    watch.refresh()
    assert len(reads) == 2


def test_a_workbook_saved_in_the_future_is_age_zero(watch, workbook_dir):
    write_sample(workbook_dir / WORKBOOK, saved_at=now() + timedelta(minutes=5))
    watch.refresh()
    assert watch.age(now()) == 0.0


def test_file_vanishing_mid_save_is_retried(watch, workbook, monkeypatch):
    real = watch_module.read_file

    def excel_is_renaming(path, *args):
        monkeypatch.setattr(watch_module, "read_file", real)
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(watch_module, "read_file", excel_is_renaming)
    assert watch.refresh() is False
    assert "FileNotFoundError" in watch.problem
    assert watch.refresh() is True and watch.problem is None


def test_a_symbol_on_two_rows_is_not_resent_every_poll(watch, workbook_dir):
    sheets = sample_sheets()
    sheets["LiveData"][12] = list(sheets["LiveData"][2])  # ES again where the loading row was
    save_like_excel(workbook_dir / WORKBOOK, workbook_bytes(sheets, now()))
    watch.refresh()
    assert [q["symbol"] for q in watch.changed_quotes(now(), 10)].count("ES") == 1
    assert watch.changed_quotes(now(), 10) == []
