"""`file_path` from a request or TOS_WORKBOOK -> a workbook inside TOS_WORKBOOK_DIR, or refused.

Only the file NAME is ever used: `A:\\Thor\\CleanData.xlsm` (the original README's Windows
path) means `CleanData.xlsm` in the configured directory. Anything that tries to choose a
directory (`..`, absolute POSIX paths, UNC shares, device paths) is refused outright rather
than silently reduced to its last part, so the caller learns the path was not honoured.
"""

from __future__ import annotations

import re
from pathlib import Path

from services.tos.errors import BadPath, WorkbookMissing

MAX_NAME = 255
"""Longest file name most filesystems allow; a longer `file_path` is not a workbook name."""

EXTENSIONS = (".xlsx", ".xlsm")
NAME = re.compile(r"[\w][\w .()+&@'-]*", re.UNICODE)
"""A workbook file name: word characters, spaces and a little punctuation; no `%`, `~`, `$`."""
DRIVE = re.compile(r"[A-Za-z]:")


def workbook_name(file_path: object) -> str:
    """The file name `file_path` names, or BadPath saying why it is refused."""
    if not isinstance(file_path, str) or not file_path.strip():
        raise BadPath("file_path is required: a workbook name such as CleanData.xlsm")
    raw = file_path.strip()
    if len(raw) > MAX_NAME:
        raise BadPath(f"file_path is {len(raw)} characters long; at most {MAX_NAME}")
    if any(ord(char) < 32 or char == "\x7f" for char in raw):
        raise BadPath("file_path must not contain control characters (NUL, newline, ...)")
    if "%" in raw:
        raise BadPath("file_path must not hold percent-encoding (%2e%2e and the like)")
    if raw.startswith(("\\\\", "//")):
        raise BadPath("file_path must not be a UNC or device path (\\\\host\\share\\...)")
    if raw.startswith(("/", "\\")):
        raise BadPath("file_path must not be an absolute path; give the workbook's name")
    parts = re.split(r"[\\/]", DRIVE.sub("", raw, count=1) if DRIVE.match(raw) else raw)
    if any(part.strip() in (".", "..") for part in parts):
        raise BadPath("file_path must not contain '..' or '.' parts")
    return _check_name(parts[-1].strip())


def _check_name(name: str) -> str:
    if not name.lower().endswith(EXTENSIONS):
        raise BadPath("file_path must name an Excel workbook ending in .xlsx or .xlsm")
    if not NAME.fullmatch(name):
        raise BadPath(f"file name {name[:60]!r} has characters a workbook name may not hold")
    return name


def resolve_workbook(file_path: object, directory: Path) -> Path:
    """The resolved path of the named workbook, checked to stay inside `directory`."""
    name = workbook_name(file_path)
    try:
        base = directory.resolve(strict=True)
        resolved = (base / name).resolve(strict=True)
    except FileNotFoundError:
        raise WorkbookMissing(f"workbook {name!r} not found in TOS_WORKBOOK_DIR") from None
    except (OSError, RuntimeError):  # symlink loops, permission denied on the way
        raise BadPath(f"workbook {name!r} cannot be opened") from None
    if not resolved.is_relative_to(base):
        raise BadPath(f"workbook {name!r} points outside TOS_WORKBOOK_DIR") from None
    if not resolved.is_file():
        raise WorkbookMissing(f"{name!r} in TOS_WORKBOOK_DIR is not a file")
    if not resolved.name.lower().endswith(EXTENSIONS):
        raise BadPath(f"workbook {name!r} is a link to something other than a workbook")
    return resolved
