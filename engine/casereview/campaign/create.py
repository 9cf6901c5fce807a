"""`campaign create`: review a folder and import it as a new campaign, the import beside the review.

The review's worker processes are started first: this module (and what `campaign create` loads
before the review) imports nothing of the store — no SQLAlchemy, no models, no migrations — so
the workers are forked at once from a small parent. The store is opened, migrated and the hidden
campaign begun by the import thread (`ChunkWriter`) while they review (that was ~0.4 s of CPU
before the first worker started at 10,000 files), and the same thread writes each chunk of rows as
the review produces it. What a worker makes of each file (`file_row`) is here too, for the same
reason; `service` does everything that touches the store.
"""

from __future__ import annotations

import codecs
import hashlib
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..batch import BatchOptions, review_batch
from ..load.errors import InputRejected
from ..load.reader import read_bytes
from ..load.source import keep_read_bytes, take_read_bytes
from ..review import CaseResult, result_json
from ..score.profile import load_profile

if TYPE_CHECKING:
    from .bulk import BulkImport
    from .store import Store

CHUNK = 500  # files per write transaction: few statements, a few MB held at a time


@dataclass
class CreateSummary:
    campaign: str
    files: int
    reviewed: int
    rejected: int
    notes: list[str]


def create_campaign(
    store: Store | Callable[[], Store],
    name: str,
    folder: Path,
    paths: list[Path],
    options: BatchOptions,
    reviewers_per_file: int = 1,
    actor: str = "system",
) -> CreateSummary:
    """Review `paths` and import them as the new campaign `name` into `store` (or the store
    `store()` opens, in the import thread once the review has started).

    The files go into the store a chunk at a time while the review runs, each chunk in its own
    short transaction (the write lock held a moment, never for the whole review), so the import
    costs little after the last file is reviewed. Until the last file is in, the campaign is
    hidden (`Campaign.building`: listed nowhere, found by no name, under a name of its own); the
    last transaction names and shows it, so the campaign appears whole or not at all. A failed or
    interrupted create removes what it wrote; one that was killed is removed by the next create.
    A name already taken or a store that cannot be opened stops the review it started."""
    if reviewers_per_file not in (1, 2):
        raise _refused("每个案卷的评查人数只能是 1 或 2")
    try:
        profile = options.profile_model or load_profile(options.profile)
    except ValueError as exc:
        raise _refused(str(exc)) from None
    run = review_batch(paths, BatchOptions(**{**options.__dict__, "profile_model": profile}))

    def begin() -> tuple[Store, BulkImport]:  # in the import thread, once the workers are at work
        from .service import begin_campaign  # the store's side: SQLAlchemy, the models

        opened = store() if callable(store) else store
        return opened, begin_campaign(opened, name, folder, profile, run, reviewers_per_file, actor)

    stream = run.each(partial(_row_of, run.paths))
    writer = ChunkWriter(begin)
    keep_read_bytes(True)  # each file's row stores the bytes its review read (`file_row`)
    try:
        first = list(islice(stream, 1))  # the workers are forked: the store's turn, beside them
        for chunk in chunks(chain(first, stream), CHUNK, len(paths)):
            writer.put(chunk)
        opened, loader = writer.finish()
        from .service import show_campaign

        show_campaign(opened, loader, name, folder, profile, actor)
    except BaseException:
        stream.close()  # stop the workers first
        writer.stop()  # and the chunk being written (committed or rolled back) before the cleanup
        writer.discard()
        raise
    finally:
        keep_read_bytes(False)
    return CreateSummary(
        name, loader.reviewed + loader.rejected, loader.reviewed, loader.rejected, loader.notes
    )


def _refused(message: str) -> Exception:
    from .service import CampaignError

    return CampaignError(message)


def _row_of(paths: list[Path], result: CaseResult, index: int) -> dict[str, Any]:
    return file_row(paths[index], result)  # in the worker that reviewed the file


