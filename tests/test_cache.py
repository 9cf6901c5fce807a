"""The content-hash result cache: hits on unchanged inputs, misses on any change of key inputs."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from casereview import cache as cache_mod
from casereview.cache import ResultCache, cache_key, cached_review
from casereview.review import ReviewContext, review_file, review_files


@pytest.fixture
def ctx(book, profile, oracle, example_roster) -> ReviewContext:
    return ReviewContext(book, profile, oracle, example_roster)


@pytest.fixture
def case_file(root: Path, tmp_path: Path) -> Path:
    target = tmp_path / "case.yaml"
    shutil.copy(root / "rules" / "examples" / "general.yaml", target)
    return target


def _spy(monkeypatch) -> list[Path]:
    calls: list[Path] = []

    def counting(paths, ctx, data=None):
        calls.extend(paths)
        return review_files(paths, ctx, data)

    monkeypatch.setattr(cache_mod, "review_files", counting)
    return calls


def test_unchanged_file_is_served_from_cache(ctx, case_file, tmp_path, monkeypatch):
    calls = _spy(monkeypatch)
    store = ResultCache(tmp_path / "cache")
    first = cached_review(case_file, ctx, store)
    second = cached_review(case_file, ctx, store)
    assert len(calls) == 1
    assert store.hits == 1
    assert second == first == review_file(case_file, ctx)
    assert (tmp_path / "cache" / ".gitignore").exists()


def test_changed_file_misses(ctx, case_file, tmp_path, monkeypatch):
    calls = _spy(monkeypatch)
    store = ResultCache(tmp_path / "cache")
    cached_review(case_file, ctx, store)
    case_file.write_text(case_file.read_text("utf-8").replace("amount: 15000", "amount: 15001"), "utf-8")
    result = cached_review(case_file, ctx, store)
    assert len(calls) == 2
    assert result == review_file(case_file, ctx)


def test_changed_rules_version_misses(ctx, case_file, tmp_path, monkeypatch):
    calls = _spy(monkeypatch)
    store = ResultCache(tmp_path / "cache")
    cached_review(case_file, ctx, store)
    bumped_book = dataclasses.replace(ctx.book, version="0000000000000000")
    bumped = ReviewContext(bumped_book, ctx.profile, ctx.engine, ctx.roster, ctx.calendar)
    assert cache_key(b"x", case_file, bumped) != cache_key(b"x", case_file, ctx)
    cached_review(case_file, bumped, store)
    assert len(calls) == 2
    cached_review(case_file, bumped, store)
    assert len(calls) == 2  # and the new version is cached in turn


def test_roster_and_engine_are_part_of_the_key(ctx, durable, case_file):
    no_roster = ReviewContext(ctx.book, ctx.profile, ctx.engine, None, ctx.calendar)
    other_engine = ReviewContext(ctx.book, ctx.profile, durable, ctx.roster, ctx.calendar)
    keys = {cache_key(b"x", case_file, c) for c in (ctx, no_roster, other_engine)}
    assert len(keys) == 3


def test_damaged_entry_is_a_miss(ctx, case_file, tmp_path):
    store = ResultCache(tmp_path / "cache")
    first = cached_review(case_file, ctx, store)
    for entry in (tmp_path / "cache").rglob("*.json"):
        entry.write_text("{not json", "utf-8")
    again = cached_review(case_file, ctx, store)
    assert again.notes == [*first.notes, cache_mod.TAMPERED_NOTE]  # said, and otherwise the same
    assert again.model_copy(update={"notes": first.notes}) == first
    assert store.hits == 0 and store.tampered == 1


def test_rejected_input_is_cached_but_internal_errors_are_not(ctx, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("case: [unclosed\n", "utf-8")
    store = ResultCache(tmp_path / "cache")
    result = cached_review(bad, ctx, store)
    assert result.status == "rejected"
    assert cached_review(bad, ctx, store) == result and store.hits == 1
    internal = result.model_copy(
        update={
            "errors": [e.model_copy(update={"message": "评查失败（内部错误）：x"}) for e in result.errors]
        }
    )
    assert not cache_mod.cacheable(internal)


def test_missing_file_bypasses_cache(ctx, tmp_path):
    store = ResultCache(tmp_path / "cache")
    result = cached_review(tmp_path / "nope.yaml", ctx, store)
    assert result.status == "rejected"
    assert not (tmp_path / "cache").exists()


def test_the_bytes_hashed_are_the_bytes_reviewed(ctx, case_file, tmp_path, monkeypatch):
    """The file is read once: rewritten between the hash and the review, the entry still holds
    the verdict on the bytes its key names (a second read would cache the new content's)."""
    from casereview.load import source

    def no_second_read(*args, **kwargs):
        raise AssertionError("the case file was read twice")

    monkeypatch.setattr(source, "read_bytes", no_second_read)
    cache = ResultCache(tmp_path / "c")
    result = cached_review(case_file, ctx, cache)
    assert result.status == "reviewed" and cache.misses == 1


def test_the_engine_code_is_part_of_the_key(ctx, case_file, monkeypatch):
    data = case_file.read_bytes()
    before = cache_key(data, case_file, ctx)
    monkeypatch.setattr(cache_mod, "code_fingerprint", lambda: "another engine")
    other = dataclasses.replace(ctx)  # a fresh context: the fingerprint is computed once per context
    assert cache_key(data, case_file, other) != before
