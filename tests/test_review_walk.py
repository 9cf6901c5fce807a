"""`review` starts its workers on the first files its folder walk finds while the walk goes on
(cli.FIRST_FOUND, discovery.Walk, runner.review_paths(more=...)): what it writes and says must
be what a review that walked the whole folder first writes and says."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from pathlib import Path

import pytest

from casereview import cli, discovery
from casereview.cli import EXIT_USAGE, main

ROOT = Path(__file__).resolve().parents[1]
ROSTER = ROOT / "casefiles" / "roster.yaml"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Case files with files the walk skips among and after them (a roster, a CI file, a file of
    our own output), so skipped files are found after the first results are under way."""
    src = tmp_path_factory.mktemp("walk") / "in"
    (src / "b").mkdir(parents=True)
    names = sorted(ROOT.joinpath("casefiles").glob("0[1-9]-*"))
    for i, path in enumerate(names):
        shutil.copy(path, (src / "b" if i % 3 == 0 else src) / path.name)
    (src / "b" / "ci.yaml").write_text("stages: [test]\n", encoding="utf-8")
    shutil.copy(ROSTER, src / "roster-2026.yaml")
    (src / "zz-ours.json").write_text('{"schema": "casereview.result", "results": []}', encoding="utf-8")
    (src / "zz-broken.yaml").write_text("case: [unclosed\n", encoding="utf-8")
    return src


def _review(folder: Path, out: Path, capsys, *extra: str) -> tuple[int, str, dict]:
    args = ["review", str(folder), "-o", str(out), "--format", "json", "--engine", "oracle", "--workers", "2"]
    code = main([*args, "--roster", str(ROSTER), "--no-cache", *extra])
    err = capsys.readouterr().err
    document = json.loads((out / "results.json").read_text(encoding="utf-8")) if code != EXIT_USAGE else {}
    document.pop("generated", None)
    return code, err, document


def test_a_review_started_during_the_walk_writes_and_says_what_a_walk_first_does(
    folder, tmp_path, capsys, monkeypatch
):
    first = _review(folder, tmp_path / "whole", capsys)
    assert first[2]["skipped"] and len(first[2]["results"]) == 10  # 9 samples and the broken file

    workers_seen: list[int] = []
    step = discovery.Walk.step

    def watched(self, files):
        workers_seen.append(len(multiprocessing.active_children()))
        return step(self, files)

    monkeypatch.setattr(discovery.Walk, "step", watched)
    monkeypatch.setattr(cli, "FIRST_FOUND", 2)  # a batch of one file is reviewed apart (solo.py)
    monkeypatch.setattr(cli, "WALK_STEP", 1)
    monkeypatch.setattr("casereview.evaluate.runner.LARGEST_CHUNK", 2)
    overlapped = _review(folder, tmp_path / "overlapped", capsys)
    assert overlapped == first
    assert max(workers_seen) > 0  # the walk went on while the workers were running


@pytest.mark.parametrize("error", ["profile", "select"])
def test_an_error_before_the_review_is_told_after_the_skipped_files(
    folder, tmp_path, capsys, monkeypatch, error
):
    bad = tmp_path / "profile.yaml"
    bad.write_text("categories: [unclosed\n", encoding="utf-8")
    option = ("--profile", str(bad)) if error == "profile" else ("--select", "NO-SUCH-RULE")
    whole = _review(folder, tmp_path / "whole", capsys, *option)
    monkeypatch.setattr(cli, "FIRST_FOUND", 2)
    monkeypatch.setattr(cli, "WALK_STEP", 1)
    early = _review(folder, tmp_path / "early", capsys, *option)
    assert early == whole and whole[0] == EXIT_USAGE
    told = "评查标准无法加载" if error == "profile" else "NO-SUCH-RULE"
    assert whole[1].index("跳过 3 个不评查的文件") < whole[1].index(told)


def test_an_interrupt_during_the_walk_stops_the_workers_and_writes_a_partial_report(
    folder, tmp_path, capsys, monkeypatch
):
    step = discovery.Walk.step
    calls = []

    def interrupted(self, files):
        calls.append(len(multiprocessing.active_children()))
        if len(calls) == 6:  # the workers are running by then
            raise KeyboardInterrupt
        return step(self, files)

    monkeypatch.setattr(discovery.Walk, "step", interrupted)
    monkeypatch.setattr(cli, "FIRST_FOUND", 2)
    monkeypatch.setattr(cli, "WALK_STEP", 1)
    monkeypatch.setattr("casereview.evaluate.runner.LARGEST_CHUNK", 2)
    code, err, document = _review(folder, tmp_path / "out", capsys)
    assert code == 130 and "评查被中断" in err and document["partial"] is True
    assert calls[-1] > 0 and not multiprocessing.active_children()
    found = [r["file"] for r in document["results"]]
    assert found and found == sorted(found, key=lambda f: Path(f).relative_to(folder).parts)
    assert {r["status"] for r in document["results"]} == {"rejected"}
