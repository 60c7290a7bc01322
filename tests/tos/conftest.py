"""TOS fixtures: a workbook directory in the settings, and the sample workbook written in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from livedata.settings import Settings
from services.tos.sample import write_sample

WORKBOOK = "CleanData.xlsm"


@pytest.fixture
def workbook_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "workbooks"
    directory.mkdir()
    return directory


@pytest.fixture
def settings(settings: Settings, workbook_dir: Path) -> Settings:
    """The root settings, pointed at `workbook_dir` and watching CleanData.xlsm."""
    return settings.with_overrides(
        tos_workbook_dir=workbook_dir, tos_workbooks=(WORKBOOK,), tos_poll_interval=0.2
    )


@pytest.fixture
def workbook(workbook_dir: Path) -> Path:
    """The sample CleanData.xlsm, saved a moment ago."""
    return write_sample(workbook_dir / WORKBOOK)


def seconds_ago(seconds: float) -> datetime:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).replace(microsecond=0)
