"""`pack.example_cases`: real case files a pack points to, run by `rules test` like examples.

On the shipped packs, and on an altered copy of `rules/` (expectation changed, case changed,
case unreadable, path missing) to show each mismatch is reported with the pack and the case.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casereview.cli import main
from casereview.maintain.pack_cases import judge, pack_case_fact_sets, run_pack_cases
from casereview.maintain.testing import (
    assert_pack_cases_pass,
    assert_rule_examples_pass,
    coverage,
    make_engine,
    run_tests,
)
from casereview.packs.loader import PackError, load_rulebook
from casereview.packs.schema import CaseExpect

ROOT = Path(__file__).resolve().parents[1]
MISMATCH = "bm-tier-mismatch.yaml"  # 4 处 fined as tier 2: BM-001 + BM-002


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Path:
    """A copy of `rules/` alone: the certificates pack's `../../casefiles/` cases are absent."""
    dest = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", dest)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    return next(
        i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line
    )


# ------------------------------------------------------------------ shipped packs


def test_shipped_packs_point_to_cases(book):
    packs = {ref.pack_id for ref in book.example_cases}
    assert {"benchmark", "certificates"} <= packs
    names = {ref.path.name for ref in book.example_cases}
    assert {MISMATCH, "bm-review-tier.yaml", "08-lianxi-zhengjian-guoqi.yaml"} <= names


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
def test_shipped_pack_cases_pass(book, engine_name):
    outcomes = run_pack_cases(book, make_engine(book, engine_name))
    assert len(outcomes) >= 7
    assert all(o.ok and not o.skipped for o in outcomes), [o.detail for o in outcomes if not o.ok]
    assert_pack_cases_pass(book, engine_name)


def test_helper_runs_examples_and_cases(book):
    assert_rule_examples_pass(book, engine="oracle")  # the project's own tests call this
    (report,) = run_tests(book, ["oracle"])
    assert report.cases and not report.case_failures
    assert report.lines()[-1].startswith("通过 ") and "失败 0" in report.lines()[-1]


def test_cli_summary_counts_cases(capsys):
    assert main(["rules", "test", "--engine", "oracle"]) == 0
    out = capsys.readouterr().out
    assert "示例案卷 7 个" in out and "失败 0" in out


def test_code_filter_runs_only_that_packs_cases(capsys):
    assert main(["rules", "test", "--engine", "oracle", "--code", "CERT-002"]) == 0
    assert "示例案卷 4 个" in capsys.readouterr().out


# ------------------------------------------------------------------ altered copies


