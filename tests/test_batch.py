"""The library batch API (`casereview.batch`): the one review loop the CLI, campaign and server share."""

from __future__ import annotations

from pathlib import Path

import pytest

from casereview.batch import BatchOptions, BatchSetupError, iter_case_paths, review_batch

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "rules" / "examples"


def test_stream_has_one_result_per_path_in_order_including_bad_input(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("case: [unclosed\n", encoding="utf-8")
    paths = [EXAMPLES / "general.yaml", bad, ROOT / "casefiles" / "03-nankang-zhuyao-fuzeren.json"]
    run = review_batch(paths, BatchOptions(roster=EXAMPLES / "roster.yaml", workers=0, engine="oracle"))
    assert run.total == 3 and run.book.version
    results = list(run)
    assert [r.file for r in results] == [str(p) for p in paths]
    assert [r.status for r in results] == ["reviewed", "rejected", "reviewed"]
    assert results[0].score is not None and results[0].score.score == 100
    assert "broken.yaml" in results[1].errors[0].file


def test_worker_processes_give_the_same_results_as_in_process():
    paths = sorted((ROOT / "casefiles").glob("0[1-4]-*"))
    roster = ROOT / "casefiles" / "roster.yaml"
    solo = list(review_batch(paths, BatchOptions(roster=roster, workers=0, engine="oracle")))
    pooled = list(review_batch(paths, BatchOptions(roster=roster, workers=2)))
    assert [(r.file, r.score.score if r.score else None) for r in solo] == [
        (r.file, r.score.score if r.score else None) for r in pooled
    ]
    assert [sorted(f.code for f in r.findings) for r in solo] == [
        sorted(f.code for f in r.findings) for r in pooled
    ]


def test_preloaded_profile_is_used(profile):
    custom = profile.model_copy(update={"id": "campaign-own"})
    run = review_batch(
        [EXAMPLES / "general.yaml"], BatchOptions(workers=0, engine="oracle", profile_model=custom)
    )
    assert next(iter(run)).score.profile == "campaign-own"


def test_unloadable_roster_raises_before_any_file(tmp_path):
    roster = tmp_path / "roster.yaml"
    roster.write_text("officers: 3\n", encoding="utf-8")
    with pytest.raises(BatchSetupError, match="证件台账无法读取"):
        review_batch([EXAMPLES / "general.yaml"], BatchOptions(roster=roster, workers=0))


def test_unloadable_profile_raises(tmp_path):
    bad = tmp_path / "profile.yaml"
    bad.write_text("id: x\n", encoding="utf-8")
    with pytest.raises(BatchSetupError, match="评查标准无法加载"):
        review_batch([EXAMPLES / "general.yaml"], BatchOptions(profile=bad, workers=0))


def test_folders_are_walked_and_rosters_skipped():
    found = list(iter_case_paths([ROOT / "casefiles"]))
    assert found and all(not p.stem.startswith("roster") for p in found)
    assert found == sorted(found)
