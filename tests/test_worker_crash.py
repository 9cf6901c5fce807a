"""A worker killed mid-batch loses no file; the result says the case was re-run."""

from __future__ import annotations

import json
import shutil
from functools import partial
from pathlib import Path

import pytest

from casereview.cli import main, make_context
from casereview.evaluate import runner

EXAMPLES = Path(__file__).resolve().parents[1] / "rules" / "examples"


def _batch(tmp_path: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        path = tmp_path / f"case-{i:02d}.yaml"
        shutil.copy(EXAMPLES / "general.yaml", path)
        paths.append(path)
    return paths


def test_crash_hook_case_is_rerun_and_every_file_comes_back(
    tmp_path, book, profile, example_roster, monkeypatch
):
    paths = _batch(tmp_path, 8)
    crash = tmp_path / "case-crashme.yaml"
    shutil.copy(EXAMPLES / "general.yaml", crash)
    paths.insert(3, crash)
    monkeypatch.setenv("CASEREVIEW_TEST_CRASH_ON", "crashme")
    factory = partial(make_context, book, profile, example_roster, "durable")
    fallback = make_context(book, profile, example_roster, "oracle")
    results = list(runner.review_paths(paths, factory, fallback, workers=2, window=4))
    assert [r.file for r in results] == [str(p) for p in paths]
    crashed = results[3]
    assert crashed.status == "reviewed" and any("重新评查" in n for n in crashed.notes)
    assert crashed.engine == "oracle"  # it killed its worker twice: the oracle reviewed it


def test_a_worker_killed_once_is_replaced_and_the_case_rerun_on_durable(
    tmp_path, book, profile, example_roster, monkeypatch
):
    paths = _batch(tmp_path, 12)
    monkeypatch.setenv("CASEREVIEW_TEST_CRASH_ON", "case-05")
    monkeypatch.setenv("CASEREVIEW_TEST_CRASH_ONCE", str(tmp_path / "killed-once"))
    factory = partial(make_context, book, profile, example_roster, "durable")
    fallback = make_context(book, profile, example_roster, "oracle")
    results = list(runner.review_paths(paths, factory, fallback, workers=2, window=6))
    assert [r.file for r in results] == [str(p) for p in paths]
    assert all(r.status == "reviewed" for r in results)
    rerun = results[5]
    assert any("重新评查" in n for n in rerun.notes) and rerun.engine == "durable"
    assert (tmp_path / "killed-once").exists()  # the worker really died (SIGKILL)


def test_a_crash_inside_a_chunk_reruns_only_that_chunk_and_loses_nothing(
    tmp_path, book, profile, example_roster, monkeypatch
):
    paths = _batch(tmp_path, 20)
    monkeypatch.setenv("CASEREVIEW_TEST_CRASH_ON", "case-09")
    monkeypatch.setenv("CASEREVIEW_TEST_CRASH_ONCE", str(tmp_path / "killed-once"))
    factory = partial(make_context, book, profile, example_roster, "durable")
    fallback = make_context(book, profile, example_roster, "oracle")
    results = list(runner.review_paths(paths, factory, fallback, workers=2, window=8, chunk=4))
    assert [r.file for r in results] == [str(p) for p in paths]
    assert all(r.status == "reviewed" and r.engine == "durable" for r in results)
    rerun = [i for i, r in enumerate(results) if any("重新评查" in n for n in r.notes)]
    # at most two chunks of 4 are in flight (window 8): only those can have been re-run
    assert 9 in rerun and set(rerun) <= set(range(4, 16))
    assert [i for i in range(8, 12) if i not in rerun] == []  # the whole chunk holding case-09
    assert (tmp_path / "killed-once").exists()


def _leave_a_cycle(result, index):
    """In the worker: drop a reference cycle, then allocate past the young threshold."""
    import gc
    import weakref

    class Node:
        pass

    node, freed = Node(), []
    node.me = node
    watch = weakref.ref(node, lambda _: freed.append(True))
    del node
    young = [[] for _ in range(runner.WORKER_GC_YOUNG + 100)]
    return bool(freed), watch() is None, len(young), gc.isenabled()


def test_a_worker_still_collects_cycles_with_its_larger_young_threshold(tmp_path, book, profile):
    """Workers run the cyclic collector less often (their garbage is acyclic), never not at all."""
    factory = partial(make_context, book, profile, None, "durable")
    fallback = make_context(book, profile, None, "oracle")
    paths = _batch(tmp_path, 2)
    results = list(runner.review_paths(paths, factory, fallback, workers=2, prepare=_leave_a_cycle))
    assert results == [(True, True, runner.WORKER_GC_YOUNG + 100, True)] * 2


@pytest.mark.parametrize(("n", "chunk"), [(1, None), (20, None), (10_000, None), (1_001, None), (10, 4)])
def test_tasks_hold_every_file_once_in_order_large_first_one_file_each_at_the_end(n, chunk):
    tasks = list(runner._tasks(0, n, 2, chunk))
    assert [i for start, stop in tasks for i in range(start, stop)] == list(range(n))
    sizes = [stop - start for start, stop in tasks]
    if chunk:
        assert set(sizes[:-1]) == {chunk}
        return
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 1
    assert max(sizes) <= runner.LARGEST_CHUNK
    if n <= 20:
        assert set(sizes) == {1}  # a small batch: one file per task, the best balance
    if n == 10_000:
        assert len(tasks) < 300  # not 625 tasks of 16 files (each costs the parent ~0.3 ms)


def test_the_report_lists_every_file_even_if_the_runner_loses_some(tmp_path, monkeypatch):
    """Last line of defence in `casereview review`: a file the runner never returned is reported
    as not reviewed (内部错误), never silently missing."""
    src = tmp_path / "in"
    src.mkdir()
    paths = _batch(src, 4)
    real = runner.review_paths

    def losing(paths, *args, **kwargs):  # what comes back per file may be prepared (`run.each`)
        items = zip(paths, real(paths, *args, **kwargs), strict=True)
        return (item for path, item in items if not str(path).endswith("case-03.yaml"))

    monkeypatch.setattr(runner, "review_paths", losing)
    out = tmp_path / "out"
    main(["review", str(src), "-o", str(out), "--engine", "oracle", "--workers", "2", "--format", "json"])
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))["results"]
    assert sorted(r["file"] for r in results) == sorted(str(p) for p in paths)
    lost = next(r for r in results if r["file"].endswith("case-03.yaml"))
    assert lost["status"] == "rejected" and "评查未返回结果" in lost["errors"][0]["message"]
