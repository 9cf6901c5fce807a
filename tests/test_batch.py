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


def _where_prepared(result, index):
    """A per-file step that shows which process ran it."""
    import os

    return index, result.file, result.status, os.getpid()


@pytest.mark.parametrize("workers", [0, 2])
def test_each_runs_prepare_per_file_in_the_reviewing_process_in_input_order(tmp_path, workers):
    import os

    bad = tmp_path / "broken.yaml"
    bad.write_text("case: [unclosed\n", encoding="utf-8")
    paths = [*sorted((ROOT / "casefiles").glob("0[1-4]-*")), bad]
    run = review_batch(paths, BatchOptions(roster=EXAMPLES / "roster.yaml", workers=workers))
    prepared = list(run.each(_where_prepared))
    assert [(i, f) for i, f, _, _ in prepared] == list(enumerate(map(str, paths)))
    assert prepared[-1][2] == "rejected"
    pids = {pid for *_, pid in prepared}
    assert (pids == {os.getpid()}) if workers == 0 else (os.getpid() not in pids)
    with pytest.raises(RuntimeError):
        run.each(_where_prepared)  # a batch is iterated once


def test_prepare_sees_the_batch_notes_and_the_rerun_note(tmp_path, monkeypatch):
    """Notes the batch adds (a re-run after a worker crash) are on the result `prepare` sees."""
    import shutil

    paths = []
    for i in range(4):
        paths.append(tmp_path / f"case-{i}.yaml")
        shutil.copy(EXAMPLES / "general.yaml", paths[-1])
    monkeypatch.setenv("CASEREVIEW_TEST_CRASH_ON", "case-2")
    monkeypatch.setenv("CASEREVIEW_TEST_CRASH_ONCE", str(tmp_path / "killed-once"))
    run = review_batch(paths, BatchOptions(roster=EXAMPLES / "roster.yaml", workers=2))
    notes = list(run.each(lambda result, index: (index, list(result.notes))))
    assert [i for i, _ in notes] == [0, 1, 2, 3]
    assert any("重新评查" in n for n in notes[2][1]) and not any("重新评查" in n for n in notes[1][1])


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


def _rglob_case_paths(folder: Path) -> list[Path]:
    """What `iter_case_paths` listed of a folder when it was written with rglob (the reference)."""
    return [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p.suffix.lower() in (".yaml", ".yml", ".json")
        and not p.name.startswith(".")
        and not p.stem.lower().startswith("roster")
    ]


def test_the_folder_walk_lists_what_rglob_listed_in_its_order(tmp_path):
    """Nested and hidden folders, hidden files, rosters, suffixes in any case, names that only
    look like a suffix, links to files (listed) and to folders (not entered), broken links, a
    folder named like a case file, and names that sort differently as parts than as text."""
    top = tmp_path / "files"
    for name in (
        "b.yaml", "a-b.yaml", "a/z.json", "a/m/1.yml", "A.YAML", "c.Json", "d.yaml/inside.yaml",
        ".hidden.yaml", ".dot/e.yaml", "roster.yaml", "Roster-2.yml", "notes.txt", "x.", "yaml",
        "sub/roster/f.yaml", "z.yaml.bak", "中文案卷.yaml",
    ):  # fmt: skip
        path = top / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("case: {}\n", encoding="utf-8")
    (top / "link.yaml").symlink_to(top / "b.yaml")
    (top / "linked").symlink_to(top / "a", target_is_directory=True)
    (top / "broken.yaml").symlink_to(top / "gone.yaml")
    (top / "loop.yaml").symlink_to(top / "loop.yaml")
    found = list(iter_case_paths([top, top / "notes.txt"]))
    assert found == [*_rglob_case_paths(top), top / "notes.txt"]
    assert top / "link.yaml" in found and top / "a" / "m" / "1.yml" in found
    assert not [p for p in found if "linked" in p.parts]