class ChunkWriter:
    """Begins the import (`begin()` → the store and its `BulkImport`) and writes chunks
    (`BulkImport.write`, each in its own write transaction) in a thread of its own, so the caller
    goes on taking results while SQLite inserts, commits and checkpoints (its calls release the
    GIL): a caller blocked in a transaction stops handing the workers new files, and they ran dry
    whenever a chunk took longer than their window of work (a slow disk, a loaded host). At most
    `AHEAD` chunks wait or are written at a time (flat memory). An error of `begin` or of a chunk
    (or KeyboardInterrupt) is raised by the next `put` or by `finish`; `stop` drops the chunks not
    yet begun and waits for the one being written."""

    AHEAD = 2

    def __init__(self, begin: Callable[[], tuple[Store, BulkImport]]):
        self._begin = begin
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="casereview-import")
        self._pending: deque[Future[Any]] = deque()
        self._began: tuple[Store, BulkImport] | None = None

    def _start(self) -> None:
        self._began = self._begin()

    def _write(self, chunk: list[dict[str, Any]]) -> None:
        if self._began is None:  # `begin` failed: its error is the one raised
            return
        store, loader = self._began
        with store.write() as session:
            loader.write(session, chunk)

    def put(self, chunk: list[dict[str, Any]]) -> None:
        pending = self._pending
        if self._began is None and not pending:
            pending.append(self._thread.submit(self._start))
        pending.append(self._thread.submit(self._write, chunk))
        while pending and (len(pending) > self.AHEAD or pending[0].done()):
            pending.popleft().result()

    def finish(self) -> tuple[Store, BulkImport]:
        """Wait for every chunk to be written (raising the first error); the store and import."""
        if self._began is None and not self._pending:  # no file at all
            self._pending.append(self._thread.submit(self._start))
        while self._pending:
            self._pending.popleft().result()
        self._thread.shutdown()
        assert self._began is not None
        return self._began

    def stop(self) -> None:
        self._thread.shutdown(cancel_futures=True)

    def discard(self) -> None:
        """Remove what the import wrote (after `stop`). If this fails too (the store gone, a second
        Ctrl-C), the hidden campaign is left for the next create to remove; the original error is
        the one to report."""
        if self._began is not None:
            from .service import discard_campaign

            discard_campaign(*self._began)


def chunks(items: Iterator[Any], size: int, total: int | None = None) -> Iterator[list[Any]]:
    """`items` in lists of `size`; with their `total` known, the lists get smaller towards the end
    (half of what is left, at least `LAST_CHUNK`), so the last one, written after the last result,
    is small: each of the others is written while the next files are reviewed."""
    left = total
    while chunk := list(islice(items, size if left is None else min(size, max(LAST_CHUNK, (left + 1) // 2)))):
        if left is not None:
            left -= len(chunk)
        yield chunk


LAST_CHUNK = 64


def read_file(path: Path) -> tuple[bytes, str]:
    """The file's text and hash as stored (`stored_text`), read as the review reads it
    (`reader.read_bytes`: half the system calls of `is_file` and `read_bytes`, each ~10-17 us in a
    review worker), but with no size limit; an empty text for anything that is not a regular file
    it can read (its review says why)."""
    try:
        data = read_bytes(path, max_bytes=sys.maxsize)
    except InputRejected:
        data = b""
    return stored_text(data)


def stored_text(data: bytes) -> tuple[bytes, str]:
    """A file's text as UTF-8 (its bytes as they are when they are UTF-8, without a BOM; else
    decoded from GB 18030) and the SHA-256 of its bytes `data`. Bytes, not str: the store takes
    them as they are (`bulk.UTF8`), so the parent neither unpickles nor encodes the text again."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        data.decode("utf-8")  # the check that it is UTF-8
        return data.removeprefix(codecs.BOM_UTF8), digest
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
    return text.encode(), digest


def reviewed_text(path: Path) -> tuple[bytes, str]:
    """`stored_text` of the bytes the review of `path` read, kept by the loader while
    `keep_read_bytes` is on (in the process that reviewed it); read now if it read none."""
    data = take_read_bytes(str(path))
    return read_file(path) if data is None else stored_text(data)


def result_and_text(
    paths: list[Path], result: CaseResult, index: int
) -> tuple[CaseResult, tuple[bytes, str]]:
    """A `BatchRun.each` step: the result with `reviewed_text` of its file (`rereview`)."""
    return result, reviewed_text(paths[index])


def file_row(path: Path, result: CaseResult) -> dict[str, Any]:
    """What campaign create stores of one reviewed file: its case, its text and its result. The
    text and its hash are those of the very bytes the review read (kept by the loader while
    `create_campaign` runs): a file changed after its review is stored as reviewed, never with a
    text its verdict is not about. A file whose bytes the review did not read (refused first: too
    large, not a regular file, gone) is read here, as before."""
    text, digest = reviewed_text(path)
    return {
        "path": str(path),
        "case_number": result.case_number,
        "unit": result.agency,
        "title": result.title,
        "content": text,
        "content_hash": digest,
        **result_fields(result),
    }


def result_fields(result: CaseResult) -> dict[str, Any]:
    """A `machine_results` row without its ids: the result serialised once (UTF-8 JSON), score and
    grade beside it."""
    score = result.score
    return {
        "status": result.status,
        "score": score.score if score else None,
        "grade": score.grade if score else None,
        "result_json": result_json(result),
    }
