"""Importing a reviewed batch into a campaign store (campaign create): every file lands with its own
content and machine result across import chunks, duplicate case numbers are kept apart, and an
import that fails or is killed part-way leaves the store as it was — no campaign, no rows, no damage."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from casereview.campaign import bulk, service
from casereview.campaign.models import Campaign, CaseRecord, FileVersion, MachineResult
from casereview.campaign.store import open_store

from .helpers import CASEFILES, OPTIONS, ROOT

FILES = sorted(p for p in CASEFILES.iterdir() if p.suffix in (".yaml", ".json") and p.name[:2].isdigit())[:7]


def _corpus(folder: Path) -> list[Path]:
    """Seven sample files plus a copy of the first (same case number) and an unreadable file."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [Path(shutil.copy(p, folder / p.name)) for p in FILES]
    paths.append(Path(shutil.copy(FILES[0], folder / ("copy-" + FILES[0].name))))
    broken = folder / "broken.yaml"
    broken.write_text("case: [\n", encoding="utf-8")
    return [*paths, broken]


def test_every_file_lands_with_its_own_content_and_result_across_chunks(store_url, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 2)  # several INSERT rounds, one with a single file
    paths = _corpus(tmp_path / "files")
    store = open_store(url=store_url)
    summary = service.create_campaign(store, "分批导入", tmp_path / "files", paths, OPTIONS)
    assert (summary.files, summary.rejected) == (len(paths), 1)
    assert len(summary.notes) == 1 and "copy-" in summary.notes[0]
    with store.session() as session:
        campaign = service.get_campaign(session, "分批导入")
        cases = session.scalars(select(CaseRecord).where(CaseRecord.campaign_id == campaign.id)).all()
        assert len(cases) == len(paths) == len({c.case_key for c in cases})
        for case in cases:
            version = service.current_version(session, case)
            path = Path(version.path)
            assert version.content == path.read_text(encoding="utf-8-sig")
            result = service.machine_result(session, version)
            assert result["file"] == str(path)  # the result stored with the file is that file's
            assert case.case_number == result.get("case_number")
            assert case.status == ("rejected" if path.name == "broken.yaml" else "unassigned")
        copy = next(
            c for c in cases if service.current_version(session, c).path.endswith("copy-" + FILES[0].name)
        )
        assert copy.case_key.endswith(f"（copy-{FILES[0].name}）")


def _counts(store) -> dict[str, int]:
    with store.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Campaign, CaseRecord, FileVersion, MachineResult)
        }


def test_a_failed_import_leaves_no_trace_and_can_be_run_again(store_url, tmp_path, monkeypatch):
    paths = _corpus(tmp_path / "files")
    store = open_store(url=store_url)
    before = _counts(store)
    monkeypatch.setattr(bulk, "CHUNK", 3)
    write = bulk.BulkImport._write
    calls = []

    def fail_on_second_chunk(self, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise RuntimeError("disk gone")
        write(self, chunk)

    monkeypatch.setattr(bulk.BulkImport, "_write", fail_on_second_chunk)
    with pytest.raises(RuntimeError):
        service.create_campaign(store, "中断", tmp_path / "files", paths, OPTIONS)
    assert _counts(store) == before
    monkeypatch.setattr(bulk.BulkImport, "_write", write)
    summary = service.create_campaign(store, "中断", tmp_path / "files", paths, OPTIONS)
    assert summary.files == len(paths)
    assert _counts(store)["case_files"] == before["case_files"] + len(paths)


KILLED_IMPORT = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from casereview.batch import BatchOptions
from casereview.campaign import bulk, service
from casereview.campaign.store import open_store

bulk.CHUNK = 2
write = bulk.BulkImport._write
done = []

def write_then_die(self, chunk):
    if not done:  # a tiny page cache: the open transaction's pages spill into the WAL file
        self.session.connection().exec_driver_sql("PRAGMA cache_size=2")
    write(self, chunk)
    done.append(1)
    if len(done) == 3:
        os.kill(os.getpid(), signal.SIGKILL)

bulk.BulkImport._write = write_then_die
paths = [Path(p) for p in sys.argv[4:]]
options = BatchOptions(roster=Path(sys.argv[3]), workers=0, engine="oracle")
service.create_campaign(open_store(Path(sys.argv[2])), "被终止", Path(sys.argv[2]), paths, options)
"""


def test_a_killed_sqlite_import_leaves_the_store_intact(tmp_path):
    folder = tmp_path / "campaign"
    paths = _corpus(folder / "files")
    store = open_store(folder)
    service.create_campaign(store, "已有", folder / "files", paths[:2], OPTIONS)
    before = _counts(store)
    store.close()
    script = tmp_path / "killed.py"
    script.write_text(KILLED_IMPORT, encoding="utf-8")
    argv = [sys.executable, str(script), str(ROOT / "engine"), str(folder), str(CASEFILES / "roster.yaml")]
    proc = subprocess.run([*argv, *map(str, paths)], capture_output=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    wal = folder / "campaign.db-wal"
    assert wal.stat().st_size > 32 + 4096  # uncommitted pages were written when the process died
    store = open_store(folder)
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert _counts(store) == before  # the killed campaign is not there, the earlier one is whole
    with store.session() as session:
        assert json.loads(session.scalar(select(MachineResult.result_json).limit(1)))["file"]
    summary = service.create_campaign(store, "被终止", folder / "files", paths, OPTIONS)
    assert summary.files == len(paths)
