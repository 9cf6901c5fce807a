"""A worker reviews its files stage by stage across them (`review.review_files`, through
`cache.cached_reviews`): each file's result must be exactly what reviewing it alone gives, in
order, whatever the other files are (rejected, failing inside a stage, served from the cache)."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_golden_results import _BROKEN, ROOT, _import_paths
from test_trusted_models import _corpus

_import_paths()

from casereview import review  # noqa: E402
from casereview.batch import make_context  # noqa: E402
from casereview.cache import ResultCache, cached_review, cached_reviews  # noqa: E402
from casereview.load import load_roster  # noqa: E402
from casereview.review import STAGED_FILES, review_file, review_files  # noqa: E402


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("staged")
    broken = []
    for name, text in _BROKEN.items():
        (folder / name).write_text(text, "utf-8")
        broken.append(folder / name)
    corpus = _corpus(folder)
    # rejections among the reviewed files, and more files than one group of stages holds
    return [*corpus[:5], broken[0], *corpus[5:20], *broken[1:], *corpus[20:], folder / "missing.yaml"]


@pytest.fixture(scope="module", params=["durable", "oracle"])
def ctx(request, book, profile):
    roster = load_roster(ROOT / "rules" / "examples" / "roster.yaml")
    return make_context(book, profile, roster, request.param)


def _json(results) -> list[bytes]:
    return [review.result_json(r) for r in results]


def test_files_reviewed_together_equal_each_reviewed_alone(files, ctx):
    assert len(files) > 2 * STAGED_FILES
    together = review_files(files, ctx)
    alone = [review_file(path, ctx) for path in files]
    assert _json(together) == _json(alone)
    assert {r.status for r in together} == {"reviewed", "rejected"}
    assert [r.file for r in together] == [str(p) for p in files]


def test_a_stage_failing_on_one_file_rejects_that_file_only(files, ctx, monkeypatch):
    def failing(stage, bad: Path):
        def run(item, context):
            if item.path == bad:
                raise RuntimeError(f"bug in {stage.__name__}")
            return stage(item, context)

        return run

    bad = {"_derive": files[2], "_evaluate": files[3], "_finish": files[4]}
    for name, path in bad.items():
        monkeypatch.setattr(review, name, failing(getattr(review, name), path))
    results = review_files(files[:8], ctx)
    monkeypatch.undo()
    assert [r.file for r in results] == [str(p) for p in files[:8]]
    for name, path in bad.items():
        result = results[files.index(path)]
        assert result.status == "rejected"
        assert result.errors[0].message == f"评查失败（内部错误）：RuntimeError: bug in {name}"
    others = [i for i in range(8) if files[i] not in bad.values()]
    assert _json(results[i] for i in others) == _json(review_file(files[i], ctx) for i in others)


def test_cached_reviews_keep_order_with_hits_and_misses(files, ctx, tmp_path):
    cache = ResultCache(tmp_path / "cache")
    some = files[:10]
    for path in some[::3]:  # a few in the cache before
        cached_review(path, ctx, cache)
    mixed = cached_reviews(some, ctx, cache)
    assert cache.hits >= 3
    assert _json(mixed) == _json(review_file(p, ctx) for p in some)
    offered: list[bytes] = []
    again = cached_reviews(some, ctx, cache, [offered.append] * len(some))  # all hits, each offered
    assert len(offered) == len(some) and _json(again) == _json(mixed)
