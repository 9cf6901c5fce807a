"""Issue 13 item 1: cache folders are untrusted. A planted pickle never runs, a forged or
re-keyed result entry never changes a verdict, and a FIFO, symlink or huge file in a cache is a
miss, never a hang or a crash."""

from __future__ import annotations

import json
import os
import pickle
import threading
from pathlib import Path

import pytest

from casereview import cachesafe
from casereview.cache import ResultCache, cached_review
from casereview.cli import main, make_context
from casereview.packs import bookcache

from .conftest import ROOT, copy_case

VETO = "amount: 10000000,"


def _veto_case(folder: Path) -> Path:
    return copy_case(folder / "veto.yaml", lambda t: t.replace("amount: 15000,", VETO))


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*.json") if not p.name.startswith("."))


def _split(raw: bytes) -> tuple[bytes, bytes]:
    """(framing, JSON) of an entry, whatever its format (old: bare JSON; the JSON is the last line)."""
    if raw.startswith(b"{"):
        return b"", raw
    head, _, body = raw.rpartition(b"\n")
    return head + b"\n", body


def _check(folder: Path, cache: Path) -> tuple[int, dict]:
    out = folder / "out"
    code = main(
        [
            "review",
            str(folder / "in"),
            "-o",
            str(out),
            "--format",
            "json",
            "--engine",
            "oracle",
            "--workers",
            "0",
            "--cache-dir",
            str(cache),
        ]
    )
    return code, json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_a_forged_result_entry_never_turns_a_vetoed_file_into_a_pass(tmp_path):
    _veto_case(tmp_path / "in")
    cache = tmp_path / "cache"
    code, first = _check(tmp_path, cache)
    assert code == 1 and first["results"][0]["score"]["grade"] == "不合格"
    [entry] = _entries(cache)
    framing, body = _split(entry.read_bytes())
    forged = json.loads(body)
    forged["findings"] = []
    forged["score"].update(score=100.0, grade="优秀", vetoed=False, veto_codes=[])
    entry.write_bytes(framing + json.dumps(forged, ensure_ascii=False).encode())
    code, second = _check(tmp_path, cache)
    result = second["results"][0]
    assert code == 1 and result["score"]["grade"] == "不合格" and result["score"]["vetoed"]
    assert any("校验失败" in note for note in result["notes"])  # the tampering is said


def test_an_entry_copied_under_another_files_key_is_a_miss(tmp_path):
    copy_case(tmp_path / "in" / "clean.yaml")
    _veto_case(tmp_path / "in")
    cache = tmp_path / "cache"
    _code, first = _check(tmp_path, cache)
    by_file = {Path(r["file"]).name: r for r in first["results"]}
    assert by_file["veto.yaml"]["score"]["vetoed"] and not by_file["clean.yaml"]["score"]["vetoed"]
    entries = _entries(cache)
    assert len(entries) == 2
    clean = next(e for e in entries if b"clean.yaml" in e.read_bytes())
    veto = next(e for e in entries if e != clean)
    veto.write_bytes(clean.read_bytes())  # a valid entry, but for other inputs
    _, second = _check(tmp_path, cache)
    by_file = {Path(r["file"]).name: r for r in second["results"]}
    assert by_file["veto.yaml"]["score"]["vetoed"]


def _run_with_timeout(fn, seconds: float = 20):
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "hung on a file planted in the cache"
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.fixture
def context(book, profile, example_roster):
    return make_context(book, profile, example_roster, "oracle")


@pytest.mark.parametrize("kind", ["fifo", "symlink", "huge", "directory"])
def test_a_strange_file_in_the_result_cache_is_a_miss(tmp_path, context, kind):
    case = _veto_case(tmp_path / "in")
    store = ResultCache(tmp_path / "cache")
    expected = cached_review(case, context, store)
    [entry] = _entries(tmp_path / "cache")
    _framing, body = _split(entry.read_bytes())
    forged = json.loads(body)
    forged["findings"], forged["score"]["grade"] = [], "优秀"
    entry.unlink()
    if kind == "fifo":
        os.mkfifo(entry)
    elif kind == "symlink":
        decoy = tmp_path / "decoy.json"
        decoy.write_bytes(json.dumps(forged, ensure_ascii=False).encode())
        entry.symlink_to(decoy)
    elif kind == "huge":
        with entry.open("wb") as handle:
            handle.truncate(64 * 1024 * 1024)  # sparse: costs no disk
    else:
        entry.mkdir()
    got = _run_with_timeout(lambda: cached_review(case, context, ResultCache(tmp_path / "cache")))
    assert got.score.grade == expected.score.grade == "不合格"


def _rules_copy(tmp_path: Path) -> Path:
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    return rules


class _Payload:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_planted_pickle_in_the_rulebook_cache_never_runs(tmp_path):
    rules = _rules_copy(tmp_path)
    marker = tmp_path / "pwned"
    target = bookcache.cache_folder() / f"{bookcache.book_key(rules, [])}.pickle"
    target.parent.mkdir(parents=True)
    target.write_bytes(pickle.dumps(_Payload(marker)))
    book = bookcache.load_rulebook_cached(rules)
    assert not marker.exists(), "code in a cache file ran"
    assert book.compiled
    # and signed with another key is just as foreign
    target.write_bytes(os.urandom(32) + pickle.dumps(_Payload(marker)))
    bookcache.load_rulebook_cached(rules)
    assert not marker.exists()


def test_a_forged_rulebook_never_passes_a_vetoed_file(tmp_path, profile, example_roster):
    rules = _rules_copy(tmp_path)
    real = bookcache.load_rulebook_cached(rules)  # builds and stores
    target = bookcache.cache_folder() / f"{bookcache.book_key(rules, [])}.pickle"
    assert target.exists()
    import dataclasses

    forged = dataclasses.replace(real, compiled=[])  # a book with no rules passes everything
    raw = target.read_bytes()
    framing = b"" if raw.startswith(b"\x80") else raw[:32]
    target.write_bytes(framing + pickle.dumps(forged))
    loaded = bookcache.load_rulebook_cached(rules)
    assert len(loaded.compiled) == len(real.compiled)
    case = _veto_case(tmp_path / "in")
    ctx = make_context(loaded, profile, example_roster, "oracle")
    assert cached_review(case, ctx, None).score.vetoed


@pytest.mark.parametrize("kind", ["fifo", "symlink", "huge"])
def test_a_strange_file_in_the_rulebook_cache_is_a_miss(tmp_path, kind):
    rules = _rules_copy(tmp_path)
    target = bookcache.cache_folder() / f"{bookcache.book_key(rules, [])}.pickle"
    target.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        elsewhere = tmp_path / "elsewhere.pickle"
        elsewhere.write_bytes(b"\x00" * 64)
        target.symlink_to(elsewhere)
    else:
        with target.open("wb") as handle:
            handle.truncate(bookcache.MAX_BOOK_BYTES + 1 if hasattr(bookcache, "MAX_BOOK_BYTES") else 1 << 30)
    book = _run_with_timeout(lambda: bookcache.load_rulebook_cached(rules))
    assert book.compiled


def test_the_key_lives_outside_the_cache_and_a_shared_key_is_refused(tmp_path):
    key = cachesafe.secret_key()
    assert key is not None and len(key) == 32
    path = cachesafe.key_path()
    assert path.stat().st_mode & 0o777 == 0o600
    assert not path.resolve().is_relative_to(bookcache.cache_folder().resolve())
    path.chmod(0o644)  # readable by others: not a secret any more
    cachesafe._keys.clear()
    assert cachesafe.secret_key() is None