def test_changed_expectation_fails_naming_pack_and_case(rules_copy, capsys):
    pack = rules_copy / "packs" / "benchmark.yaml"
    _edit(
        pack,
        "expect: {findings: [BM-001, BM-002, BM-011], grade: 良好}",
        "expect: {findings: [BM-001, BM-011], grade: 优秀}",
    )
    book = load_rulebook(rules_copy)
    with pytest.raises(AssertionError, match=MISMATCH):
        assert_rule_examples_pass(book)
    (bad,) = [o for o in run_pack_cases(book, make_engine(book, "oracle")) if not o.ok]
    assert bad.pack_id == "benchmark" and bad.file.endswith(MISMATCH)
    assert "期望问题 BM-001、BM-011，实际 BM-001、BM-002、BM-011（多出 BM-002）" in bad.detail
    assert "期望等次 优秀，实际 良好" in bad.detail
    assert main(["rules", "test", "--rules", str(rules_copy), "--engine", "oracle"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.strip().startswith("失败 案卷 [benchmark]") and MISMATCH in line for line in lines)
    assert "失败 1" in lines[-1]


def test_changed_case_fails(rules_copy):
    case = rules_copy / "examples" / "cases" / MISMATCH
    _edit(case, "facts: {locations_count: 4}", "facts: {locations_count: 2}")  # now fits tier 2
    book = load_rulebook(rules_copy)
    (bad,) = [o for o in run_pack_cases(book, make_engine(book, "oracle")) if not o.ok]
    assert "缺少 BM-001、BM-002" in bad.detail and bad.file.endswith(MISMATCH)


def test_unreadable_case_fails_with_the_loader_error(rules_copy):
    case = rules_copy / "examples" / "cases" / MISMATCH
    _edit(case, "amount: 15000", "amount: '1.5万'")
    book = load_rulebook(rules_copy)
    (bad,) = [o for o in run_pack_cases(book, make_engine(book, "oracle")) if not o.ok]
    line = _line_of(case, "amount: '1.5万'")
    assert f"{case}:{line}:" in bad.detail
    assert "decision.penalties[0].amount：应为整数（元）" in bad.detail


def test_missing_path_is_a_pack_error_with_line(rules_copy, capsys):
    pack = rules_copy / "packs" / "benchmark.yaml"
    _edit(pack, f"../examples/cases/{MISMATCH}", "../examples/cases/nope.yaml")
    with pytest.raises(PackError) as err:
        load_rulebook(rules_copy)
    (problem,) = err.value.problems
    line = _line_of(pack, "nope.yaml")
    assert problem.startswith(f"{pack}:{line} pack.example_cases[1].path：案卷文件或文件夹不存在")
    assert main(["rules", "test", "--rules", str(rules_copy)]) == 2
    assert "nope.yaml" in capsys.readouterr().err


def test_case_outside_the_rules_folder_is_skipped_when_absent(rules_copy, capsys):
    book = load_rulebook(rules_copy)  # no casefiles/ next to this copy, as in the installed package
    outcomes = run_pack_cases(book, make_engine(book, "oracle"))
    skipped = [o for o in outcomes if o.skipped]
    assert len(skipped) == 3 and all(o.pack_id == "certificates" and o.ok for o in skipped)
    assert "不存在" in skipped[0].detail and "已跳过" in skipped[0].detail
    assert main(["rules", "test", "--rules", str(rules_copy), "--engine", "oracle"]) == 0
    out = capsys.readouterr().out
    assert "跳过 案卷 [certificates] ../../casefiles/07" in out and "跳过 3 个" in out


def test_expectation_may_only_name_the_packs_own_rules(rules_copy):
    pack = rules_copy / "packs" / "certificates.yaml"
    _edit(pack, "expect: {findings: [CERT-003], grade: 良好}", "expect: {findings: [CERT-003, BM-001]}")
    with pytest.raises(
        PackError, match=r"certificates\.yaml:\d+ pack\.example_cases\[2\]\.expect：BM-001 不是本规则包"
    ):
        load_rulebook(rules_copy)


def test_absolute_path_is_refused(rules_copy):
    pack = rules_copy / "packs" / "benchmark.yaml"
    _edit(pack, "path: ../examples/general.yaml", f"path: {rules_copy / 'examples' / 'general.yaml'}")
    with pytest.raises(PackError, match="须为相对于规则包文件的路径"):
        load_rulebook(rules_copy)


def test_folder_entry_judges_every_case_in_it(rules_copy):
    folder = rules_copy / "examples" / "cases" / "clean"
    folder.mkdir()
    shutil.copy(rules_copy / "examples" / "general.yaml", folder / "a.yaml")
    shutil.copy(rules_copy / "examples" / "cases" / MISMATCH, folder / "b.yaml")
    pack = rules_copy / "packs" / "benchmark.yaml"
    _edit(
        pack,
        "  example_cases:\n",
        "  example_cases:\n    - {path: ../examples/cases/clean, expect: {absent: [BM-001]}}\n",
    )
    book = load_rulebook(rules_copy)
    outcomes = [o for o in run_pack_cases(book, make_engine(book, "oracle")) if "clean" in o.file]
    assert [(Path(o.file).name, o.ok) for o in outcomes] == [("a.yaml", True), ("b.yaml", False)]
    assert "不应出现 BM-001" in outcomes[1].detail


def test_empty_folder_is_a_pack_error(rules_copy):
    (rules_copy / "examples" / "cases" / "empty").mkdir()
    pack = rules_copy / "packs" / "benchmark.yaml"
    _edit(
        pack,
        "  example_cases:\n",
        "  example_cases:\n    - {path: ../examples/cases/empty, expect: {findings: []}}\n",
    )
    with pytest.raises(PackError, match="中没有案卷文件"):
        load_rulebook(rules_copy)


def test_outside_folder_without_cases_fails_when_run(rules_copy):
    (rules_copy.parent / "outside").mkdir()  # outside folders are not walked at load
    pack = rules_copy / "packs" / "benchmark.yaml"
    entry = "    - {path: ../../outside, expect: {findings: []}}\n"
    _edit(pack, "  example_cases:\n", "  example_cases:\n" + entry)
    book = load_rulebook(rules_copy)
    (bad,) = [o for o in run_pack_cases(book, make_engine(book, "oracle")) if not o.ok]
    assert bad.file == "../../outside" and "没有案卷文件" in bad.detail


# ------------------------------------------------------------------ expectation forms


def test_judge_forms():
    assert judge(CaseExpect(findings=[]), set(), "优秀") == []
    assert judge(CaseExpect(findings=["BM-001"]), {"BM-002"}, None) == [
        "期望问题 BM-001，实际 BM-002（多出 BM-002；缺少 BM-001）"
    ]
    assert judge(CaseExpect(contains=["BM-001"]), {"BM-001", "BM-002"}, None) == []
    assert judge(CaseExpect(contains=["BM-003"]), {"BM-001"}, None) == ["期望出现 BM-003，实际 BM-001"]
    assert judge(CaseExpect(absent=["BM-001"]), {"BM-001"}, None) == ["不应出现 BM-001，实际出现"]
    assert judge(CaseExpect(grade="优秀"), set(), "良好") == ["期望等次 优秀，实际 良好"]


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ({}, "至少一项"),
        ({"findings": ["BM-001"], "contains": ["BM-002"]}, "不能与 contains/absent 同时使用"),
        ({"contains": ["BM-001"], "absent": ["BM-001"]}, "同时出现"),
        ({"findings": ["bm-1"]}, "pattern"),
    ],
)
def test_expect_is_validated(expect, message):
    with pytest.raises(ValueError, match=message):
        CaseExpect.model_validate(expect)


# ------------------------------------------------------------------ coverage


def test_coverage_counts_pack_cases(book):
    facts, errors = pack_case_fact_sets(book)
    assert len(facts) == 7 and not errors
    cov = coverage(book, facts)
    assert "SX-2021 SX-2021-99-1 第4阶次" not in cov.unexercised_tiers  # bm-tier-mismatch: 4 处
    assert "EXAMPLE-REVIEW EXR-97-7 第1阶次（待人工评查）" not in cov.unexercised_tiers
    assert "SX-2021 SX-2021-99-1 第1阶次" in cov.unexercised_tiers
    assert "BM-009" not in cov.unexercised_rules and "CERT-002" not in cov.unexercised_rules
