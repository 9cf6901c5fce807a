"""Loading a reviewed batch into the store in bulk (campaign create, rescore).

Rows go in a chunk of files at a time, each table's rows by one `executemany` of the driver: no
ORM unit of work, no flush or SELECT per file, and nothing of a chunk kept once it is written, so
the import costs a small fraction of the review and its memory stays flat however many files
there are. The new rows' ids are read back by a unique key (a case's key, a case's first
version), so nothing depends on the order or the values the database gives them.

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
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from .create import CHUNK, chunks
from .models import CaseRecord, FileVersion, utcnow


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
    file can make: the long texts (`RAW` fields, UTF-8) as they are, framed by their lengths, and the
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
            row.update(zip(self.RAW, raw, strict=True))
            yield row

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def staged_row(row: dict[str, Any]) -> bytes:
    """One row as a `Staged` record."""
    raw = [row.get(name, b"") for name in Staged.RAW]
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
        key = row["case_number"] or case_key(None, Path(row["path"]), self.folder)
        if key in self._keys:  # two files with one case number: both kept, the second named by its path
            path = Path(row["path"])
            self.notes.append(f"{path}：案号 {key} 与另一文件重复，已按文件路径单独登记")
            key = f"{key}（{path.name}）"
        self._keys.add(key)
        return key

    def write(self, session: Session, chunk: list[dict[str, Any]]) -> None:
        with roomy_cache(session):
            self._write(session, chunk)

    def _write(self, session: Session, chunk: list[dict[str, Any]]) -> None:
        connection = session.connection()
        keys = [self._key(row) for row in chunk]
        cases, versions = CaseRecord.__table__.c, FileVersion.__table__.c
        _insert_many(
            connection,
            "case_files",
            (
                "campaign_id",
                "case_key",
                "case_number",
                "unit",
                "title",
                "current_version",
                "revision",
                "status",
            ),
            [
                (self.campaign_id, key, row["case_number"], row["unit"], row["title"], 1, 0, _status(row))
                for key, row in zip(keys, chunk, strict=True)
            ],
        )
        where = (cases.campaign_id == self.campaign_id) & cases.case_key.in_(keys)
        case_ids = dict(connection.execute(select(cases.case_key, cases.id).where(where)).all())
        ids = [case_ids[key] for key in keys]
        dialect = connection.dialect
        stamp = versions.created_at.type.dialect_impl(dialect).bind_processor(dialect) or _same
        now = stamp(utcnow())  # as SQLAlchemy binds it (SQLite: its text form)
        _insert_many(
            connection,
            "file_versions",
            ("case_id", "number", "path", "content_hash", "content", "origin", "created_at", "created_by"),
            [
                (case_id, 1, row["path"], row["content_hash"], row["content"], "initial", now, self.actor)
                for case_id, row in zip(ids, chunk, strict=True)
            ],
        )
        where = versions.case_id.in_(ids) & (versions.number == 1)
        version_ids = dict(connection.execute(select(versions.case_id, versions.id).where(where)).all())
        _insert_results(connection, self.run_id, [version_ids[case_id] for case_id in ids], chunk)
        for row in chunk:
            self.reviewed += row["status"] == "reviewed"
            self.rejected += row["status"] == "rejected"


def _status(row: dict[str, Any]) -> str:
    return "rejected" if row["status"] == "rejected" else "unassigned"


def _same(value: Any) -> Any:
    return value


UTF8 = Staged.RAW  # the long texts, given as UTF-8 bytes (`create.file_row`, `create.result_fields`)


def _insert_many(
    connection: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT INTO `table` the `rows` (values of `columns`) by the driver's own `executemany`
    (one prepared statement, the loop in C): SQLAlchemy's per-row parameter handling and
    `INSERT … RETURNING` cost the import more CPU than SQLite's inserts (~0.25 s at 10,000 files).
    The `UTF8` columns take bytes: SQLite stores them as TEXT as they are (a BLOB cast to TEXT is
    read in the database's encoding, UTF-8), the same value as the decoded text without decoding
    and encoding again ~12 KB a file in the parent; other databases get them decoded."""
    if not rows:
        return
    utf8 = [i for i, name in enumerate(columns) if name in UTF8]
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    if connection.dialect.name == "sqlite":
        marks = [f"CAST({mark} AS TEXT)" if i in utf8 else mark for i in range(len(columns))]
    else:
        marks = [mark] * len(columns)
        rows = [tuple(v.decode() if i in utf8 else v for i, v in enumerate(row)) for row in rows]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(marks)})"
    connection.exec_driver_sql(sql, rows)


def _insert_results(
    connection: Connection, run_id: int, version_ids: list[int], rows: list[dict[str, Any]]
) -> None:
    """`machine_results` of one run (`result_fields`), for the file versions `version_ids`."""
    _insert_many(
        connection,
        "machine_results",
        ("run_id", "version_id", "status", "score", "grade", "result_json"),
        [
            (run_id, version_id, r["status"], r["score"], r["grade"], r["result_json"])
            for version_id, r in zip(version_ids, rows, strict=True)
        ],
    )


def add_results(session: Session, run_id: int, rows: Iterable[dict[str, Any]]) -> int:
    """Insert staged result rows (`result_fields` plus `version_id`) of one machine run, a chunk at a
    time; the count."""
    count = 0
    connection = session.connection()
    with roomy_cache(session):
        for chunk in chunks(iter(rows), CHUNK):
            _insert_results(connection, run_id, [r["version_id"] for r in chunk], chunk)
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
