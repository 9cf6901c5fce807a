"""`casereview rules import|export`: benchmark spreadsheets as agencies publish them ↔ table YAML."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
import yaml

from casereview.maintain.amounts import cn_to_int, parse_amount, parse_condition_text, parse_standard
from casereview.maintain.tables_io import export_xlsx, import_xlsx, validate_table
from casereview.packs.loader import PackYamlLoader

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["违法行为", "法律规定", "处罚依据", "裁量阶次", "适用条件", "具体标准"]
SPL99 = "《中华人民共和国安全生产法》第九十九条第一项"

# research/benchmarks-and-exemption-lists.md §2.4, one row per tier as the agency prints it
A1 = [
    [
        "未设置明显的安全警示标志",
        "第三十五条",
        SPL99,
        "1",
        "有1处",
        "责令限期改正，处1万元的罚款；逾期未改正的，处5万元的罚款，对其直接负责的主管人员和其他直接责任人员处0.5万元的罚款",
    ],
    [
        "未设置明显的安全警示标志",
        "第三十五条",
        SPL99,
        "2",
        "有2处",
        "责令限期改正，处1万元以上2万元以下的罚款；逾期未改正的，处5万元以上8万元以下的罚款，对其直接负责的主管人员和其他直接责任人员处0.5万元以上1万元以下的罚款",
    ],
    [
        "未设置明显的安全警示标志",
        "第三十五条",
        SPL99,
        "3",
        "有3处",
        "责令限期改正，处2万元以上3万元以下的罚款；逾期未改正的，处8万元以上13万元以下的罚款，对其直接负责的主管人员和其他直接责任人员处1万元以上2万元以下的罚款",
    ],
    [
        "未设置明显的安全警示标志",
        "第三十五条",
        SPL99,
        "4",
        "有4处",
        "责令限期改正，处2万元以上3万元以下的罚款；逾期未改正的，处13万元以上17万元以下的罚款，对其直接负责的主管人员和其他直接责任人员处1万元以上1.5万元以下的罚款",
    ],
    [
        "未设置明显的安全警示标志",
        "第三十五条",
        SPL99,
        "5",
        "有5处以上",
        "责令限期改正，处3万元以上5万元以下的罚款；逾期未改正的，处17万元以上20万元以下的罚款，对其直接负责的主管人员和其他直接责任人员处1.5万元以上2万元以下的罚款",
    ],
]
A3 = [
    [
        "拒绝、阻碍监督检查",
        "",
        "《中华人民共和国安全生产法》第一百零八条",
        "1",
        "拒不改正，其从业人员100人以下的",
        "处2万元以上10万元以下的罚款；对其直接负责的主管人员和其他直接责任人员处1万元以上2万元以下的罚款",
    ],
    [
        "拒绝、阻碍监督检查",
        "",
        "《中华人民共和国安全生产法》第一百零八条",
        "2",
        "拒不改正，其从业人员100人以上的",
        "处10万元以上20万元以下的罚款；对其直接负责的主管人员和其他直接责任人员处1万元以上2万元以下的罚款",
    ],
]
A4 = [
    [
        "未如实记录安全生产教育和培训情况",
        "第二十八条",
        "《安全生产法》第九十七条第四项",
        "1",
        "比例在10%以下",
        "责令限期改正，处3万元以下的罚款；逾期未改正的，责令停产停业整顿，并处10万元以上13万元以下的罚款，对其直接负责的主管人员和其他直接责任人员处2万元的罚款",
    ],
    [
        "未如实记录安全生产教育和培训情况",
        "第二十八条",
        "《安全生产法》第九十七条第四项",
        "2",
        "比例在10%以上30%以下",
        "责令限期改正，处3万元以上7万元以下的罚款；逾期未改正的，责令停产停业整顿，并处13万元以上17万元以下的罚款，对其直接负责的主管人员和其他直接责任人员处2万元以上3万元以下的罚款",
    ],
]
A6 = [
    [
        "危险作业未安排专门人员进行现场安全管理",
        "",
        "《安全生产法》第一百零一条第三项",
        "1",
        "有1处…未安排专门管理人员进行现场管理的",
        "责令限期改正，处4万元以下的罚款；逾期未改正的，处10万元以上14万元以下的罚款，对其直接负责的主管人员和其他直接责任人员处2万元以上3万元以下的罚款",
    ],
]
B1 = [
    [
        "未按照规定进行安全生产教育和培训",
        "",
        "《安全生产法》第九十七条第三项",
        "一档",
        "涉及人数3人以下或占用人单位总人数比例在20%以下",
        "处三万元以下罚款",
    ],
]
C = [
    [
        "特种作业人员未按照规定经专门的安全作业培训并取得相应资格上岗作业",
        "",
        "《安全生产法》第九十七条第七项",
        "一般",
        "3名以下特种作业人员未按照规定经专门的安全作业培训取得特种作业操作资格并上岗作业的",
        "处三万元以下罚款",
    ],
]


def _xlsx(tmp_path: Path, rows: list[list[str]], name: str = "t.xlsx", table_id: str = "SX-2021") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "裁量基准"
    ws.append(["山西省应急管理厅 裁量基准（节选）"])  # title line above the header, as published
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    meta = wb.create_sheet("基准信息")
    for label, value in (
        ("基准编号", table_id),
        ("名称", "测试基准"),
        ("制定机关", "山西省应急管理厅"),
        ("地区代码", "'14'"),
        ("核实程度", "secondary"),
    ):
        meta.append([label, value])
    path = tmp_path / name
    wb.save(path)
    return path


def _tiers(table: dict) -> list[dict]:
    return [t for item in table["items"] for t in item["tiers"]]


def test_amount_words():
    assert parse_amount("2万元以上3万元以下")[0] == {"kind": "interval", "min": 20000, "max": 30000}
    assert parse_amount("处1万元")[0] == {"kind": "fixed", "amount": 10000}
    assert parse_amount("十万元以下")[0] == {"kind": "max_only", "max": 100000}
    assert parse_amount("0.5万元")[0] == {"kind": "fixed", "amount": 5000}
    assert parse_amount("1千元")[0] == {"kind": "fixed", "amount": 1000}
    assert parse_amount("1万–2万")[0] == {"kind": "interval", "min": 10000, "max": 20000}
    assert parse_amount("二万元以上五万元以下")[0] == {"kind": "interval", "min": 20000, "max": 50000}
    assert cn_to_int("一百零八") == 108 and cn_to_int("一万五千") == 15000
    amount, why = parse_amount("处1.5的罚款")  # A2: unit missing in the source
    assert amount is None and "缺少单位" in why


def test_branches_and_person_fines():
    fines, problems = parse_standard(A6[0][5])
    assert not problems
    assert fines == {
        "initial": {"unit": {"kind": "max_only", "max": 40000}},
        "overdue_uncorrected": {
            "unit": {"kind": "interval", "min": 100000, "max": 140000},
            "person": {"kind": "interval", "min": 20000, "max": 30000},
        },
    }


def test_condition_words():
    assert parse_condition_text("有5处以上")[0] == "f_locations_count >= 5"
    assert parse_condition_text("比例在10%以上30%以下")[0] == {
        "all": ["f_affected_share >= 0.1", "f_affected_share <= 0.3"]
    }
    assert parse_condition_text("涉及人数3人以下或占用人单位总人数比例在20%以下")[0] == {
        "any": ["f_affected_staff <= 3", "f_affected_share <= 0.2"]
    }
    cond, why = parse_condition_text("企业首次违法且情节轻微")
    assert cond is None and "无法转换" in why


def test_import_a1(tmp_path):
    table, report = import_xlsx(_xlsx(tmp_path, A1))
    assert not report.problems and not report.review
    (item,) = table["items"]
    assert item["id"] == "SX-2021-99-1"
    assert item["clause"] == {"law": "安全生产法", "version": "2021", "article": 99, "item": 1}
    t1, t2, *_, t5 = item["tiers"]
    assert t1["range"] == {
        "var": "locations_count",
        "min": 1,
        "min_word": "以上",
        "max": 1,
        "max_word": "以下",
    }
    assert t1["fines"] == {
        "initial": {"unit": [10000, 10000]},
        "overdue_uncorrected": {"unit": [50000, 50000], "person": [5000, 5000]},
    }
    assert t2["fines"]["overdue_uncorrected"]["person"] == [5000, 10000]
    assert t5["range"] == {"var": "locations_count", "min": 5, "min_word": "以上"}
    assert item["variables"]["locations_count"]["type"] == "int"
    assert not validate_table(table, tmp_path / "x.yaml")


def test_import_a3_refused_branch_and_headcount(tmp_path):
    table, report = import_xlsx(_xlsx(tmp_path, A3))
    assert not report.problems
    (item,) = table["items"]
    assert item["id"] == "SX-2021-108"
    t1, t2 = item["tiers"]
    assert t1["range"] == {"var": "headcount", "max": 100, "max_word": "以下"}
    assert t1["fines"] == {"refused_correction": {"unit": [20000, 100000], "person": [10000, 20000]}}
    assert t2["range"]["min"] == 100
    assert not validate_table(table, tmp_path / "x.yaml")


def test_import_a4_percentages(tmp_path):
    table, report = import_xlsx(_xlsx(tmp_path, A4))
    assert not report.problems
    t1, t2 = _tiers(table)
    assert t1["range"] == {"var": "affected_share", "max": 0.1, "max_word": "以下"}
    assert t1["fines"]["initial"]["unit"] == [0, 30000]
    assert t1["fines"]["overdue_uncorrected"]["person"] == [20000, 20000]
    assert t2["range"] == {
        "var": "affected_share",
        "min": 0.1,
        "min_word": "以上",
        "max": 0.3,
        "max_word": "以下",
    }


def test_import_a6_tier1(tmp_path):
    table, report = import_xlsx(_xlsx(tmp_path, A6))
    assert not report.problems and not report.review
    (tier,) = _tiers(table)
    assert tier["range"]["var"] == "locations_count"
    assert tier["fines"]["overdue_uncorrected"]["unit"] == [100000, 140000]


def test_import_b_tier1_any_condition(tmp_path):
    table, report = import_xlsx(_xlsx(tmp_path, B1, table_id="ZJ-2023"))
    assert not report.problems
    (tier,) = _tiers(table)
    assert tier["tier"] == 1
    assert tier["when"] == {"any": ["f_affected_staff <= 3", "f_affected_share <= 0.2"]}
    assert tier["fines"] == {"initial": {"unit": [0, 30000]}}
    assert set(table["items"][0]["variables"]) == {"affected_staff", "affected_share"}
    assert not validate_table(table, tmp_path / "x.yaml")


def test_import_c_condition_stays_text_for_review(tmp_path):
    # the violation wording differs from the 适用条件 wording, so the importer cannot be sure
    table, report = import_xlsx(_xlsx(tmp_path, C, table_id="HN-2021"))
    assert not report.problems
    (tier,) = _tiers(table)
    assert tier["fines"] == {"initial": {"unit": [0, 30000]}}
    # a review tier: the text is kept, no condition is invented, and it is not "unverified"
    assert tier["review"] is True and tier["condition_text"] == C[0][4]
    assert "when" not in tier and "unverified" not in tier and "note" not in tier
    assert report.review and "HN-2021-97-7" in report.review[0]
    assert not validate_table(table, tmp_path / "x.yaml")


def test_unparseable_rows_are_reported(tmp_path):
    bad = [
        [
            "危险物品容器未经检测检验合格投入使用",
            "",
            "《安全生产法》第九十九条第六项",
            "2",
            "有2台(套)",
            "责令限期改正，处2万元以上4万元以下的罚款；逾期未改正的，处10万元以上15万元以下的罚款，对其直接负责的主管人员和其他直接责任人员处1.5的罚款",
        ],
        ["无依据", "", "见附件", "1", "有1处", "处1万元的罚款"],
        ["缺金额", "", "《安全生产法》第九十九条第二项", "1", "有1处", "依法处理"],
    ]
    table, report = import_xlsx(_xlsx(tmp_path, bad))
    assert table["items"] == []
    assert len(report.problems) == 3
    assert "第3行" in report.problems[0] and "缺少单位" in report.problems[0]
    assert "第4行" in report.problems[1] and "找不到条款" in report.problems[1]
    assert "第5行" in report.problems[2]


def _shipped_tables() -> list[Path]:
    """Tables with item rows (a metadata-only table such as 应急〔2024〕90号 has no rows to export)."""
    paths = sorted((ROOT / "rules" / "tables").glob("benchmark-*.yaml"))
    return [p for p in paths if "metadata_only: true" not in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", _shipped_tables(), ids=lambda p: p.name)
def test_round_trip_shipped_table(path, tmp_path):
    original = yaml.load(path.read_text(encoding="utf-8"), Loader=PackYamlLoader)
    export_xlsx(original, tmp_path / "t.xlsx")
    again, report = import_xlsx(tmp_path / "t.xlsx")
    review_tiers = [t for item in original["items"] for t in item["tiers"] if t.get("review")]
    assert not report.problems and len(report.review) == len(review_tiers)
    assert json.dumps(again, ensure_ascii=False, sort_keys=True, default=str) == json.dumps(
        original, ensure_ascii=False, sort_keys=True, default=str
    )


def test_round_trip_after_editing_a_tier_in_the_spreadsheet(tmp_path):
    """A maintainer edits tier 2's amount in Excel: the import carries exactly that change."""
    path = ROOT / "rules" / "tables" / "benchmark-sx-2021-260.yaml"
    original = yaml.load(path.read_text(encoding="utf-8"), Loader=PackYamlLoader)
    export_xlsx(original, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    ws = wb["裁量基准"]
    header = [c.value for c in ws[1]]
    col = header.index("具体标准")
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "SX-2021-99-1" and r[4].value == "2")
    row[col].value = row[col].value.replace("处1万元以上2万元以下的罚款", "处1万元以上2.5万元以下的罚款")
    wb.save(tmp_path / "t.xlsx")
    again, report = import_xlsx(tmp_path / "t.xlsx")
    assert any("[10000, 20000] → [10000, 25000]" in c for c in report.changes)
    tier2 = again["items"][0]["tiers"][1]
    assert tier2["fines"]["initial"]["unit"] == [10000, 25000]
    assert again["items"][0]["tiers"][0] == original["items"][0]["tiers"][0]


def test_cli_import_export(tmp_path, capsys):
    from casereview.maintain.tables_io import cmd_export, cmd_import

    class A:
        pass

    a = A()
    a.table, a.output, a.id = _xlsx(tmp_path, A1 + C), tmp_path / "out.yaml", None
    assert cmd_import(a) == 0
    out = capsys.readouterr().out
    assert "2 个事项" in out and "待人工编写" in out
    b = A()
    b.table, b.output = tmp_path / "out.yaml", tmp_path / "back.xlsx"
    assert cmd_export(b) == 0 and (tmp_path / "back.xlsx").is_file()


def test_letter_tier_column_keeps_the_letter():
    """应急〔2024〕90号 numbers its tiers A, B…: the importer keeps the letter as the tier's label."""
    from casereview.maintain.tables_io import _letter

    assert [_letter(x) for x in ("A", "裁量阶次B", "c", "阶次 D", "2", "第一阶次", "AB")] == [
        "A",
        "B",
        "C",
        "D",
        None,
        None,
        None,
    ]
