"""Review tiers: an imported 适用条件 the importer cannot translate stays as text, and cases that
may fall in that tier are listed for a human (BM-009) instead of being checked against the
other tiers (BM-001/BM-002/BM-008 stand down)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml

from casereview.cli import main
from casereview.maintain.docs import write_docs
from casereview.maintain.tables_io import dump_table, export_xlsx, import_xlsx, validate_table
from casereview.maintain.testing import coverage, make_engine
from casereview.packs.examples import review_example
from casereview.packs.lint import errors, lint_tables, notices
from casereview.packs.loader import PackYamlLoader, load_rulebook
from casereview.packs.schema import ExampleCase
from casereview.packs.tables.benchmark import Tier

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["违法行为", "法律规定", "处罚依据", "裁量阶次", "适用条件", "具体标准"]
TITLE = "未设置明显的安全警示标志"
BASIS = "《中华人民共和国安全生产法》第九十九条第一项"
UNPARSEABLE = "有5处以上，且位于人员密集场所的"  # test wording, not taken from a source
# 山西260号 tiers 1–3 as published (research §2.4 A1); tier 4's condition made untranslatable
ROWS = [
    [TITLE, "", BASIS, "1", "有1处", "责令限期改正，处1万元的罚款"],
    [TITLE, "", BASIS, "2", "有2处", "责令限期改正，处1万元以上2万元以下的罚款"],
    [TITLE, "", BASIS, "3", "有3处", "责令限期改正，处2万元以上3万元以下的罚款"],
    [TITLE, "", BASIS, "4", UNPARSEABLE, "责令限期改正，处3万元以上5万元以下的罚款"],
]
ITEM = "TR-2024-99-1"


def _xlsx(path: Path, rows: list[list[str]], extra: dict[str, list[str]] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "裁量基准"
    header = HEADER + list(extra or {})
    ws.append(header)
    for i, row in enumerate(rows):
        ws.append(row + [values[i] for values in (extra or {}).values()])
    meta = wb.create_sheet("基准信息")
    for label, value in (
        ("基准编号", "TR-2024"),
        ("名称", "测试基准"),
        ("制定机关", "测试"),
        ("地区代码", "'36'"),
        ("核实程度", "example"),
    ):
        meta.append([label, value])
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[dict, object]:
    tmp = tmp_path_factory.mktemp("xlsx")
    return import_xlsx(_xlsx(tmp / "t.xlsx", ROWS))


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory, imported) -> Path:
    """The shipped rules plus the imported table."""
    dest = tmp_path_factory.mktemp("rules") / "rules"
    shutil.copytree(ROOT / "rules", dest)
    (dest / "tables" / "benchmark-tr-2024.yaml").write_text(dump_table(imported[0]), encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def book(rules_dir):
    return load_rulebook(rules_dir)


# ------------------------------------------------------------------ the table model


def test_review_tier_needs_text_and_no_condition():
    base = {"tier": 1, "text": "原文", "fines": {"initial": {"unit": [0, 30000]}}}
    assert Tier.model_validate({**base, "review": True, "condition_text": "情节轻微的"}).pending
    with pytest.raises(ValueError, match="不能同时给出 when 或 range"):
        Tier.model_validate({**base, "review": True, "condition_text": "x", "when": "f_a > 1"})
    with pytest.raises(ValueError, match="condition_text"):
        Tier.model_validate({**base, "review": True})
    with pytest.raises(ValueError, match="review: true"):
        Tier.model_validate(base)
    unseen = Tier.model_validate({**base, "review": True, "condition_text": "x", "unverified": True})
    assert not unseen.pending and not unseen.checkable  # "not seen in the source" wins: no check at all


# ------------------------------------------------------------------ import


def test_untranslatable_condition_becomes_a_review_tier(imported, tmp_path):
    table, report = imported
    assert not report.problems
    (item,) = table["items"]
    assert item["id"] == ITEM
    t3, t4 = item["tiers"][2], item["tiers"][3]
    assert t3["range"]["min"] == 3 and "review" not in t3
    assert t4["review"] is True and t4["condition_text"] == UNPARSEABLE
    assert "when" not in t4 and "range" not in t4 and "unverified" not in t4
    assert t4["text"] == f"{UNPARSEABLE}，责令限期改正，处3万元以上5万元以下的罚款"
    assert t4["fines"] == {"initial": {"unit": [30000, 50000]}}
    (line,) = report.review
    assert f"{ITEM} 阶次 4" in line and "无法转换为条件" in line
    assert any("待人工评查" in text for text in report.lines())
    assert not validate_table(table, tmp_path / "t.yaml")


def test_export_marks_review_tiers_and_round_trips(imported, tmp_path):
    table, _ = imported
    export_xlsx(table, tmp_path / "back.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "back.xlsx")["裁量基准"]
    header = [c.value for c in ws[1]]
    row = [c.value for c in ws[5]]  # tier 4
    assert row[header.index("待编写条件")] == "是"
    assert row[header.index("适用条件")] == UNPARSEABLE
    assert not row[header.index("条件（规则写法）")]
    again, report = import_xlsx(tmp_path / "back.xlsx")
    assert not report.problems and len(report.review) == 1
    assert json.dumps(again, ensure_ascii=False, sort_keys=True) == json.dumps(
        table, ensure_ascii=False, sort_keys=True
    )


def test_marker_keeps_a_parseable_condition_for_review(tmp_path):
    marker = {"待编写条件": ["", "是", "", ""]}
    table, report = import_xlsx(_xlsx(tmp_path / "t.xlsx", ROWS, marker))
    tier2 = table["items"][0]["tiers"][1]
    assert tier2["review"] is True and tier2["condition_text"] == "有2处"
    assert any("标记为待编写条件" in r for r in report.review)


def test_written_condition_replaces_the_review_tier(tmp_path):
    written = {"条件（规则写法）": ["", "", "", "range: {var: locations_count, min: 5}"]}
    table, report = import_xlsx(_xlsx(tmp_path / "t.xlsx", ROWS, written))
    tier4 = table["items"][0]["tiers"][3]
    assert "review" not in tier4 and tier4["range"] == {"var": "locations_count", "min": 5}
    assert not report.review


# ------------------------------------------------------------------ review


def _penalty(locations: int, tier: int | None, amount: int) -> ExampleCase:
    return ExampleCase(
        set={
            "violations[0].facts": {"locations_count": locations},
            "violations[0].discretion.benchmark_item": ITEM,
            "violations[0].discretion.tier": tier,
            "decision.penalties[0].amount": amount,
        }
    )


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
@pytest.mark.parametrize(
    ("locations", "tier", "amount", "codes", "rule_id"),
    [
        (2, 2, 15000, set(), None),  # fits checkable tier 2
        (2, 2, 25000, {"BM-001"}, None),  # checkable tiers are still checked
        (6, 4, 40000, {"BM-009"}, f"BM-009#{ITEM}-t4"),  # (i) the decision states the review tier
        (2, 4, 40000, {"BM-009"}, f"BM-009#{ITEM}-t4"),  # (i): no BM-001/BM-002 against tier 2
        (6, 3, 25000, {"BM-009"}, f"BM-009#{ITEM}-none"),  # (ii) fits no checkable tier: no BM-008
        (6, None, 40000, {"BM-009"}, f"BM-009#{ITEM}-none"),
    ],
)
def test_review_tier_findings(book, engine_name, locations, tier, amount, codes, rule_id):
    findings, _, result = review_example(
        book, _penalty(locations, tier, amount), make_engine(book, engine_name)
    )
    assert not result.errors
    got = {f.code for f in findings if f.code.startswith("BM-")}
    assert got == codes
    if rule_id:
        (finding,) = [f for f in findings if f.code == "BM-009"]
        assert finding.rule_id == rule_id and finding.severity == "review"
        assert f"第4阶次「{UNPARSEABLE}」的适用条件尚未写成可检查的条件" in finding.message
        assert any("第4阶次原文" in n for n in finding.notes)


def test_check_cli_on_a_case_file(rules_dir, tmp_path, capsys):
    text = (ROOT / "rules" / "examples" / "general.yaml").read_text(encoding="utf-8")
    text = text.replace("facts: {locations_count: 2}", "facts: {locations_count: 6}")
    text = text.replace("benchmark_item: JXEX-99-1, tier: 1", f"benchmark_item: {ITEM}, tier: 4")
    # the amount stays 1.5万 (below the hearing line): only the benchmark matters here
    case = tmp_path / "case.yaml"
    case.write_text(text, encoding="utf-8")
    argv = [
        "check",
        str(case),
        "--rules",
        str(rules_dir),
        "--roster",
        str(ROOT / "rules/examples/roster.yaml"),
    ]
    assert main([*argv, "--format", "json", "--engine", "oracle", "--workers", "0"]) == 0  # review only
    (result,) = json.loads(capsys.readouterr().out)["results"]
    assert [f["code"] for f in result["findings"]] == ["BM-009"]
    assert result["findings"][0]["severity_label"] == "待人工评查"


def test_item_with_only_review_tiers(tmp_path):
    """The importer's typical result for a source whose conditions are all prose."""
    rows = [[TITLE, "", BASIS, "1", "情节较轻的", "处1万元以下的罚款"]]
    table, _ = import_xlsx(_xlsx(tmp_path / "t.xlsx", rows))
    dest = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", dest)
    (dest / "tables" / "benchmark-only.yaml").write_text(dump_table(table), encoding="utf-8")
    book = load_rulebook(dest)  # BM-008 has nothing to fit against and must not break
    assert not [v for v in book.rules["BM-008"].variants if ITEM in v.rule_id]
    findings, _, _ = review_example(book, _penalty(2, None, 5000), make_engine(book, "oracle"))
    assert {f.rule_id for f in findings if f.code.startswith("BM-")} == {f"BM-009#{ITEM}-none"}


