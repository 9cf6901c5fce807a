"""Importing a reviewed batch into a campaign store (campaign create): every file lands with its own
content and machine result across import chunks, duplicate case numbers are kept apart, the chunks
are written while the review runs but nobody sees the campaign until it is whole, and an import
that fails, is interrupted or is killed part-way leaves no campaign behind — no rows (a killed one's
are removed by the next create), no damage."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from casereview.campaign import bulk, create, service
from casereview.campaign.models import Campaign, CaseRecord, FileVersion, MachineResult
from casereview.campaign.store import open_store

from .helpers import CASEFILES, OPTIONS, ROOT
from .test_server import login

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
    monkeypatch.setattr(create, "CHUNK", 2)  # several INSERT rounds, one with a single file
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
        stored = session.execute(  # the workers send the texts as UTF-8 bytes: stored as text
            select(FileVersion.content, MachineResult.result_json).join(
                MachineResult, MachineResult.version_id == FileVersion.id
            )
        ).all()
        assert len(stored) == len(paths) and all(isinstance(t, str) for row in stored for t in row)
        if store.engine.dialect.name == "sqlite":  # times in the text form the ORM writes too
            times = session.scalars(
                text("SELECT created_at FROM file_versions UNION SELECT created_at FROM campaigns")
            )
            assert len({re.sub("[0-9]", "0", t) for t in times}) == 1


def _counts(store) -> dict[str, int]:
    with store.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Campaign, CaseRecord, FileVersion, MachineResult)
        }


@pytest.mark.parametrize("error", [RuntimeError("disk gone"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_a_failed_import_leaves_no_trace_and_can_be_run_again(store_url, tmp_path, monkeypatch, error):
    paths = _corpus(tmp_path / "files")
    store = open_store(url=store_url)
    before = _counts(store)
    monkeypatch.setattr(create, "CHUNK", 3)
    write = bulk.BulkImport._write
    calls = []

    def fail_on_second_chunk(self, session, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:  # the first chunk is committed by now
            raise error
        write(self, session, chunk)

    monkeypatch.setattr(bulk.BulkImport, "_write", fail_on_second_chunk)
    with pytest.raises(type(error)):
        service.create_campaign(store, "中断", tmp_path / "files", paths, OPTIONS)
    assert _counts(store) == before
    monkeypatch.setattr(bulk.BulkImport, "_write", write)
    summary = service.create_campaign(store, "中断", tmp_path / "files", paths, OPTIONS)
    assert summary.files == len(paths)
    assert _counts(store)["case_files"] == before["case_files"] + len(paths)


def test_ctrl_c_while_a_chunk_is_written_beside_the_review_leaves_no_trace(store_url, tmp_path, monkeypatch):
    """The chunks are written by a thread of their own while the review goes on: an interrupt that
    reaches the review while a chunk's transaction is open waits for that transaction to end, then
    removes everything the create wrote; no writer thread is left behind."""
    paths = _corpus(tmp_path / "files")
    store = open_store(url=store_url)
    before = _counts(store)
    monkeypatch.setattr(create, "CHUNK", 3)
    write, writing, interrupted = bulk.BulkImport._write, threading.Event(), threading.Event()
    chunks = create.chunks

    def write_slowly(self, session, chunk):
        writing.set()
        interrupted.wait(30)  # the interrupt comes while this transaction is open
        write(self, session, chunk)

    def interrupt_while_writing(items, size, total):
        for number, chunk in enumerate(chunks(items, size, total)):
            if number == 1:
                assert writing.wait(30)
                interrupted.set()
                raise KeyboardInterrupt
            yield chunk

    monkeypatch.setattr(bulk.BulkImport, "_write", write_slowly)
    monkeypatch.setattr(create, "chunks", interrupt_while_writing)
    with pytest.raises(KeyboardInterrupt):
        service.create_campaign(store, "中断", tmp_path / "files", paths, OPTIONS)
    assert not [t for t in threading.enumerate() if t.name.startswith("casereview-import")]
    assert _counts(store) == before
    monkeypatch.setattr(bulk.BulkImport, "_write", write)
    monkeypatch.setattr(create, "chunks", chunks)
    summary = service.create_campaign(store, "中断", tmp_path / "files", paths, OPTIONS)
    assert summary.files == len(paths)


def test_a_campaign_is_hidden_until_its_last_file_is_in(store_url, tmp_path, monkeypatch):
    """The chunks are committed as the review goes, yet no listing, name or file page shows the
    campaign before it is whole; then it is there under its name, with every file."""
    from casereview.server.app import create_app

    paths = _corpus(tmp_path / "files")
    store = open_store(url=store_url)
    service.create_campaign(store, "已有", tmp_path / "files", paths[:1], OPTIONS)
    with store.write() as session:
        service.add_user(session, "lead", "组长", "lead", "pw-lead-1234")
    client = create_app(store, secret_key="test").test_client()
    assert login(client, "lead", "pw-lead-1234").status_code == 302
    monkeypatch.setattr(create, "CHUNK", 3)
    write, seen = create.ChunkWriter._write, []

    def look_from_elsewhere_after_the_first_chunk(self, chunk):
        write(self, chunk)  # its transaction is committed
        if seen:
            return
        with store.session() as other:
            campaign_id = other.scalar(select(func.max(CaseRecord.campaign_id)))
            hidden = select(CaseRecord.id).where(CaseRecord.campaign_id == campaign_id)
            seen.append(
                (
                    service.get_campaign(other).name,
                    {row["campaign"] for row in service.trends(other)},
                    "建立中" in client.get("/lead").get_data(as_text=True),
                    client.get(f"/files/{other.scalar(hidden.limit(1))}").status_code,
                )
            )

    monkeypatch.setattr(create.ChunkWriter, "_write", look_from_elsewhere_after_the_first_chunk)
    service.create_campaign(store, "新建", tmp_path / "files", paths, OPTIONS)
    assert seen == [("已有", {"已有"}, False, 403)]
    with store.session() as session:
        campaign = service.get_campaign(session)
        assert (campaign.name, campaign.building) == ("新建", None)
        cases = session.scalar(select(func.count()).where(CaseRecord.campaign_id == campaign.id))
        assert cases == len(paths)


KILLED_IMPORT = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from casereview.batch import BatchOptions
from casereview.campaign import bulk, create, service
from casereview.campaign.store import open_store

create.CHUNK = 2
write = bulk.BulkImport._write
done = []

def write_then_die(self, session, chunk):
    if not done:  # a tiny page cache: the open transaction's pages spill into the WAL file
        session.connection().exec_driver_sql("PRAGMA cache_size=2")
    write(self, session, chunk)
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
    with store.session() as session:  # the killed campaign's first chunks are in, hidden
        assert service.get_campaign(session).name == "已有"
        assert {row["campaign"] for row in service.trends(session)} == {"已有"}
        assert json.loads(session.scalar(select(MachineResult.result_json).limit(1)))["file"]
    assert _counts(store)["case_files"] == before["case_files"] + 4
    summary = service.create_campaign(store, "被终止", folder / "files", paths, OPTIONS)
    assert summary.files == len(paths)
    after = _counts(store)  # the next create removed the killed one's rows
    assert after == {**before, "campaigns": 2, **{t: before[t] + len(paths) for t in list(before)[1:]}}


def test_the_create_command_ends_without_teardown_its_campaign_whole_and_the_store_closed(tmp_path):
    """`campaign create` ends through `cli.exit_process` as `review` does (the teardown of the
    parent's batch and the store's modules was ~0.3 s at 1,000 files): the command closes its store
    first, so the campaign is whole and checkpointed (no WAL left), the exit code and summary are a
    normal exit's, and no object is finalised by a teardown."""
    folder = tmp_path / "campaign"
    paths = _corpus(folder / "files")
    argv = ["campaign", "create", "--dir", str(folder), "命令", str(folder / "files")]
    argv += ["--roster", str(CASEFILES / "roster.yaml"), "--engine", "oracle", "--workers", "0"]
    script = (
        "import sys\nfrom casereview import cli\n"
        "class Late:\n    def __del__(self):\n        print('torn down')\n"
        f"late = Late()\nsys.argv = {['casereview', *argv]!r}\ncli.run()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "torn down" not in done.stdout and "已建立评查活动「命令」" in done.stdout
    assert not (folder / "campaign.db-wal").exists()  # the store was closed: checkpointed, WAL removed
    store = open_store(folder)
    with store.session() as session:
        assert service.get_campaign(session).name == "命令"
    assert _counts(store)["case_files"] == len(paths)
    store.close()


def test_a_file_row_holds_the_file_as_read_and_the_result_as_pydantic_writes_it(tmp_path):
    """What the worker stages of each file: its text as UTF-8 (read as UTF-8 with or without BOM,
    GB 18030), the SHA-256 of its bytes, and the result's JSON byte-equal to `model_dump_json`; what is not a
    regular file (gone, a folder, a FIFO) is stored with an empty text, never blocks."""
    import hashlib

    from casereview.batch import BatchOptions, review_batch

    text = FILES[0].read_text(encoding="utf-8")
    files = {
        "plain.yaml": text.encode("utf-8"),
        "bom.yaml": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "gb.yaml": text.encode("gb18030"),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "folder.yaml").mkdir()
    os.mkfifo(tmp_path / "fifo.yaml")
    paths = [tmp_path / name for name in (*files, "folder.yaml", "fifo.yaml", "gone.yaml")]
    options = BatchOptions(roster=OPTIONS.roster, workers=0, engine="oracle")
    for path, result in zip(paths, review_batch(paths, options), strict=True):
        row = create.file_row(path, result)
        data = files.get(path.name, b"")
        assert row["content"] == (text.encode() if data else b"")  # UTF-8, without the BOM
        assert row["content_hash"] == hashlib.sha256(data).hexdigest()
        assert row["result_json"] == result.model_dump_json().encode()
        assert row["status"] == ("reviewed" if data else "rejected")


@pytest.mark.parametrize("total", [0, 1, 9, 64, 65, 499, 500, 501, 1000, 10_000])
def test_chunks_keep_every_row_in_order_and_the_last_written_after_the_review_is_small(total):
    sizes = [len(chunk) for chunk in create.chunks(iter(range(total)), 500, total)]
    assert [x for chunk in create.chunks(iter(range(total)), 500, total) for x in chunk] == list(range(total))
    assert all(0 < size <= 500 for size in sizes)
    assert not sizes or sizes[-1] <= create.LAST_CHUNK
