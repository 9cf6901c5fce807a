"""Which files a `check`/`review` of some paths reviews.

A path named on the command line is reviewed as given, whatever it is (the reader refuses a
FIFO or a device with a message, never blocks on it). A folder is walked without following
symlinked folders, and yields every entry whose name has a case-file suffix, including
entries that are not regular files (dangling symlinks, FIFOs, sockets): those are then
reported as rejected with their reason instead of vanishing from the batch.

Skipped: hidden names (``.git``, ``.casereview-cache`` …), rosters (``roster*``), folders
tagged as caches (``CACHEDIR.TAG``, the cross-tool convention our result cache writes) or as
casereview report folders (``REPORT_MARKER``, written by `review -o`), and the paths in
`exclude` (the output folder, the cache folder, the roster file), so `review .` run twice does
not review its own cache or its previous report.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .source import CASE_SUFFIXES

REPORT_MARKER = ".casereview-report"
CACHEDIR_TAG = "CACHEDIR.TAG"
CACHEDIR_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def is_tool_folder(folder: Path) -> bool:
    """A folder casereview itself wrote: a report folder or a (tagged) cache folder."""
    return (folder / REPORT_MARKER).is_file() or (folder / CACHEDIR_TAG).is_file()


def discover(targets: Iterable[Path], exclude: Iterable[Path | None] = ()) -> Iterator[Path]:
    """Case files under `targets`, in a stable order (see module docstring)."""
    excluded = {i for i in (_identity(Path(p)) for p in exclude if p is not None) if i is not None}
    for target in targets:
        if target.is_dir():
            yield from sorted(_walk(target, excluded))
        else:
            yield target


def _candidate(name: str) -> bool:
    return (
        name.lower().endswith(CASE_SUFFIXES)
        and not name.startswith(".")
        and not Path(name).stem.lower().startswith("roster")
    )


def _walk(folder: Path, excluded: set[tuple[int, int]]) -> Iterator[Path]:
    if _identity(folder) in excluded or is_tool_folder(folder):
        return
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return  # an unreadable sub-folder: nothing to list (the top folder was readable)
    subfolders = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            subfolders.append(Path(entry.path))
        elif _candidate(entry.name):
            path = Path(entry.path)
            identity = _identity(path)
            if identity is None or identity not in excluded:
                yield path
    for sub in subfolders:
        yield from _walk(sub, excluded)