# ------------------------------------------------------------------ lint, coverage, docs


def test_lint_lists_review_tiers_as_notices(book, rules_dir, capsys):
    problems = lint_tables(book)
    (notice,) = [p for p in notices(problems) if p.item == ITEM]
    assert notice.code == "review_tier" and notice.tiers == (4,) and UNPARSEABLE in notice.message
    assert notice not in errors(problems) and "（提示）" in str(notice)
    assert main(["rules", "lint", "--rules", str(rules_dir)]) == 0
    out = capsys.readouterr().out
    assert "[review_tier]" in out and "个阶次的适用条件待编写" in out


def test_coverage_counts_review_tiers(book):
    key = f"TR-2024 {ITEM} 第4阶次（待人工评查）"
    engine = make_engine(book, "oracle")
    _, clean, _ = review_example(book, _penalty(2, 2, 15000), engine)
    assert key in coverage(book, [clean.facts]).unexercised_tiers
    _, stated, _ = review_example(book, _penalty(2, 4, 40000), engine)
    cov = coverage(book, [stated.facts])
    assert key not in cov.unexercised_tiers and cov.tiers_total >= 4


def test_docs_show_review_tiers(book, profile, tmp_path):
    write_docs(book, profile, tmp_path / "docs")
    index = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    assert "待人工评查的裁量阶次" in index and UNPARSEABLE in index
    assert UNPARSEABLE in (tmp_path / "docs" / "BM-009.html").read_text(encoding="utf-8")


def test_shipped_example_table_round_trips():
    path = ROOT / "rules" / "tables" / "benchmark-example-review.yaml"
    original = yaml.load(path.read_text(encoding="utf-8"), Loader=PackYamlLoader)
    (tier,) = original["items"][0]["tiers"]
    assert tier["review"] is True and "when" not in tier
