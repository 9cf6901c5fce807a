"""The partial sample files 21–28 (casefiles/README.md, 「部分信息样本」): reviewed, never rejected,
no veto or deduction on a fact marked 未载明, each check that could not run listed with its reason,
and the 未结案/无法评分 status where the file cannot be graded. Both engines give the same result."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from casereview.cli import main
from casereview.exitcodes import EXIT_UNGRADED

CASEFILES = Path(__file__).resolve().parents[1] / "casefiles"
SAMPLES = sorted(p for p in CASEFILES.glob("2[1-8]-*.yaml"))

# prefix → (待人工评查 items the unknown facts must cause, grade — 良好 at best while veto or deduction
# checks could not run (profile provisional_max_grade) — and checks that must be listed as not run)
EXPECTED: dict[str, tuple[set[str], str, set[str]]] = {
    # dates known to the month: the 90-day limit is decided from them, service is not
    "21": ({"DEAD-002", "ORD-003"}, "良好", {"DEAD-002", "ORD-003"}),
    # notice and legal review undated: order and reviewer checks cannot run
    "22": (
        {"CERT-002", "CERT-003", "LR-002", "LR-005", "ORD-002", "ORD-004"},
        "良好",
        {"CERT-002", "CERT-003", "LR-002", "LR-005", "ORD-002", "ORD-004"},
    ),
    # officers not stated: CERT-001 is a review item, not a veto (compare 07)
    "23": (
        {"CERT-001", "CERT-005", "LR-004", "LR-005"},
        "良好",
        {"CERT-001", "CERT-005", "LR-004", "LR-005"},
    ),
    # penalty article not stated: range and clause checks cannot run
    "24": (
        {"AMT-001", "AMT-002", "AMT-011"},
        "良好",
        {"AMT-001", "AMT-002", "AMT-011"},
    ),
    # only number, agency, party, one violation with unknown article, decision date
    "25": (
        {"AMT-004", "AMT-008", "DEAD-005", "ORD-002"},
        "无法评分",
        {"GRADE", "PENALTIES", "AMT-004", "AMT-008", "DEAD-005", "ORD-002"},
    ),
    # closed without a decision or a no-penalty decision
    "26": (set(), "未结案", {"GRADE"}),
    # fine amount withheld, decision date known to the month
    "27": ({"AMT-001", "DEAD-002", "DEAD-003", "HEAR-001", "ORD-003"}, "良好", {"AMT-001", "HEAR-001"}),
    # the whole procedure record unknown (transcribed from a published decision)
    "28": (
        {"DEAD-005", "HEAR-001", "LR-001", "LR-002", "ORD-002"},
        "无法评分",
        {"ACTS", "GRADE", "LR-001", "ORD-002"},
    ),
}


def _check(engine: str) -> tuple[int, dict[str, dict]]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(
            [
                "check",
                *map(str, SAMPLES),
                "--roster",
                str(CASEFILES / "roster.yaml"),
                "--format",
                "json",
                "--engine",
                engine,
                "--fail-on",
                "veto",
                "--no-cache",
            ]
        )
    results = json.loads(buffer.getvalue())["results"]
    return code, {Path(r["file"]).name[:2]: r for r in results}


@pytest.fixture(scope="module")
def checked() -> tuple[int, dict[str, dict]]:
    return _check("durable")


def test_there_are_eight_partial_samples():
    assert [p.name[:2] for p in SAMPLES] == sorted(EXPECTED)


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_partial_sample(checked, prefix):
    codes, grade, not_run = EXPECTED[prefix]
    result = checked[1][prefix]
    assert result["status"] == "reviewed", result["errors"]
    unknown = {f["code"] for f in result["findings"] if f["unknown"]}
    assert codes <= unknown, result["file"]  # new rules reading the same facts may add review items
    assert all(f["severity"] == "review" for f in result["findings"] if f["unknown"])
    assert not [f for f in result["findings"] if f["severity"] in ("veto", "deduct")], result["file"]
    assert result["score"]["grade"] == grade
    if result["score"]["provisional"]:  # checks that could not run: never the top grade
        assert result["score"]["grade"] != "优秀"
    assert result["score"]["graded"] == (grade not in ("未结案", "无法评分"))
    listed = {n["code"] for n in result["not_run"]}
    assert not_run <= listed, result["file"]
    assert all(n["reason"] for n in result["not_run"])


def test_the_minimal_file_lists_what_could_not_run(checked):
    result = checked[1]["25"]
    reasons = " ".join(n["reason"] for n in result["not_run"])
    assert "处罚内容（decision.penalties）未载明" in reasons and "未载明" in result["score"]["status_reason"]


def test_partial_samples_exit_with_the_ungraded_code(checked):
    assert checked[0] == EXIT_UNGRADED  # no veto; 25, 26 and 28 cannot be graded


def test_engines_agree_on_partial_samples(checked):
    _, by_oracle = _check("oracle")
    for prefix, result in checked[1].items():
        other = by_oracle[prefix]
        assert [(f["code"], f["severity"], f["location"]["field"]) for f in result["findings"]] == [
            (f["code"], f["severity"], f["location"]["field"]) for f in other["findings"]
        ], prefix
        assert result["score"] == other["score"], prefix
