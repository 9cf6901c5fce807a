"""Loading a reviewed batch into the store in bulk (campaign create).

Rows go in with multi-row INSERTs, a chunk of files at a time, through Core statements: no ORM
unit of work, no flush or SELECT per file, and nothing of a chunk kept once it is written, so the
import costs a small fraction of the review and its memory stays flat however many files there
are. Ids come back from `INSERT … RETURNING` (SQLite ≥ 3.35 and PostgreSQL), keyed by a unique
column, so nothing depends on the order the database returns them in. The caller owns the
transaction: the whole import is one transaction, and an interrupted import leaves no trace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ..review import CaseResult
from .models import CaseRecord, FileVersion, MachineResult, utcnow

CHUNK = 500  # files per round of INSERTs: few statements, a few MB held at a time


def read_file(path: Path) -> tuple[str, str]:
    """The file's text (UTF-8 with or without BOM, else GB 18030) and the SHA-256 of its bytes."""
    data = path.read_bytes() if path.is_file() else b""
    digest = hashlib.sha256(data).hexdigest()
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(codec), digest
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace"), digest


def case_key(result: CaseResult, path: Path, folder: Path) -> str:
    """A file's key in its campaign: the case number, else its path under the campaign folder."""
    if result.case_number:
        return result.case_number
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path)


@dataclass
class BulkImport:
    """Writes (path, result) pairs of one machine run as case files, first versions and results."""

    session: Session
    campaign_id: int
    run_id: int
    folder: Path
    actor: str
    notes: list[str] = field(default_factory=list)
    reviewed: int = 0
    rejected: int = 0
    _keys: set[str] = field(default_factory=set)

    def add_all(self, pairs: Iterable[tuple[Path, CaseResult]]) -> None:
        for chunk in _chunks(iter(pairs), CHUNK):
            self._write(chunk)

    def _key(self, result: CaseResult, path: Path) -> str:
        key = case_key(result, path, self.folder)
        if key in self._keys:  # two files with one case number: both kept, the second named by its path
            self.notes.append(f"{path}：案号 {key} 与另一文件重复，已按文件路径单独登记")
            key = f"{key}（{path.name}）"
        self._keys.add(key)
        return key

    def _write(self, chunk: list[tuple[Path, CaseResult]]) -> None:
        now = utcnow()
        keys = [self._key(result, path) for path, result in chunk]
        cases = [
            {
                "campaign_id": self.campaign_id,
                "case_key": key,
                "case_number": result.case_number,
                "unit": result.agency,
                "title": result.title,
                "current_version": 1,
                "revision": 0,
                "status": "rejected" if result.status == "rejected" else "unassigned",
            }
            for key, (_, result) in zip(keys, chunk, strict=True)
        ]
        table = CaseRecord.__table__
        inserted = self.session.execute(insert(table).returning(table.c.id, table.c.case_key), cases)
        case_ids = dict((k, i) for i, k in inserted)
        versions = []
        for key, (path, _) in zip(keys, chunk, strict=True):
            text, digest = read_file(path)
            versions.append(
                {
                    "case_id": case_ids[key],
                    "number": 1,
                    "path": str(path),
                    "content_hash": digest,
                    "content": text,
                    "origin": "initial",
                    "created_at": now,
                    "created_by": self.actor,
                }
            )
        table = FileVersion.__table__
        inserted = self.session.execute(insert(table).returning(table.c.id, table.c.case_id), versions)
        version_ids = dict((c, i) for i, c in inserted)
        results = []
        for key, (_, result) in zip(keys, chunk, strict=True):
            results.append(result_row(self.run_id, version_ids[case_ids[key]], result))
            self.reviewed += result.status == "reviewed"
            self.rejected += result.status == "rejected"
        self.session.execute(insert(MachineResult.__table__), results)


def result_row(run_id: int, version_id: int, result: CaseResult) -> dict:
    """A `machine_results` row: the result serialised once, its score and grade beside it."""
    score = result.score
    return {
        "run_id": run_id,
        "version_id": version_id,
        "status": result.status,
        "score": score.score if score else None,
        "grade": score.grade if score else None,
        "result_json": result.model_dump_json(),
    }


def add_results(session: Session, run_id: int, pairs: Iterable[tuple[int, CaseResult]]) -> int:
    """Insert (version id, result) pairs of one machine run a chunk at a time; the count."""
    count = 0
    for chunk in _chunks(iter(pairs), CHUNK):
        session.execute(insert(MachineResult.__table__), [result_row(run_id, v, r) for v, r in chunk])
        count += len(chunk)
    return count


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(items, size)):
        yield chunk
