"""Benchmark tables ↔ spreadsheets: `casereview rules import|export`.

Spreadsheet layout (as agencies publish, one row per tier), sheet 「裁量基准」:
    事项编号 | 违法行为 | 法律规定 | 处罚依据 | 裁量阶次 | 适用条件 | 具体标准 | 条件（规则写法）
`事项编号` and `条件（规则写法）` are optional: without an id the item is numbered from 处罚依据;
the last column holds a condition a maintainer wrote in the rule language (it wins over the
parsed 适用条件). An optional sheet 「基准信息」 holds `字段 | 值` pairs for the source.

Benchmark table YAML written here (intermediate format until the benchmark table type lands in
`packs/tables/`; research notes §8.3):

    table: {type: benchmark, id: SX-2021-260}
    source: {title, doc_no, issuer, region, effective_from, effective_to, verification, url,
             boundary_convention: {以上: inclusive, 以下: inclusive, ...}}
    items:
      - id: SX-2021-99-1
        violation: 未设置明显的安全警示标志
        duty_text: 【法律规定】原文
        penalty_text: 【处罚依据】原文
        tiers:
          - order: 1
            label: "1"
            condition_text: 有1处
            condition: f_locations_count == 1      # null when not yet written → status review
            status: ok | review
            fines: {initial: {unit: {kind: fixed, amount: 10000}},
                    overdue_uncorrected: {unit: {...}, person: {...}}}
            text: 具体标准原文
            problems: [...]                        # what the importer could not parse
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from .amounts import DEFAULT_CONVENTION, amount_text, branch_of_condition, cn_to_int, parse_condition_text, parse_standard

COLUMNS = ["事项编号", "违法行为", "法律规定", "处罚依据", "裁量阶次", "适用条件", "具体标准", "条件（规则写法）"]
REQUIRED = ["违法行为", "处罚依据", "裁量阶次", "适用条件", "具体标准"]
SHEET, META_SHEET = "裁量基准", "基准信息"
SOURCE_FIELDS = [
    ("id", "基准编号"),
    ("title", "名称"),
    ("doc_no", "文号"),
    ("issuer", "制定机关"),
    ("region", "地区"),
    ("effective_from", "施行日期"),
    ("effective_to", "失效日期"),
    ("verification", "核实程度"),
    ("url", "来源网址"),
    ("note", "备注"),
]
BRANCH_LABELS = {
    "initial": "首次查处",
    "overdue_uncorrected": "逾期未改正",
    "refused_correction": "拒不改正",
    "refused_execution": "拒不执行",
}


class ImportReport:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.review: list[str] = []
        self.rows = 0

    def lines(self) -> list[str]:
        out = [f"读取 {self.rows} 行"]
        out += [f"  无法解析：{p}" for p in self.problems]
        out += [f"  待人工编写条件（阶次标为 review）：{r}" for r in self.review]
        if not self.problems and not self.review:
            out.append("  全部行已解析")
        return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _article_ref(text: str) -> str | None:
    t = text.replace(" ", "")
    m = re.search(r"第([0-9零〇一二两三四五六七八九十百]+)条(?:第([0-9零〇一二两三四五六七八九十百]+)款)?(?:第([0-9零〇一二两三四五六七八九十百]+)项)?", t)
    if not m:
        return None

    def n(x: str) -> int:
        return int(x) if x.isdigit() else cn_to_int(x)

    parts = [str(n(m.group(1)))]
    if m.group(3):
        parts.append(str(n(m.group(3))))
    return "-".join(parts)


def _order(label: str, fallback: int) -> int:
    m = re.search(r"\d+", label)
    if m:
        return int(m.group())
    m = re.search(r"[一二三四五六七八九十]+", label)
    if m:
        return cn_to_int(m.group())
    return {"从轻": 1, "轻微": 1, "一般": 2, "从重": 3, "严重": 3}.get(label, fallback)


def import_rows(rows: list[dict[str, str]], source: dict[str, Any], report: ImportReport, row_offset: int = 2) -> dict[str, Any]:
    convention = source.get("boundary_convention") or DEFAULT_CONVENTION
    prefix = source.get("id") or "BM"
    items: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        line = i + row_offset
        report.rows += 1
        if not any(row.values()):
            continue
        missing = [c for c in REQUIRED if not row.get(c)]
        if missing:
            report.problems.append(f"第{line}行：缺少 {'、'.join(missing)}")
            continue
        item_id = row.get("事项编号") or None
        if not item_id:
            ref = _article_ref(row["处罚依据"])
            if ref is None:
                report.problems.append(f"第{line}行：没有事项编号，且处罚依据中找不到条款：{row['处罚依据']!r}")
                continue
            item_id = f"{prefix}-{ref}"
        item = items.setdefault(
            item_id,
            {
                "id": item_id,
                "violation": row["违法行为"],
                "duty_text": row.get("法律规定") or None,
                "penalty_text": row["处罚依据"],
                "tiers": [],
            },
        )
        label = row["裁量阶次"]
        where = f"第{line}行（{item_id} 阶次 {label}）"
        default_branch = branch_of_condition(row["适用条件"]) or "initial"
        fines, problems = parse_standard(row["具体标准"], default_branch)
        tier: dict[str, Any] = {
            "order": _order(label, len(item["tiers"]) + 1),
            "label": label,
            "condition_text": row["适用条件"],
            "condition": None,
            "status": "ok",
            "fines": fines,
            "text": row["具体标准"],
        }
        written = row.get("条件（规则写法）") or ""
        if written:
            try:
                tier["condition"] = yaml.safe_load(written)
                from ..packs.conditions import parse_condition

                parse_condition(tier["condition"])
            except Exception as exc:
                tier["condition"] = None
                problems.append(f"条件（规则写法）无法解析：{exc}")
        else:
            cond, why = parse_condition_text(row["适用条件"], convention)
            tier["condition"] = cond
            if why:
                report.review.append(f"{where}：{why}")
        if tier["condition"] is None:
            tier["status"] = "review"
        for p in problems:
            report.problems.append(f"{where}：{p}")
        if problems:
            tier["problems"] = problems
            tier["status"] = "review"
        item["tiers"].append(tier)
    return {
        "table": {"type": "benchmark", "id": prefix},
        "source": {**{k: v for k, v in source.items() if v not in (None, "")}, "boundary_convention": convention},
        "items": list(items.values()),
    }


def read_xlsx(path: Path) -> tuple[list[dict[str, str]], dict[str, Any], int]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
    all_rows = [[_cell(v) for v in r] for r in ws.iter_rows(values_only=True)]
    header_at = next((i for i, r in enumerate(all_rows) if "违法行为" in r and "具体标准" in r), None)
    if header_at is None:
        raise ValueError(f"{path}：找不到表头（至少需要列 {'、'.join(REQUIRED)}）")
    header = all_rows[header_at]
    rows = [{h: (r[j] if j < len(r) else "") for j, h in enumerate(header) if h} for r in all_rows[header_at + 1 :]]
    source: dict[str, Any] = {}
    if META_SHEET in wb.sheetnames:
        labels = {label: key for key, label in SOURCE_FIELDS}
        for r in wb[META_SHEET].iter_rows(values_only=True):
            if r and r[0] in labels and len(r) > 1 and r[1] not in (None, ""):
                source[labels[r[0]]] = _cell(r[1])
    return rows, source, header_at + 2


def import_xlsx(path: Path, source_overrides: dict[str, Any] | None = None) -> tuple[dict[str, Any], ImportReport]:
    rows, source, offset = read_xlsx(path)
    source.update(source_overrides or {})
    report = ImportReport()
    return import_rows(rows, source, report, offset), report


def dump_table(table: dict[str, Any]) -> str:
    return yaml.safe_dump(table, allow_unicode=True, sort_keys=False, width=120)


def _condition_cell(cond: Any) -> str:
    if cond is None:
        return ""
    if isinstance(cond, str):
        return cond
    return yaml.safe_dump(cond, allow_unicode=True, default_flow_style=True, width=1000).strip()


def export_xlsx(table: dict[str, Any], out: Path) -> None:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for item in table.get("items", []):
        for tier in item.get("tiers", []):
            ws.append(
                [
                    item["id"],
                    item.get("violation") or "",
                    item.get("duty_text") or "",
                    item.get("penalty_text") or "",
                    tier.get("label") or str(tier.get("order")),
                    tier.get("condition_text") or "",
                    tier.get("text") or _standard_text(tier.get("fines", {})),
                    _condition_cell(tier.get("condition")),
                ]
            )
    for col, width in zip("ABCDEFGH", (16, 30, 30, 30, 10, 30, 60, 40), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    meta = wb.create_sheet(META_SHEET)
    meta.append(["字段", "值"])
    source = table.get("source", {})
    src = {**source, "id": source.get("id") or table.get("table", {}).get("id")}
    for key, label in SOURCE_FIELDS:
        if src.get(key) not in (None, ""):
            meta.append([label, str(src[key])])
    wb.save(out)


def _standard_text(fines: dict[str, Any]) -> str:
    parts = []
    for branch, targets in fines.items():
        text = f"{BRANCH_LABELS.get(branch, branch)}：" if branch != "initial" else ""
        bits = []
        if "unit" in targets:
            bits.append(f"处{amount_text(targets['unit'])}的罚款")
        if "person" in targets:
            bits.append(f"对其直接负责的主管人员和其他直接责任人员处{amount_text(targets['person'])}的罚款")
        parts.append(text + "，".join(bits))
    return "；".join(parts)


# ---------------------------------------------------------------- commands


def add_commands(rsub: Any, rules_option: Any) -> None:
    imp = rsub.add_parser("import", help="把裁量基准电子表格（xlsx）转换为基准表 YAML")
    imp.add_argument("table", type=Path, help="xlsx 文件：每行一个裁量阶次")
    imp.add_argument("-o", "--output", type=Path, required=True, help="输出 YAML 文件")
    imp.add_argument("--id", help="基准编号（覆盖「基准信息」表中的值）")
    imp.set_defaults(func=cmd_import)
    exp = rsub.add_parser("export", help="把基准表 YAML 导出为电子表格（xlsx）")
    exp.add_argument("table", type=Path)
    exp.add_argument("-o", "--output", type=Path, required=True)
    exp.set_defaults(func=cmd_export)


def cmd_import(args: argparse.Namespace) -> int:
    try:
        table, report = import_xlsx(args.table, {"id": args.id} if args.id else None)
    except Exception as exc:
        print(f"无法读取 {args.table}：{exc}", file=sys.stderr)
        return 2
    args.output.write_text(dump_table(table), encoding="utf-8")
    n = sum(len(i["tiers"]) for i in table["items"])
    print(f"已写入 {args.output}：{len(table['items'])} 个事项，{n} 个阶次")
    for line in report.lines():
        print(line)
    return 1 if report.problems else 0


def cmd_export(args: argparse.Namespace) -> int:
    try:
        table = yaml.safe_load(args.table.read_text(encoding="utf-8"))
        export_xlsx(table, args.output)
    except Exception as exc:
        print(f"无法导出 {args.table}：{exc}", file=sys.stderr)
        return 2
    print(f"已写入 {args.output}")
    return 0
