"""The durable_rules ruleset built in the background at start-up matches exactly like one built
in the worker, is only built from a signed cache entry, and every forked worker gets its own."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import pytest

from casereview.batch import BatchOptions, make_context, review_batch, review_one
from casereview.evaluate import durable_prebuild
from casereview.evaluate.durable_engine import prepare_book
from casereview.load import load_roster
from casereview.packs import bookcache

ROOT = Path(__file__).resolve().parents[1]
ROSTER = ROOT / "rules" / "examples" / "roster.yaml"
SAMPLES = sorted((ROOT / "casefiles").glob("*.yaml")) + sorted((ROOT / "casefiles").glob("*.json"))


@pytest.fixture
def cached_rules(tmp_path, monkeypatch):
    """A copy of the shipped rules whose book (and ruleset JSON) is in a fresh cache."""
    monkeypatch.delenv("CASEREVIEW_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    bookcache.load_rulebook_cached(rules)  # builds and stores
    yield rules
    _forget_prebuilt()


def _forget_prebuilt() -> None:
    durable_prebuild.wait()
    durable_prebuild._built.clear()


def _prebuilt_name(book) -> str:
    return durable_prebuild.ruleset_name(prepare_book(book)[0])


@pytest.mark.parametrize("one_file_check", [False, True])
def test_the_engine_takes_the_prebuilt_ruleset_and_matches_as_a_fresh_one(
    cached_rules, monkeypatch, profile, one_file_check
):
    """Also in a supervised one-file check, whose build thread builds in a padded heap and warms the
    heap for the first state."""
    from casereview.evaluate import solo

    warmed: list[int] = []
    warm, pad = durable_prebuild._warm_heap, durable_prebuild._pad_heap
    monkeypatch.setattr(solo, "here", lambda: one_file_check)
    monkeypatch.setattr(durable_prebuild, "_warm_heap", lambda: warmed.append(1) or warm())
    monkeypatch.setattr(durable_prebuild, "_pad_heap", lambda: warmed.append(0) or pad())
    assert bookcache.start_durable_build(cached_rules)
    book = bookcache.load_rulebook_cached(cached_rules)
    durable_prebuild.wait()
    assert _prebuilt_name(book) in durable_prebuild._built
    assert warmed == ([0, 1] if one_file_check else [])

    import durable_rules_engine

    def not_built_here(*args):
        raise AssertionError("the ruleset should have been built in the background")

    roster = load_roster(ROSTER)
    with monkeypatch.context() as patched:
        patched.setattr(durable_rules_engine, "create_ruleset", not_built_here)
        prebuilt = make_context(book, profile, roster, "durable")
    assert _prebuilt_name(book) not in durable_prebuild._built  # taken: once per process
    fresh = make_context(book, profile, roster, "durable")  # builds its own
    assert prebuilt.engine._handle != fresh.engine._handle
    for path in SAMPLES:
        assert review_one(path, prebuilt).model_dump() == review_one(path, fresh).model_dump(), path.name


def test_an_unsigned_or_altered_ruleset_entry_is_never_built(cached_rules, monkeypatch):
    import durable_rules_engine

    given: list[str] = []
    monkeypatch.setattr(durable_prebuild, "ruleset_name", lambda payload: given.append(payload) or "x")
    [entry] = bookcache.cache_folder().glob(f"*{bookcache.DURABLE_SUFFIX}")
    raw = entry.read_bytes()
    entry.write_bytes(raw[:-3] + b"]}}")  # the JSON changed after signing
    bookcache.start_durable_build(cached_rules)
    durable_prebuild.wait()
    entry.write_bytes(b"\0" * bookcache.SIGNATURE_BYTES + raw[bookcache.SIGNATURE_BYTES :])
    bookcache.start_durable_build(cached_rules)
    durable_prebuild.wait()
    entry.write_bytes(raw[: bookcache.SIGNATURE_BYTES])  # the signature alone
    bookcache.start_durable_build(cached_rules)
    durable_prebuild.wait()
    entry.unlink()
    assert not bookcache.start_durable_build(cached_rules)
    durable_prebuild.wait()
    assert not durable_prebuild._built and given == []  # nothing reached durable_rules
    assert durable_rules_engine  # the test ran where durable_rules exists


def test_no_ruleset_is_prebuilt_for_rules_that_changed(cached_rules):
    pack = cached_rules / "packs" / "certificates.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("title:", "title: 改 ", 1), encoding="utf-8")
    assert not bookcache.start_durable_build(cached_rules)


def _took_prebuilt(name: str) -> bool:
    return durable_prebuild.take(name) is not None


def test_each_forked_process_takes_its_own_copy(cached_rules):
    book = bookcache.load_rulebook_cached(cached_rules)
    assert bookcache.start_durable_build(cached_rules)
    name = _prebuilt_name(book)
    # a process per task: each is forked from this one (forks wait for the build to finish)
    with multiprocessing.get_context("fork").Pool(2, maxtasksperchild=1) as pool:
        assert pool.map(_took_prebuilt, [name] * 3, chunksize=1) == [True, True, True]
    assert name in durable_prebuild._built  # the parent never used it


def test_a_batch_with_a_prebuilt_ruleset_gives_the_same_results(cached_rules, profile):
    assert bookcache.start_durable_build(cached_rules)
    run = review_batch(SAMPLES, BatchOptions(rules=cached_rules, roster=ROSTER, workers=2))
    background = [r.model_dump() for r in run]
    _forget_prebuilt()
    run = review_batch(SAMPLES, BatchOptions(rules=cached_rules, roster=ROSTER, workers=2))
    assert [r.model_dump() for r in run] == background
    assert {r["engine"] for r in background} == {"durable", None}  # None: files that could not be read


def test_a_ruleset_is_named_the_same_whether_remembered_or_not(cached_rules):
    book = bookcache.load_rulebook_cached(cached_rules)
    payload = prepare_book(book)[0]
    first = durable_prebuild.ruleset_name(payload)
    copy = "".join(payload)  # an equal JSON text that is another object, as a worker's book holds
    assert copy is not payload
    assert durable_prebuild.ruleset_name(copy) == first
    durable_prebuild._named = None
    assert durable_prebuild.ruleset_name(copy) == first
    assert durable_prebuild.ruleset_name(payload + " ") != first
