"""Opening files for writing in a report folder, which is not ours to trust.

Whoever can write in an output folder (a shared folder, an earlier report handed around) can
leave a symbolic link, or a hard link, where a review will write a page: opened as usual, the
page would be written over the link's target, any file the user may write. Here such a link is
never written through: it is removed and the file made afresh (its target untouched)."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import BinaryIO, TextIO

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


def open_fd(path: str | Path) -> int:
    """A descriptor writing `path` from its start, never through a link; not truncated (a file
    rewritten in place keeps its blocks: the caller cuts it to its length)."""
    return open_sized(path)[0]


def open_sized(path: str | Path) -> tuple[int, int]:
    """`open_fd`, and the length of what `path` held (0 when made afresh): a caller writing over
    it needs to cut it only when it was longer (one system call less a case page)."""
    try:
        fd = os.open(path, _FLAGS, 0o666)
    except OSError as exc:
        if exc.errno != errno.ELOOP:  # ELOOP: `path` is a symbolic link
            raise
        return _afresh(path), 0
    held = os.fstat(fd)
    if held.st_nlink > 1:  # a hard link: writing in place would change the other name too
        os.close(fd)
        return _afresh(path), 0
    return fd, held.st_size


def _afresh(path: str | Path) -> int:
    os.unlink(path)
    return os.open(path, _FLAGS | os.O_EXCL, 0o666)


def open_binary(path: str | Path) -> BinaryIO:
    """`path` emptied and opened for bytes, never through a link."""
    fd = open_fd(path)
    os.ftruncate(fd, 0)
    return os.fdopen(fd, "wb")


def open_text(path: str | Path) -> TextIO:
    """`path` emptied and opened for UTF-8 text with \\n line ends, never through a link."""
    fd = open_fd(path)
    os.ftruncate(fd, 0)
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n")


def write_text(path: str | Path, text: str) -> None:
    with open_text(path) as handle:
        handle.write(text)
