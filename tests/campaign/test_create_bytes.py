"""`campaign create` stores the very bytes each file was reviewed from: a file changed between its
review and the store keeps the text (and hash) its verdict is about, each file is read once, and
files the review refused before reading them are stored as before (an empty text)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from casereview import review
from casereview.campaign import service
from casereview.campaign.models import CaseRecord
from casereview.campaign.store import open_store

from .helpers import CASEFILES, OPTIONS, SAMPLE, make_campaign

CHANGED = "\n# 评查后修改：此行不在评查所读的文本中\n"


def _stored(store, name: str) -> dict[str, tuple[bytes, str, str]]:
    """File name → (stored text as UTF-8, stored hash, machine status) of campaign `name`."""
    with store.session() as session:
        campaign = service.get_campaign(session, name)
        out = {}
        for case in session.scalars(select(CaseRecord).where(CaseRecord.campaign_id == campaign.id)):
            version = service.current_version(session, case)
            status = service.machine_result(session, version)["status"]
            out[Path(version.path).name] = (version.content.encode(), version.content_hash, status)
        return out


def _copies(folder: Path) -> dict[Path, bytes]:
    folder.mkdir()
    return {Path(shutil.copy(CASEFILES / n, folder / n)): (CASEFILES / n).read_bytes() for n in SAMPLE}


def _count_opens(monkeypatch) -> list[str]:
    """The paths `os.open` is given from now on (until `monkeypatch.undo()`), in order."""
    opened: list[str] = []
    real_open = os.open

    def counted_open(path, *args, **kw):
        opened.append(os.fspath(path))
        return real_open(path, *args, **kw)

    monkeypatch.setattr(os, "open", counted_open)
    return opened


def _change_after_read(monkeypatch) -> None:
    """From now on, each case file the review loads is appended `CHANGED` right after its read."""
    load_case = review.load_case

    def read_then_changed(path, **kw):
        loaded = load_case(path, **kw)
        with open(path, "a", encoding="utf-8") as f:  # after the review's read
            f.write(CHANGED)
        return loaded

    monkeypatch.setattr(review, "load_case", read_then_changed)


def _assert_read_once_and_stored(opened: list[str], stored: dict, files: dict[Path, bytes]) -> None:
    """Each of `files` was opened once and is stored with its bytes and their SHA-256."""
    for path, data in files.items():
        assert opened.count(str(path)) == 1, path
        text, digest, _ = stored[path.name]
        assert (text, digest) == (data, hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize("workers", [0, 2])
def test_a_file_changed_after_its_review_is_stored_as_it_was_reviewed(tmp_path, monkeypatch, workers):
    """Each file is rewritten right after the review has read it (in the worker that reviews it):
    the store holds the bytes reviewed and their SHA-256, never the text written afterwards."""
    files = _copies(tmp_path / "files")
    _change_after_read(monkeypatch)
    store = open_store(url=f"sqlite:///{tmp_path / 'c.db'}")
    options = dataclasses.replace(OPTIONS, workers=workers)
    service.create_campaign(store, "评后改动", tmp_path / "files", list(files), options)
    stored = _stored(store, "评后改动")
    store.close()
    assert set(stored) == set(SAMPLE)
    for path, reviewed in files.items():
        assert path.read_bytes() == reviewed + CHANGED.encode()  # the file did change
        text, digest, status = stored[path.name]
        assert status == "reviewed"
        assert digest == hashlib.sha256(reviewed).hexdigest()
        assert text == reviewed.removeprefix(b"\xef\xbb\xbf")


def test_each_file_is_read_once_and_files_not_read_are_stored_empty(tmp_path, monkeypatch):
    """One open of each case file by the whole create (the review's); a file refused before its
    bytes are read (gone, a folder) is stored with an empty text and the hash of no bytes, and a
    file read but rejected (not YAML) with its bytes, as before."""
    files = _copies(tmp_path / "files")
    broken = tmp_path / "files" / "broken.yaml"
    broken.write_bytes(b"case: [\n")
    files[broken] = b"case: [\n"
    gone, folder = tmp_path / "files" / "gone.yaml", tmp_path / "files" / "folder.yaml"
    folder.mkdir()
    opened = _count_opens(monkeypatch)
    store = open_store(url=f"sqlite:///{tmp_path / 'c.db'}")
    service.create_campaign(store, "读一次", tmp_path / "files", [*files, gone, folder], OPTIONS)
    monkeypatch.undo()
    stored = _stored(store, "读一次")
    store.close()
    _assert_read_once_and_stored(opened, stored, files)
    assert stored["broken.yaml"][2] == "rejected"
    for path in (gone, folder):
        assert stored[path.name] == (b"", hashlib.sha256(b"").hexdigest(), "rejected")


@pytest.mark.parametrize("workers", [0, 2])
def test_a_rectified_file_changed_after_its_rereview_is_stored_as_it_was_reviewed(
    tmp_path, monkeypatch, workers
):
    """`campaign rereview`: the new version holds the bytes its machine result is about (and their
    hash), not a text written after the review read the file."""
    store = make_campaign(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "files")
    fixed = tmp_path / "rectified.yaml"
    reviewed = (CASEFILES / SAMPLE[0]).read_bytes() + "\n# 整改：补正\n".encode()
    fixed.write_bytes(reviewed)
    _change_after_read(monkeypatch)
    summary = service.rereview(store, None, fixed, dataclasses.replace(OPTIONS, workers=workers), "lead")
    monkeypatch.undo()
    assert fixed.read_bytes() == reviewed + CHANGED.encode()  # the file did change
    with store.session() as session:
        case = service.get_case(session, service.get_campaign(session), summary.case_key)
        version = service.current_version(session, case)
        assert version.number == 2
        assert version.content_hash == hashlib.sha256(reviewed).hexdigest()
        assert version.content.encode() == reviewed
    store.close()


def test_a_result_cache_hit_stores_the_bytes_its_result_is_about(tmp_path, monkeypatch):
    """With a result cache, a hit's bytes (those hashed for the key) are stored: the file is read
    once by the create, not a second time for its stored text."""
    monkeypatch.delenv("CASEREVIEW_NO_CACHE", raising=False)
    files = _copies(tmp_path / "files")
    options = dataclasses.replace(OPTIONS, cache_dir=tmp_path / "cache")
    first = open_store(url=f"sqlite:///{tmp_path / 'a.db'}")
    service.create_campaign(first, "暖缓存", tmp_path / "files", list(files), options)  # fills the cache
    first.close()
    opened = _count_opens(monkeypatch)
    store = open_store(url=f"sqlite:///{tmp_path / 'b.db'}")
    service.create_campaign(store, "缓存命中", tmp_path / "files", list(files), options)
    monkeypatch.undo()
    stored = _stored(store, "缓存命中")
    store.close()
    _assert_read_once_and_stored(opened, stored, files)
    assert all(stored[path.name][2] == "reviewed" for path in files)
    assert any(p.startswith(str(tmp_path / "cache")) for p in opened)  # the results came from the cache
