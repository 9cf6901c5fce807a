"""Loading a reviewed batch into the store in bulk (campaign create, rescore).

Rows go in with multi-row INSERTs, a chunk of files at a time, through Core statements: no ORM
unit of work, no flush or SELECT per file, and nothing of a chunk kept once it is written, so the
import costs a small fraction of the review and its memory stays flat however many files there
are. Ids come back from `INSERT … RETURNING` (SQLite ≥ 3.35 and PostgreSQL), keyed by a unique
column, so nothing depends on the order the database returns them in.

`campaign create` writes each chunk in its own short transaction as the review produces it (the
campaign hidden until complete, see `service.create_campaign`), in a thread of its own
(`create.ChunkWriter`): the inserts and SQLite's WAL checkpoints run while the workers review the next
files and the parent goes on handing them files, instead of after the last one, and the
database's write lock (SQLite has one for the whole database) is held a moment per chunk, never for
the minutes a large review takes. `rescore` stages its rows in a private temporary file (`Staged`)
and inserts them in one transaction after the review.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from .create import CHUNK, chunks
from .models import CaseRecord, FileVersion, MachineResult, utcnow


def case_key(case_number: str | None, path: Path, folder: Path) -> str:
    """A file's key in its campaign: the case number, else its path under the campaign folder."""
    if case_number:
        return case_number
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path)


class Staged:
    """Rows kept in a private, unnamed temporary file between the review and the write
    transaction: memory stays flat, and the file (ours, gone when closed) is never anybody's
    input. A row is staged as one record (`staged_row`), which the process that reviewed the
    file can make: the long texts (`RAW` fields) as they are, framed by their lengths, and the
    rest of the row as JSON (escaping and unescaping ~15 KB of JSON text per file cost more
    than the inserts)."""

    RAW = ("content", "result_json")
    FRAME = struct.Struct(f"<{1 + len(RAW)}I")

    def __init__(self, records: Iterable[bytes]):
        self._file = tempfile.TemporaryFile(prefix="casereview-staged-")  # noqa: SIM115 (closed by __exit__)
        try:
            self._file.writelines(records)
        except BaseException:
            self._file.close()
            raise

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self._file.seek(0)
        read = self._file.read
        frame = self.FRAME
        while header := read(frame.size):
            head, *raw = (read(n) for n in frame.unpack(header))
            row = orjson.loads(head)
            for name, data in zip(self.RAW, raw, strict=True):
                row[name] = data.decode("utf-8", "surrogatepass")
            yield row

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def staged_row(row: dict[str, Any]) -> bytes:
    """One row as a `Staged` record."""
    raw = [row.get(name, "").encode("utf-8", "surrogatepass") for name in Staged.RAW]
    head = orjson.dumps({k: v for k, v in row.items() if k not in Staged.RAW})
    return b"".join((Staged.FRAME.pack(len(head), *map(len, raw)), head, *raw))


@dataclass
class BulkImport:
    """Writes the rows (`file_row`) of one machine run as case files, first versions and results,
    a chunk at a time (`write`), in the caller's transaction."""

    campaign_id: int
    run_id: int
    folder: Path
    actor: str
    notes: list[str] = field(default_factory=list)
    reviewed: int = 0
    rejected: int = 0
    _keys: set[str] = field(default_factory=set)

    def _key(self, row: dict[str, Any]) -> str:
        path = Path(row["path"])
        key = case_key(row["case_number"], path, self.folder)
        if key in self._keys:  # two files with one case number: both kept, the second named by its path
            self.notes.append(f"{path}：案号 {key} 与另一文件重复，已按文件路径单独登记")
            key = f"{key}（{path.name}）"
        self._keys.add(key)
        return key

    def write(self, session: Session, chunk: list[dict[str, Any]]) -> None:
        with roomy_cache(session):
            self._write(session, chunk)

    def _write(self, session: Session, chunk: list[dict[str, Any]]) -> None:
        now = utcnow()
        keys = [self._key(row) for row in chunk]
        cases = [
            {
                "campaign_id": self.campaign_id,
                "case_key": key,
                "case_number": row["case_number"],
                "unit": row["unit"],
                "title": row["title"],
                "current_version": 1,
                "revision": 0,
                "status": "rejected" if row["status"] == "rejected" else "unassigned",
            }
            for key, row in zip(keys, chunk, strict=True)
        ]
        table = CaseRecord.__table__
        inserted = session.execute(insert(table).returning(table.c.id, table.c.case_key), cases)
        case_ids = dict((k, i) for i, k in inserted)
        versions = [
            {
                "case_id": case_ids[key],
                "number": 1,
                "path": row["path"],
                "content_hash": row["content_hash"],
                "content": row["content"],
                "origin": "initial",
                "created_at": now,
                "created_by": self.actor,
            }
            for key, row in zip(keys, chunk, strict=True)
        ]
        table = FileVersion.__table__
        inserted = session.execute(insert(table).returning(table.c.id, table.c.case_id), versions)
        version_ids = dict((c, i) for i, c in inserted)
        results = []
        for key, row in zip(keys, chunk, strict=True):
            results.append(_result_row(self.run_id, version_ids[case_ids[key]], row))
            self.reviewed += row["status"] == "reviewed"
            self.rejected += row["status"] == "rejected"
        session.execute(insert(MachineResult.__table__), results)


def _result_row(run_id: int, version_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "version_id": version_id,
        "status": fields["status"],
        "score": fields["score"],
        "grade": fields["grade"],
        "result_json": fields["result_json"],
    }


def add_results(session: Session, run_id: int, rows: Iterable[dict[str, Any]]) -> int:
    """Insert staged result rows (`result_fields` plus `version_id`) of one machine run, a chunk at a
    time; the count."""
    count = 0
    with roomy_cache(session):
        for chunk in chunks(iter(rows), CHUNK):
            session.execute(
                insert(MachineResult.__table__), [_result_row(run_id, r["version_id"], r) for r in chunk]
            )
            count += len(chunk)
    return count


IMPORT_CACHE_KIB = 65536
SQLITE_DEFAULT_CACHE_KIB = 2000


@contextmanager
def roomy_cache(session: Session) -> Iterator[None]:
    """SQLite: a 64 MB page cache for one bulk import, back to SQLite's default 2 MB after.
    With the default, the transaction's pages spill to the WAL while it runs and the tables'
    inner B-tree pages are written there again and again: 10,000 files made a 218 MB WAL instead
    of 161 MB, and the commit (which copies the WAL into the database) took longer in proportion."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    session.execute(text(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}"))
    try:
        yield
    finally:
        session.execute(text(f"PRAGMA cache_size=-{SQLITE_DEFAULT_CACHE_KIB}"))
