"""Maintainer commands: `rules test` (+ coverage), `explain CASE`, `rules diff`, `rules docs`.

Each runs on the shipped packs and on an altered copy of `rules/` to show it reports the change.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest
import yaml

from casereview import cli, maintain
from casereview.load import load_roster
from casereview.maintain.diff import diff_rules, render_html
from casereview.maintain.docs import article_text, int_to_cn, write_docs
from casereview.maintain.explain import explain_case, render_text
from casereview.maintain.testing import (
    assert_rule_examples_pass,
    case_fact_sets,
    coverage,
    run_tests,
)
from casereview.packs.loader import PackYamlLoader, load_rulebook

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "casefiles"
SX = "benchmark-sx-2021-260.yaml"
CASE05 = CASES / "05-nankang-chaoxian-fakuan.yaml"  # 6 处, unit fined 80000 (tier 5: 3万–5万)


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", dest)
    return dest


def _widen_tier5(rules: Path) -> None:
    path = rules / "tables" / SX
    text = path.read_text(encoding="utf-8")
    assert "initial: {unit: [30000, 50000]}" in text
    path.write_text(
        text.replace("initial: {unit: [30000, 50000]}", "initial: {unit: [30000, 90000]}"), encoding="utf-8"
    )


def _swap_examples(rules: Path, code: str) -> None:
    for path in (rules / "packs").glob("*.yaml"):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=PackYamlLoader)
        for rule in data.get("rules", []):
            if rule["code"] == code:
                ex = rule["examples"]
                ex["fail"], ex["pass"] = ex["pass"], ex["fail"]
                path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
                return
    raise AssertionError(f"{code} not found")


def _parser() -> argparse.ArgumentParser:
    """The CLI parser with the maintainer commands (registered here until cli.py does it)."""
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    rules = sub.choices["rules"]
    rules_sub = [a for a in rules._actions if isinstance(a, argparse._SubParsersAction)]
    if not (rules_sub and "test" in rules_sub[0].choices):
        maintain.register(sub)
    return parser


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    return args.func(args)


# ------------------------------------------------------------------ rules test


def test_shipped_examples_pass(book):
    assert_rule_examples_pass(book, engine="oracle")
    (report,) = run_tests(book, ["oracle"])
    assert report.passed > 0 and not report.failures


def test_altered_examples_fail_with_code_and_index(rules_copy, capsys):
    _swap_examples(rules_copy, "LR-001")
    book = load_rulebook(rules_copy)
    with pytest.raises(AssertionError, match="LR-001"):
        assert_rule_examples_pass(book)
    assert _run(["rules", "test", "--rules", str(rules_copy), "--engine", "oracle"]) == 1
    out = capsys.readouterr().out
    assert "失败 LR-001 不合格示例 0" in out
    assert "失败 0" not in out.splitlines()[-1]
    assert _run(["rules", "test", "--rules", str(ROOT / "rules"), "--engine", "oracle"]) == 0
    assert "失败 0" in capsys.readouterr().out


def test_coverage_tiers_follow_the_cases(tmp_path, rules_copy):
    book = load_rulebook(rules_copy)
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(CASES / "01-qingshanhu-jingshi-biaozhi.yaml", cases)  # 2 处 → tier 2
    facts, errors = case_fact_sets(cases)
    assert not errors
    cov = coverage(book, facts)
    assert "SX-2021 SX-2021-99-1 第1阶次" in cov.unexercised_tiers
    assert "SX-2021 SX-2021-99-1 第2阶次" not in cov.unexercised_tiers
    assert cov.unexercised_variants and all("#" in v for v in cov.unexercised_variants)
    # the altered folder: the same case with one location now exercises tier 1
    path = cases / "01-qingshanhu-jingshi-biaozhi.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("locations_count: 2", "locations_count: 1"), encoding="utf-8"
    )
    cov = coverage(book, case_fact_sets(cases)[0])
    assert "SX-2021 SX-2021-99-1 第1阶次" not in cov.unexercised_tiers


def test_coverage_cli(capsys):
    assert _run(["rules", "test", "--engine", "oracle", "--coverage", "--cases", str(CASES)]) == 0
    out = capsys.readouterr().out
    assert "覆盖情况" in out and "裁量阶次" in out


# ------------------------------------------------------------------ explain CASE


def test_explain_case_trace(book):
    roster = load_roster(CASES / "roster.yaml")
    data = explain_case(CASE05, ["BM-001"], book, roster)
    json.dumps(data, ensure_ascii=False)  # JSON-ready
    (rule,) = data["rules"]
    assert rule["fired"] and "触发" in rule["verdict"]
    kinds = {f["kind_label"] for f in data["facts"]}
    assert {"案件", "处罚", "违法行为"} <= kinds
    fired = [v for v in rule["variants"] if any(f["result"] for f in v["facts"])]
    assert [v["rule_id"] for v in fired] == ["BM-001#SX-2021-99-1-t5-initial-unit-hi"]
    leaves = fired[0]["facts"][0]["trace"]["children"]
    assert any(
        leaf["text"] == "f_locations_count >= 5" and leaf["values"] == {"f_locations_count": 6}
        for leaf in leaves
    )
    text = render_text(data)
    assert "✔ amount > 50000　实际：amount=80000" in text
    assert data["workdays"] and all("count" in w for w in data["workdays"])


def test_explain_parameters_and_dates(book):
    data = explain_case(CASES / "10-nankang-wu-fazhi-shenhe.yaml", ["LR-007"], book)
    params = [p for v in data["rules"][0]["variants"] for f in v["facts"] for p in f["parameters"]]
    assert params and params[0]["chosen"] and "决定日期" in params[0]["why"]
    assert "decided_on >= 2021-07-15" in data["rules"][0]["variants"][0]["condition"]


def test_explain_altered_tier_changes_verdict(rules_copy):
    _widen_tier5(rules_copy)
    data = explain_case(CASE05, ["BM-001"], load_rulebook(rules_copy))
    assert not data["rules"][0]["fired"]
    assert "没有事实满足条件" in data["rules"][0]["verdict"]


def test_explain_cli_file_or_code(capsys):
    assert _run(["explain", str(CASE05), "--rule", "BM-001", "--roster", str(CASES / "roster.yaml")]) == 0
    assert "■ BM-001" in capsys.readouterr().out
    assert _run(["explain", str(CASE05), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rules"] and all(r["fired"] for r in data["rules"])
    assert _run(["explain", "LR-001"]) == 0  # a rule code still shows the rule
    assert "LR-001" in capsys.readouterr().out


# ------------------------------------------------------------------ rules diff


def test_diff_identical_rules_has_no_changes():
    d = diff_rules(ROOT / "rules", ROOT / "rules", CASES)
    assert d["summary"]["changed_files"] == 0 and d["summary"]["files"] > 0


def test_diff_altered_tier(rules_copy, tmp_path, capsys):
    _widen_tier5(rules_copy)
    d = diff_rules(ROOT / "rules", rules_copy, CASES)
    (row,) = [r for r in d["cases_diff"] if r["changed"]]
    assert row["file"].endswith(CASE05.name)
    assert [f["rule_id"] for f in row["removed"]] == ["BM-001#SX-2021-99-1-t5-initial-unit-hi"]
    assert d["summary"]["findings_removed"] == 1
    html = render_html(d)
    assert "BM-001#SX-2021-99-1-t5-initial-unit-hi" in html and "<script" not in html
    out = tmp_path / "d.json"
    assert (
        _run(
            [
                "rules",
                "diff",
                str(ROOT / "rules"),
                str(rules_copy),
                "--cases",
                str(CASES),
                "--format",
                "json",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["changed_files"] == 1


def test_diff_html_escapes_case_text():
    d = {
        "old": {"rules": "<a>", "version": "1"},
        "new": {"rules": "b", "version": "2"},
        "cases": "c",
        "summary": dict.fromkeys(
            [
                "files",
                "changed_files",
                "grade_changes",
                "score_changes",
                "findings_added",
                "findings_removed",
            ],
            0,
        ),
        "cases_diff": [
            {
                "file": "<script>x</script>",
                "case_number": None,
                "changed": True,
                "score": [1, 2],
                "grade": ["a", "b"],
                "added": [],
                "removed": [],
            }
        ],
    }
    html = render_html(d)
    assert "<script>x" not in html and "&lt;script&gt;" in html


# ------------------------------------------------------------------ rules docs


def test_docs_pages(book, profile, tmp_path):
    written = write_docs(book, profile, tmp_path / "docs")
    assert written[0].name == "index.html"
    assert {p.stem for p in written[1:]} == set(book.rules)
    page = (tmp_path / "docs" / "LR-001.html").read_text(encoding="utf-8")
    assert "应当法制审核而未审核" in page and "第58条" in page and "示例" in page


def test_docs_statute_quotes(tmp_path, book, profile):
    statutes = tmp_path / "statutes"
    statutes.mkdir()
    (statutes / "行政处罚法(2021-01-22).md").write_text(
        "# 行政处罚法\n\n第五十七条 调查终结……\n\n"
        "第五十八条 有下列情形之一……应当进行法制审核。\n\n第五十九条 决定书……\n",
        encoding="utf-8",
    )
    assert article_text(statutes, "中华人民共和国行政处罚法", 58) == (
        "行政处罚法(2021-01-22).md",
        "第五十八条 有下列情形之一……应当进行法制审核。",
    )
    write_docs(book, profile, tmp_path / "docs", statutes)
    assert "应当进行法制审核" in (tmp_path / "docs" / "LR-001.html").read_text(encoding="utf-8")
    assert int_to_cn(108) == "一百零八" and int_to_cn(97) == "九十七" and int_to_cn(10) == "十"


def test_docs_altered_rule(rules_copy, tmp_path, capsys):
    path = rules_copy / "packs" / "legal-review.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "title: 应当法制审核而未审核", "title: 应当法制审核而未审核（修订）"
        ),
        encoding="utf-8",
    )
    assert _run(["rules", "docs", "--rules", str(rules_copy), "-o", str(tmp_path / "d")]) == 0
    assert "（修订）" in (tmp_path / "d" / "LR-001.html").read_text(encoding="utf-8")
    assert "（修订）" in (tmp_path / "d" / "index.html").read_text(encoding="utf-8")


def test_rules_without_subcommand_still_lists(capsys):
    assert _run(["rules"]) == 0
    assert "LR-001" in capsys.readouterr().out
