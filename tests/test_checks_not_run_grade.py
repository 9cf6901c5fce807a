"""A veto or deduction check the tool could not run holds the grade open: a file whose officers'
certificates cannot be verified (not in the roster, or no roster at all), or whose cited benchmark
is not loaded, is 暂定 and never 优秀 — never a veto or deduction either. The rule packs declare which
check each such item stands for (`stands_for`); the engine knows no rule code."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from casereview.cli import main
from casereview.packs.schema import Rule

ROOT = Path(__file__).resolve().parents[1]
CASEFILES = ROOT / "casefiles"
GENERAL = ROOT / "rules" / "examples" / "general.yaml"


def _check(*args: str, fmt: str = "json") -> tuple[int, str]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["check", *args, "--format", fmt, "--no-cache"])
    return code, buffer.getvalue()


def _result(*args: str, engine: str = "durable") -> dict:
    return json.loads(_check(*args, "--engine", engine)[1])["results"][0]


@pytest.mark.parametrize("engine", ["durable", "oracle"])
def test_an_officer_not_in_the_roster_makes_the_grade_provisional(engine):
    result = _result(
        str(CASEFILES / "09-xinjian-jianyi-weizhi-zhengjian.yaml"),
        "--roster",
        str(CASEFILES / "roster.yaml"),
        engine=engine,
    )
    held = [f for f in result["findings"] if f["code"] == "CERT-003"]
    assert held and all(f["severity"] == "review" and f["rule_severity"] == "veto" for f in held)
    assert not [f for f in result["findings"] if f["severity"] in ("veto", "deduct")]
    score = result["score"]
    assert (score["score"], score["grade"], score["vetoed"]) == (100, "良好", False)
    assert score["provisional"] == 1  # one check (CERT-002's certificate validity), however many officers
    assert {"CERT-003"} <= {n["code"] for n in result["not_run"]}


def test_without_a_roster_no_file_is_excellent_and_the_roster_restores_it():
    alone = _result(str(GENERAL))
    assert alone["score"]["grade"] == "良好" and alone["score"]["provisional"] > 0
    assert "ROSTER" in {n["code"] for n in alone["not_run"]}
    with_roster = _result(str(GENERAL), "--roster", str(ROOT / "rules" / "examples" / "roster.yaml"))
    assert (with_roster["score"]["grade"], with_roster["score"]["provisional"]) == ("优秀", 0)


def test_a_benchmark_not_loaded_makes_the_grade_provisional():
    result = _result(
        str(CASEFILES / "33-xinjian-jizhun-90hao-waisheng.yaml"), "--roster", str(CASEFILES / "roster.yaml")
    )
    held = [f for f in result["findings"] if f["code"] == "BM-010"]
    assert held and held[0]["rule_severity"] == "deduct"
    assert result["score"]["grade"] == "良好" and result["score"]["score"] == 100


def test_the_text_report_says_why_the_grade_is_provisional():
    code, text = _check(
        str(CASEFILES / "09-xinjian-jianyi-weizhi-zhengjian.yaml"),
        "--roster",
        str(CASEFILES / "roster.yaml"),
        fmt="text",
    )
    assert code == 0  # a review item is below the default --fail-on
    assert "等次：良好（暂定：1 项否决或扣分检查未能进行，待人工评查）" in text


def _rule(**extra) -> dict:
    return {
        "code": "XYZ-001",
        "title": "测试",
        "category": "subject",
        "applies_to": "performer",
        "basis": [
            {
                "instrument": "中华人民共和国行政处罚法",
                "version": "2021",
                "article": 42,
                "paragraph": 1,
                "verification": "official",
                "quote": "行政处罚应当由具有行政执法资格的执法人员实施。",
            }
        ],
        "when": "role == officer",
        "message": "m",
        "examples": {"fail": [{"note": "n"}], "pass": [{"note": "n"}], "unknown": [{"note": "n"}]},
        **extra,
    }


def test_stands_for_is_only_for_a_review_rule():
    for extra in ({"not_run": True}, {}):  # a check not run, or a question only a person can decide
        rule = Rule.model_validate(_rule(severity="review", stands_for="veto", **extra))
        assert rule.stands_for == "veto"
    for wrong in (
        {"severity": "deduct", "not_run": True, "stands_for": "veto"},  # a rule deciding on its own
        {"severity": "warn", "stands_for": "deduct"},
        {"severity": "review", "not_run": True, "stands_for": "warn"},  # only veto or deduct
    ):
        with pytest.raises(ValidationError):
            Rule.model_validate(_rule(**wrong))


def test_every_review_rule_says_what_its_item_holds_open(book):
    """A 待人工评查 item that could turn out a veto or a deduction holds the grade open; the packs say
    so rule by rule. Only BM-012 (the region of a benchmark: a 提示, BM-011) holds none open."""
    silent = {c for c, d in book.rules.items() if d.rule.severity == "review" and d.rule.stands_for is None}
    assert silent == {"BM-012"}


def test_the_case_page_marks_a_provisional_grade_but_never_a_veto(tmp_path):
    """09 (officer not in the roster): the grade card says 暂定 and why. 07 without a roster: its
    CERT-001 veto stands whatever the certificates turn out to be, so nothing says 暂定."""
    out = tmp_path / "out"
    files = [
        CASEFILES / "09-xinjian-jianyi-weizhi-zhengjian.yaml",
        CASEFILES / "07-lianxi-jishu-jianchayuan.yaml",
    ]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["review", *map(str, files), "-o", str(out), "--format", "html", "--no-cache", "--workers", "0"])
    texts = [page.read_text(encoding="utf-8") for page in (out / "cases").glob("*.html")]
    pages = {"09-xinjian" in text: text for text in texts}
    held, vetoed = pages[True], pages[False]
    assert '<div class="label">等次</div><div class="value"><span class="grade-ok">良好</span></div>' in held
    assert '<span class="grade-ok">良好</span></div><div class="reference">暂定</div></div>' in held
    assert "等次为暂定：" in held
    assert "不合格" in vetoed and "暂定" not in vetoed
