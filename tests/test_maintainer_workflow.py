"""What a rule maintainer relies on (issue 15): import keeps the YAML as written and refuses bad
rows, then lints; coverage has a percentage, a threshold and JSON; diff lists changed cases first;
explain leads with the verdict and shows a rule's examples."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml

from casereview.cli import main
from casereview.maintain.tables_io import export_xlsx
from casereview.packs.loader import PackYamlLoader

ROOT = Path(__file__).resolve().parents[1]
TABLE = "benchmark-sx-2021-260.yaml"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", target)
    return target


def _sheet(tmp_path: Path, rules: Path, edit) -> Path:
    table = yaml.load((rules / "tables" / TABLE).read_text(encoding="utf-8"), Loader=PackYamlLoader)
    xlsx = tmp_path / "基准.xlsx"
    export_xlsx(table, xlsx)
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["裁量基准"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "SX-2021-99-1" and r[4].value == "2")
    edit(row, header.index("具体标准"))
    wb.save(xlsx)
    return xlsx


def test_import_keeps_comments_and_key_order_then_lints(tmp_path, rules_copy, capsys):
    target = rules_copy / "tables" / TABLE
    before = target.read_text(encoding="utf-8")

    def widen(row, col):
        row[col].value = row[col].value.replace("处1万元以上2万元以下的罚款", "处1万元以上2.5万元以下的罚款")

    xlsx = _sheet(tmp_path, rules_copy, widen)
    code, out, err = run(capsys, "rules", "import", xlsx, "-o", target)
    after = target.read_text(encoding="utf-8")
    assert code == 0, out + err
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in after for line in comments)  # every comment kept
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]  # same number of lines: only values changed
    assert changed and all("25000" in b or "2.5万元" in b for _, b in changed)
    assert "保留原文件的注释和键顺序" in out and "rules lint" in out
    keys = [
        line.split(":")[0] for line in after.splitlines() if line and not line.startswith((" ", "#", "-"))
    ]
    assert keys == [
        line.split(":")[0] for line in before.splitlines() if line and not line.startswith((" ", "#", "-"))
    ]


def test_import_refuses_to_write_when_a_row_fails(tmp_path, rules_copy, capsys):
    target = rules_copy / "tables" / TABLE
    before = target.read_bytes()

    def garble(row, col):
        row[col].value = "有2处的，责令限期改正，处罚款若干"

    xlsx = _sheet(tmp_path, rules_copy, garble)
    code, out, err = run(capsys, "rules", "import", xlsx, "-o", target)
    assert code == 1 and "未写入" in err and "无法解析" in out
    assert target.read_bytes() == before
    new = tmp_path / "new.yaml"
    assert run(capsys, "rules", "import", xlsx, "-o", new)[0] == 1 and not new.exists()


def test_import_runs_lint_on_the_rule_book(tmp_path, rules_copy, capsys):
    target = rules_copy / "tables" / TABLE

    def above_statute(row, col):  # 安全生产法第99条: 首次查处 5万元以下
        row[col].value = row[col].value.replace("处1万元以上2万元以下的罚款", "处1万元以上20万元以下的罚款")

    xlsx = _sheet(tmp_path, rules_copy, above_statute)
    code, out, _ = run(capsys, "rules", "import", xlsx, "-o", target)
    assert code == 1
    assert "rules lint" in out and "above_statute" in out and str(target.name) in out


def test_coverage_summary_threshold_and_json(capsys):
    code, out, _ = run(capsys, "rules", "test", "--engine", "oracle", "--coverage")
    assert code == 0 and "覆盖率：" in out and "合计" in out
    code, out, _ = run(capsys, "rules", "test", "--engine", "oracle", "--coverage", "--format", "json")
    doc = json.loads(out)
    percent = doc["coverage"]["percent"]
    assert 0 < percent["total"] <= 100 and percent["rules"] is not None
    assert doc["failed"] == 0 and doc["tests"][0]["engine"] == "oracle"
    code, _, err = run(capsys, "rules", "test", "--engine", "oracle", "--coverage", "--fail-under", "100")
    assert (code == 1 and "低于" in err) or percent["total"] == 100
    assert run(capsys, "rules", "test", "--engine", "oracle", "--coverage", "--fail-under", "1")[0] == 0


def test_diff_lists_changed_cases_first(rules_copy, capsys, tmp_path):
    text = (rules_copy / "tables" / TABLE).read_text(encoding="utf-8")
    (rules_copy / "tables" / TABLE).write_text(
        text.replace("initial: {unit: [30000, 50000]}", "initial: {unit: [30000, 90000]}"), encoding="utf-8"
    )
    out = tmp_path / "d.json"
    code, _, _ = run(
        capsys,
        "rules",
        "diff",
        ROOT / "rules",
        rules_copy,
        "--cases",
        ROOT / "casefiles",
        "--format",
        "json",
        "-o",
        out,
    )
    rows = json.loads(out.read_text(encoding="utf-8"))["cases_diff"]
    flags = [r["changed"] for r in rows]
    assert code == 0 and any(flags) and not all(flags)
    assert flags == sorted(flags, reverse=True)  # every changed case before every unchanged one
    assert rows[0]["file"].endswith("05-nankang-chaoxian-fakuan.yaml")


def test_explain_case_leads_with_the_verdict_and_conditions(capsys):
    case = ROOT / "casefiles" / "05-nankang-chaoxian-fakuan.yaml"
    code, out, _ = run(capsys, "explain", case, "--rule", "BM-001")
    assert code == 0
    verdict = out.index("一、结论")
    assert verdict < out.index("成立的条件") < out.index("二、条件逐项核对") < out.index("三、推导出的事实")
    first = out[verdict:].splitlines()[1]
    assert first.startswith("■ BM-001") and "触发" in first


def test_explain_code_shows_its_examples(capsys):
    code, out, _ = run(capsys, "explain", "cert-001")
    assert code == 0
    assert "不合格（应触发）" in out and "合格（不应触发）" in out
    assert "询问由一名执法人员和一名技术检查员实施" in out and "technical_inspector" in out
