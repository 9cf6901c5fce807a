"""How a place in a case file is written in every report: `file:line:column field`.

One function, so text, JUnit, HTML, Excel and rejection messages agree; unknown parts are left
out (never `?`). `display_file` keeps local folders out of reports that are handed on.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from ..load.reader import not_a_link
from ..memo import remember


def where(
    file: str | None, line: int | None = None, column: int | None = None, field: str | None = None
) -> str:
    text = file or ""
    if line:
        text += f":{line}"
        if column:
            text += f":{column}"
    if field:
        text += f" {field}" if text else field
    return text


def where_of(location: Any, file: str | None = None) -> str:
    """`where` for anything with file/line/column/field attributes (Location, RejectedInput)."""
    return where(
        file if file is not None else getattr(location, "file", None),
        getattr(location, "line", None),
        getattr(location, "column", None),
        getattr(location, "field", None),
    )


def display_file(path: str, root: Path | None = None, full: bool = False, resolved: bool = False) -> str:
    """The file as shown in a report: relative to the reviewed folder (or its name), unless `full`.
    `resolved`: `root` is resolved already (a caller showing many files resolves it once)."""
    if full or not path or path == "-":
        return path
    p = Path(path)
    if root is not None:
        try:
            return p.resolve().relative_to(root if resolved else root.resolve()).as_posix()
        except (ValueError, OSError):
            pass
    if not p.is_absolute() and ".." not in p.parts:
        return p.as_posix()
    return p.name


def display_file_in(path: str, root: Path | None, dirs: dict[str, str]) -> str:
    """`display_file(path, root, resolved=True)` for a caller showing many files of a few folders:
    each folder is resolved once (`dirs`, folder → resolved), the file itself only looked at
    (one `lstat`: a symbolic link is resolved as `display_file` does), unless the review has just
    read it and found it no link (`reader.not_a_link`: a case page's file, ~10-17 µs a file in a
    worker). Resolving the whole path is a system call per part, ~0.05 ms a file."""
    head, tail = os.path.split(path)
    if root is None or not tail or tail in (".", "..") or not path or path == "-":
        return display_file(path, root, resolved=True)
    if not not_a_link(path):
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return display_file(path, root, resolved=True)
        except OSError:  # missing: resolving keeps the name as it is, as here
            pass
    base = dirs.get(head)
    if base is None:
        try:
            base = remember(dirs, head, os.path.realpath(head or "."), 4096)
        except OSError:  # the working folder is gone
            return display_file(path, root, resolved=True)
    prefix = str(root)
    if base.startswith(prefix) and prefix != "/":
        if base == prefix:
            return tail
        if base[len(prefix)] == "/":
            return f"{base[len(prefix) + 1 :]}/{tail}"
    return display_file(path, root, resolved=True)  # outside the folder: the full rules
