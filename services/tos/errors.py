"""What can go wrong with a TOS workbook; each error carries the HTTP status it maps to."""

from __future__ import annotations

from livedata.exceptions import LiveDataError


class TosError(LiveDataError):
    """Base class; `status` is the HTTP answer when the error comes from a request."""

    status = 400


class BadPath(TosError):
    """`file_path` is not a plain .xlsx/.xlsm name inside TOS_WORKBOOK_DIR."""


class WorkbookMissing(TosError):
    """The named workbook does not exist (yet) in TOS_WORKBOOK_DIR."""

    status = 404


class WorkbookTooLarge(TosError):
    """The file is larger than any quote workbook should be."""

    status = 413


class BadRange(TosError):
    """`data_range` is not a bounded `A1:N13`-style range, or holds too many cells."""


class UnknownSheet(TosError):
    """The workbook has no sheet of that name."""


class UnreadableWorkbook(TosError):
    """Not a readable workbook: corrupt, truncated, or caught halfway through Excel's save."""

    status = 422


class Busy(TosError):
    """Another request is reading the same range and did not finish in time."""

    status = 409
