"""Benchmark tables ↔ spreadsheets: `casereview rules import|export`.

The YAML is the benchmark table format of `packs/tables/benchmark.py` (`table: {type:
benchmark}`; see `rules/tables/benchmark-*.yaml`). The spreadsheet is laid out as agencies
publish benchmarks, one row per tier, on sheet 「裁量基准」:

    违法行为 | 法律规定 | 处罚依据 | 裁量阶次 | 适用条件 | 具体标准

Optional columns: 事项编号 (else numbered from 处罚依据: 第九十九条第一项 → <基准编号>-99-1),
条件（规则写法） (a condition a maintainer wrote: `range: {...}` or `when: ...`; wins over the
parsed 适用条件), 阶次备注, 推测（原文未见）, 待编写条件 (是 = keep this tier as a review tier even
if its text could be parsed; `export` writes it for review tiers so the round trip is exact).
Optional sheets written by `export` and read back: 基准信息 (source: 字段 | 值, values in YAML),
事项 (clause and note per item), 变量, 豁免.

Amounts "2万元以上3万元以下" / "处1万元" / "十万元以下" / "0.5万元" / "1千元" become [最低, 最高]
bands per branch (首次/逾期未改正/拒不改正…) and target (单位/个人). A row whose amounts cannot be
read is reported and left out. A 适用条件 the importer cannot turn into a condition is kept as
text: the tier becomes a review tier (`review: true`, `condition_text:` the text, no `when`), and
a case that may fall in it is listed for a human (BM-009) until a maintainer writes the
condition in 条件（规则写法）. (`unverified` stays reserved for tiers not seen in the source.)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from .amounts import (
    BRANCH_MARKERS,
    branch_of_condition,
    cn_to_int,
    normalise,
    parse_condition_parts,
    parse_standard,
)

MAIN_SHEET, META_SHEET, ITEM_SHEET, VAR_SHEET, WAIVER_SHEET = "裁量基准", "基准信息", "事项", "变量", "豁免"
COLUMNS = [
    "事项编号",
    "违法行为",
    "法律规定",
    "处罚依据",
    "裁量阶次",
    "适用条件",
    "具体标准",
    "罚款幅度（元）",
    "条件（规则写法）",
    "阶次备注",
    "推测（原文未见）",
    "待编写条件",
]
BRANCH_CN = {
    "initial": "首次查处",
    "overdue_uncorrected": "逾期未改正",
    "refused_correction": "拒不改正",
    "refused_execution": "拒不执行",
    "accident": "发生生产安全事故",
}
TARGET_CN = {"unit": "单位", "person": "个人"}
REQUIRED = ["违法行为", "处罚依据", "裁量阶次", "具体标准"]
SOURCE_LABELS = {
    "id": "基准编号",
    "title": "名称",
    "number": "文号",
    "aliases": "其他引用写法",
    "issuer": "制定机关",
    "region": "地区代码",
    "effective_from": "施行日期",
    "effective_to": "最后有效日",
    "expiry_note": "失效说明",
    "boundary": "边界用语",
    "verification": "核实程度",
    "urls": "来源网址",
    "note": "备注",
}
REVIEW_MARK = "【待编写条件】"
VARIABLES = {
    "locations_count": ("int", "涉及的场所、设施、设备数（处）"),
    "units_count": ("int", "涉及的设备、容器数（台/套）"),
    "affected_share": ("number", "涉及人员占用人单位总人数比例（0–1）"),
    "headcount": ("int", "从业人员人数"),
    "affected_staff": ("int", "涉及人数"),
    "duties_failed": ("int", "未履行的职责项数"),
}
BOUNDARY_DEFAULT = {"以上": True, "以下": True, "以内": True, "不满": False, "超过": False}


class ImportReport:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.review: list[str] = []
        self.rows = 0
        self.tiers = 0
        self.changes: list[str] = []

    def lines(self) -> list[str]:
        out = [f"读取 {self.rows} 行，生成 {self.tiers} 个阶次"]
        out += [f"  无法解析（该行未导入）：{p}" for p in self.problems]
        out += [f"  {c}" for c in self.changes]
        out += [
            f"  {REVIEW_MARK}条件待人工编写，适用条件保留原文，阶次待人工评查（BM-009）：{r}"
            for r in self.review
        ]
        if not self.problems and not self.review:
            out.append("  全部行已解析")
        return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_CN = "0-9零〇一二两三四五六七八九十百"


def parse_clause(text: str) -> dict[str, Any] | None:
    t = text.replace(" ", "")
    m = re.search(rf"第([{_CN}]+)条(?:第([{_CN}]+)款)?(?:第([{_CN}]+)项)?", t)
    if not m:
        return None

    def n(x: str) -> int:
        return int(x) if x.isdigit() else cn_to_int(x)

    law = re.search(r"《(?:中华人民共和国)?([^》]+)》", t)
    clause: dict[str, Any] = {
        "law": law.group(1) if law else "安全生产法",
        "version": "2021",
        "article": n(m.group(1)),
    }
    if m.group(2):
        clause["paragraph"] = n(m.group(2))
    if m.group(3):
        clause["item"] = n(m.group(3))
    return clause


def clause_text(clause: dict[str, Any]) -> str:
    text = f"《{clause.get('law', '安全生产法')}》第{clause['article']}条"
    if clause.get("paragraph"):
        text += f"第{clause['paragraph']}款"
    if clause.get("item"):
        text += f"第{clause['item']}项"
    return text


def _letter(label: str) -> str | None:
    """A tier written as a letter (「A」「裁量阶次B」), upper-cased; None otherwise."""
    m = re.fullmatch(r"\s*(?:裁量)?(?:阶次)?\s*([A-Za-z])\s*(?:档|级)?\s*", label or "")
    return m.group(1).upper() if m else None


def _order(label: str, fallback: int) -> int:
    m = re.search(r"\d+", label)
    if m:
        return int(m.group())
    m = re.search(r"[一二三四五六七八九十]+", label)
    if m:
        return cn_to_int(m.group())
    return {"从轻": 1, "轻微": 1, "一般": 2, "较重": 3, "从重": 3, "严重": 3}.get(label, fallback)


def _band(amount: dict[str, Any]) -> list[int] | None:
    kind = amount["kind"]
    if kind == "interval":
        return [amount["min"], amount["max"]]
    if kind == "max_only":
        return [0, amount["max"]]
    if kind == "fixed":
        return [amount["amount"], amount["amount"]]
    return None  # min_only: no upper bound in the benchmark


def bands_text(fines: dict[str, dict[str, list[int]]]) -> str:
    """{initial: {unit: [0, 40000]}} → 「首次查处：单位 0-40000」."""
    parts = []
    for branch, targets in fines.items():
        inner = "，".join(f"{TARGET_CN[t]} {lo}-{hi}" for t, (lo, hi) in targets.items())
        parts.append(f"{BRANCH_CN.get(branch, branch)}：{inner}")
    return "；".join(parts)


def parse_bands(text: str) -> dict[str, dict[str, list[int]]]:
    branch_of = {v: k for k, v in BRANCH_CN.items()}
    target_of = {v: k for k, v in TARGET_CN.items()}
    out: dict[str, dict[str, list[int]]] = {}
    for part in (p for p in re.split(r"[;；]", normalise(text)) if p):
        label, _, rest = part.partition("：") if "：" in part else part.partition(":")
        if label not in branch_of:
            raise ValueError(f"罚款幅度中未知的情形「{label}」（可用：{'、'.join(BRANCH_CN.values())}）")
        for piece in (p for p in re.split(r"[,，]", rest) if p):
            m = re.fullmatch(r"(单位|个人)(\d+)-(\d+)", piece)
            if not m:
                raise ValueError(f"罚款幅度「{piece}」应写作「单位 最低-最高」或「个人 最低-最高」")
            out.setdefault(branch_of[label], {})[target_of[m.group(1)]] = [int(m.group(2)), int(m.group(3))]
    return out


def merge_bands(
    written: dict[str, dict[str, list[int]]], from_text: dict[str, dict[str, list[int]]]
) -> tuple[dict[str, dict[str, list[int]]], list[str]]:
    """The 具体标准 wins where it states an amount; 罚款幅度 supplies the rest. A text amount with no
    target named goes to the person when that branch only fines persons (e.g. 主要负责人)."""
    merged = {b: dict(t) for b, t in written.items()}
    changes = []
    for branch, targets in from_text.items():
        for target, band in targets.items():
            slot = merged.setdefault(branch, {})
            if target == "unit" and "unit" not in slot and set(slot) == {"person"}:
                target = "person"
            if slot.get(target) != band:
                if target in slot:
                    changes.append(
                        f"{BRANCH_CN.get(branch, branch)}{TARGET_CN[target]} {slot[target]} → {band}"
                    )
                slot[target] = band
    return merged, changes


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else round(v, 6)


def _range_or_when(
    parts: list[list[tuple[str, str | None, str | None, float]]], boundary: dict[str, Any]
) -> dict[str, Any]:
    """One alternative over one variable → `range`; otherwise a `when` condition."""
    if len(parts) == 1 and len({p[0] for p in parts[0]}) == 1:
        rng: dict[str, Any] = {"var": parts[0][0][0]}
        for _var, pre, post, value in parts[0]:
            v = _num(value)
            if pre in ("不满", "不足", "低于"):
                rng.update(max=v, max_word="不满")
            elif pre in ("超过", "高于"):
                rng.update(min=v, min_word="超过")
            elif post == "以上":
                rng.update(min=v, min_word="以上")
            elif post in ("以下", "以内"):
                rng.update(max=v, max_word=post)
            else:
                rng.update(min=v, min_word="以上", max=v, max_word="以下")
        ordered = {k: rng[k] for k in ("var", "min", "min_word", "max", "max_word") if k in rng}
        return {"range": ordered}
    inclusive = {**BOUNDARY_DEFAULT, **{k: v for k, v in boundary.items() if isinstance(v, bool)}}
    alts = []
    for leaves in parts:
        words = []
        for var, pre, post, value in leaves:
            v = _num(value)
            if pre in ("不满", "不足", "低于"):
                op = "<" if not inclusive["不满"] else "<="
            elif pre in ("超过", "高于"):
                op = ">" if not inclusive["超过"] else ">="
            elif post == "以上":
                op = ">=" if inclusive["以上"] else ">"
            elif post in ("以下", "以内"):
                op = "<=" if inclusive[post] else "<"
            else:
                op = "=="
            words.append(f"f_{var} {op} {v}")
        alts.append(words[0] if len(words) == 1 else {"all": words})
    return {"when": alts[0] if len(alts) == 1 else {"any": alts}}


def _vars_of(cond: dict[str, Any]) -> set[str]:
    if "range" in cond:
        return {cond["range"]["var"]}
    return set(
        re.findall(r"f_([A-Za-z_][A-Za-z0-9_]*)", yaml.safe_dump(cond.get("when"), allow_unicode=True))
    )


def _tier_text(cond_text: str, standard: str) -> str:
    if not cond_text or normalise(standard).startswith(normalise(cond_text)):
        return standard
    return f"{cond_text}，{standard}"


def _marked(value: str | None) -> bool:
    return (value or "").strip() in ("是", "true", "True", "1")


def _review_tier(cond_text: str, standard: str, text: str) -> dict[str, Any]:
    """A tier whose 适用条件 stays Chinese text (BM-009 lists its cases for a human).

    With no 适用条件 at all, the tier text is the only statement of when it applies."""
    if cond_text and normalise(cond_text) in normalise(standard):
        text = standard  # the 具体标准 already quotes the condition (as `export` writes it)
    return {"text": text, "review": True, "condition_text": cond_text or text}


def import_rows(
    rows: list[dict[str, str]],
    meta: dict[str, Any],
    report: ImportReport,
    row_offset: int = 2,
) -> dict[str, Any]:
    source = dict(meta.get("source") or {})
    table_id = source.pop("id", None) or "BM"
    boundary = source.get("boundary") or {}
    item_meta: dict[str, dict[str, Any]] = meta.get("items") or {}
    var_meta: dict[str, dict[str, Any]] = meta.get("variables") or {}
    items: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        line = i + row_offset
        if not any(row.values()):
            continue
        report.rows += 1
        missing = [c for c in REQUIRED if not row.get(c)]
        if missing:
            report.problems.append(f"第{line}行：缺少 {'、'.join(missing)}")
            continue
        item_id = row.get("事项编号") or None
        clause = parse_clause(row["处罚依据"])
        if not item_id:
            if clause is None:
                report.problems.append(
                    f"第{line}行：没有事项编号，且处罚依据中找不到条款：{row['处罚依据']!r}"
                )
                continue
            item_id = "-".join(
                [table_id, str(clause["article"]), *([str(clause["item"])] if clause.get("item") else [])]
            )
        label = row["裁量阶次"]
        where = f"第{line}行（{item_id} 阶次 {label}）"
        cond_text = row.get("适用条件", "")
        fines, problems = parse_standard(row["具体标准"], branch_of_condition(cond_text) or "initial")
        bands: dict[str, dict[str, list[int]]] = {}
        for branch, targets in fines.items():
            for target, amount in targets.items():
                band = _band(amount)
                if band is None:
                    problems.append(f"{branch}/{target}：只有下限，没有上限（{amount}）")
                else:
                    bands.setdefault(branch, {})[target] = band
        if row.get("罚款幅度（元）"):
            try:
                bands, changes = merge_bands(parse_bands(row["罚款幅度（元）"]), bands)
            except ValueError as exc:
                problems.append(str(exc))
                changes = []
            report.changes += [f"{where}：按具体标准更新 {c}" for c in changes]
        if problems:
            report.problems += [f"{where}：{p}" for p in problems]
            continue
        if item_id not in items:
            m = item_meta.get(item_id, {})
            item: dict[str, Any] = {"id": item_id, "title": m.get("title") or row["违法行为"]}
            item["clause"] = (
                m.get("clause") or clause or {"law": "安全生产法", "version": "2021", "article": 1}
            )
            item["variables"] = {}
            item["tiers"] = []
            note = m.get("note")
            if "note" not in m and row.get("法律规定"):
                note = f"【法律规定】{row['法律规定']}"
            if note:
                item["note"] = note
            items[item_id] = item
        item = items[item_id]
        tier: dict[str, Any] = {
            "tier": _order(label, len(item["tiers"]) + 1),
            "text": _tier_text(cond_text, row["具体标准"]),
        }
        letter = _letter(label)
        if letter:  # 应急〔2024〕90号 writes 裁量阶次A, B…: keep the letter, number by position
            tier["label"] = letter
        written = row.get("条件（规则写法）") or ""
        cond: dict[str, Any] = {}
        note = row.get("阶次备注") or None
        if written:
            try:
                cond = yaml.safe_load(written)
                if not isinstance(cond, dict) or not ({"range", "when"} & cond.keys()):
                    cond = {"when": cond}
            except yaml.YAMLError as exc:
                report.problems.append(f"{where}：条件（规则写法）不是有效的 YAML：{exc}")
                continue
        else:
            parts, why = parse_condition_parts(cond_text, strip=row["违法行为"])
            if _marked(row.get("待编写条件")):
                if parts:
                    why = "标记为待编写条件（适用条件可自动转换；核对后清除「待编写条件」列即按转换结果检查）"
                parts = None
            if parts:
                cond = _range_or_when(parts, boundary)
            else:
                report.review.append(f"{where}：{why or '没有适用条件'}")
                tier.update(_review_tier(cond_text, row["具体标准"], tier["text"]))
        tier.update(cond)
        tier["fines"] = bands
        if _marked(row.get("推测（原文未见）")):
            tier["unverified"] = True
        if note:
            tier["note"] = note
        for var in sorted(_vars_of(cond)):
            if var not in item["variables"]:
                spec = var_meta.get(f"{item_id}/{var}") or dict(
                    zip(("type", "label"), VARIABLES.get(var, ("number", var)), strict=True)
                )
                item["variables"][var] = spec
        item["tiers"].append(tier)
        report.tiers += 1
    for item in items.values():
        item["tiers"].sort(key=lambda t: t["tier"])
        if not item["variables"]:
            del item["variables"]
        extra = {
            k: v for k, v in item_meta.get(item["id"], {}).items() if k not in ("title", "clause", "note")
        }
        item.update(extra)
        if "note" in item:
            item["note"] = item.pop("note")  # keep note after tiers as in the shipped tables
    table: dict[str, Any] = {"table": {"type": "benchmark", "id": table_id}}
    table["source"] = source or {
        "title": "（未提供）",
        "issuer": "（未提供）",
        "region": "00",
        "verification": "unverified",
    }
    table["unit"] = "元"
    table["items"] = list(items.values())
    if meta.get("waivers"):
        table["waivers"] = meta["waivers"]
    return table


def _sheet_rows(ws: Any) -> list[list[str]]:
    return [[_cell(v) for v in r] for r in ws.iter_rows(values_only=True)]


def read_xlsx(path: Path) -> tuple[list[dict[str, str]], dict[str, Any], int]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = wb[MAIN_SHEET] if MAIN_SHEET in wb.sheetnames else wb.worksheets[0]
    all_rows = _sheet_rows(ws)
    header_at = next((i for i, r in enumerate(all_rows) if "违法行为" in r and "具体标准" in r), None)
    if header_at is None:
        raise ValueError(f"找不到表头（至少需要列 {'、'.join(REQUIRED)}）")
    header = all_rows[header_at]
    rows = [
        {h: (r[j] if j < len(r) else "") for j, h in enumerate(header) if h}
        for r in all_rows[header_at + 1 :]
    ]
    meta: dict[str, Any] = {"source": {}, "items": {}, "variables": {}, "waivers": []}
    headers = {"字段", "事项编号"}
    raw = {
        name: [r for r in _sheet_rows(wb[name]) if r and r[0] not in headers]
        for name in (META_SHEET, ITEM_SHEET, VAR_SHEET, WAIVER_SHEET)
        if name in wb.sheetnames
    }
    by_label = {label: key for key, label in SOURCE_LABELS.items()}
    for r in raw.get(META_SHEET, []):
        if r and r[0] in by_label and len(r) > 1 and r[1] != "":
            meta["source"][by_label[r[0]]] = yaml.safe_load(r[1])
    for r in raw.get(ITEM_SHEET, []):
        if not r or not r[0]:
            continue
        r = r + [""] * 8
        clause: dict[str, Any] = {}
        if r[2]:
            clause["law"] = r[2]
        if r[3]:
            clause["version"] = str(yaml.safe_load(r[3]))
        clause["article"] = int(r[4])
        if r[5]:
            clause["paragraph"] = int(r[5])
        if r[6]:
            clause["item"] = int(r[6])
        entry: dict[str, Any] = {"title": r[1], "clause": clause}
        if r[7]:
            entry["note"] = r[7]
        meta["items"][r[0]] = entry
    for r in raw.get(VAR_SHEET, []):
        if r and r[0]:
            meta["variables"][f"{r[0]}/{r[1]}"] = {"type": r[2], "label": r[3]}
    for r in raw.get(WAIVER_SHEET, []):
        if r and r[0]:
            tiers = yaml.safe_load(r[2]) if r[2] else []
            waiver: dict[str, Any] = {"item": r[0], "problem": r[1]}
            if tiers:
                waiver["tiers"] = tiers
            waiver["reason"] = r[3]
            meta["waivers"].append(waiver)
    return rows, meta, header_at + 2


def import_xlsx(path: Path, table_id: str | None = None) -> tuple[dict[str, Any], ImportReport]:
    rows, meta, offset = read_xlsx(path)
    if table_id:
        meta["source"]["id"] = table_id
    report = ImportReport()
    return import_rows(rows, meta, report, offset), report


def dump_table(table: dict[str, Any]) -> str:
    return yaml.safe_dump(table, allow_unicode=True, sort_keys=False, width=120)


def _flow(value: Any) -> str:
    return (
        yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=100000)
        .strip()
        .removesuffix("...")
        .strip()
    )


_COND_CUT = re.compile(r"[，,](?=责令|处|给予|对|并处)")


def split_tier_text(text: str) -> tuple[str, str]:
    """「有1处的，责令限期改正，处…」→ (「有1处的」, 「责令限期改正，处…」);
    a text without a leading condition → ("", text)."""
    m = _COND_CUT.search(text)
    if not m or any(re.match(marker, text) for marker, _ in BRANCH_MARKERS[:1]):
        return "", text
    head = text[: m.start()]
    if re.search(r"罚款|处\d|处[一二三四五六七八九十]", head):
        return "", text
    return head, text[m.end() :]


def review_columns(tier: dict[str, Any]) -> tuple[str, str]:
    """(适用条件, 具体标准) of a review tier, such that importing them gives its text back."""
    cond, text = tier.get("condition_text") or "", tier["text"]
    if (
        cond
        and text.startswith(f"{cond}，")
        and not normalise(text[len(cond) + 1 :]).startswith(normalise(cond))
    ):
        return cond, text[len(cond) + 1 :]
    return cond, text


def export_xlsx(table: dict[str, Any], out: Path) -> None:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = MAIN_SHEET
    ws.append(COLUMNS)
    for item in table.get("items", []):
        note = item.get("note") or ""
        duty = note.removeprefix("【法律规定】") if note.startswith("【法律规定】") else ""
        for tier in item.get("tiers", []):
            if tier.get("review"):
                cond_text, standard = review_columns(tier)
                written = ""  # nothing written yet: that is what the 待编写条件 column says
            elif "range" in tier:
                cond_text, standard = split_tier_text(tier["text"])
                written = _flow({"range": tier["range"]})
            else:
                cond_text, standard = split_tier_text(tier["text"])
                written = _flow({"when": tier.get("when")})
            ws.append(
                [
                    item["id"],
                    item.get("title", ""),
                    duty,
                    clause_text(item["clause"]),
                    tier.get("label") or str(tier["tier"]),
                    cond_text,
                    standard,
                    bands_text(tier.get("fines", {})),
                    written,
                    tier.get("note") or "",
                    "是" if tier.get("unverified") else "",
                    "是" if tier.get("review") else "",
                ]
            )
    widths = (16, 30, 30, 24, 8, 24, 60, 40, 40, 30, 10, 10)
    for i, width in enumerate(widths):
        ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width = width
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in ws[1]:
        cell.font = Font(bold=True)

    meta = wb.create_sheet(META_SHEET)
    meta.append(["字段", "值（YAML 写法）"])
    source = {"id": table.get("table", {}).get("id"), **table.get("source", {})}
    for key, label in SOURCE_LABELS.items():
        if key in source:
            meta.append([label, _flow(source[key])])
    items = wb.create_sheet(ITEM_SHEET)
    items.append(["事项编号", "违法行为", "法律", "版本", "条", "款", "项", "备注"])
    variables = wb.create_sheet(VAR_SHEET)
    variables.append(["事项编号", "变量", "类型", "说明"])
    for item in table.get("items", []):
        c = item["clause"]
        items.append(
            [
                item["id"],
                item.get("title", ""),
                c.get("law") or "",
                _flow(str(c["version"])) if c.get("version") else "",
                c["article"],
                c.get("paragraph") or "",
                c.get("item") or "",
                item.get("note") or "",
            ]
        )
        for name, spec in (item.get("variables") or {}).items():
            variables.append([item["id"], name, spec.get("type"), spec.get("label")])
    waivers = wb.create_sheet(WAIVER_SHEET)
    waivers.append(["事项编号", "问题", "阶次", "理由"])
    for w in table.get("waivers", []) or []:
        waivers.append([w["item"], w["problem"], _flow(w["tiers"]) if w.get("tiers") else "", w["reason"]])
    wb.save(out)


# ---------------------------------------------------------------- commands


def add_commands(rsub: Any, rules_option: Any) -> None:
    imp = rsub.add_parser("import", help="把裁量基准电子表格（xlsx，每行一个阶次）转换为基准表 YAML")
    imp.add_argument("table", type=Path, help="xlsx 文件")
    imp.add_argument(
        "-o", "--output", type=Path, required=True, help="输出 YAML 文件（放到 rules/tables/ 下即生效）"
    )
    imp.add_argument("--id", help="基准编号，如 SX-2021（覆盖「基准信息」表中的值）")
    rules_option(imp)
    imp.set_defaults(func=cmd_import)
    exp = rsub.add_parser("export", help="把基准表 YAML 导出为电子表格（xlsx），便于在表格软件中修改")
    exp.add_argument("table", type=Path)
    exp.add_argument("-o", "--output", type=Path, required=True)
    exp.set_defaults(func=cmd_export)


def validate_table(table: dict[str, Any], where: Path) -> list[str]:
    """Check the result against the benchmark table loader (when it is available)."""
    try:
        from ..packs.tables.benchmark import load_benchmark
    except ImportError:
        return []
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / where.name
        path.write_text(dump_table(table), encoding="utf-8")
        try:
            load_benchmark(path, table)
        except ValueError as exc:
            return [str(exc)]
    return []


def cmd_import(args: argparse.Namespace) -> int:
    """Import a spreadsheet: nothing is written unless every row parses and the table loads; an
    existing YAML keeps its comments and key order (only changed values are replaced); then the
    rule book containing it is linted."""
    from .yaml_roundtrip import dump_new, merge_into

    try:
        table, report = import_xlsx(args.table, args.id)
    except Exception as exc:
        print(f"无法读取 {args.table}：{exc}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    invalid = validate_table(table, args.output)
    for problem in invalid:
        print(f"  基准表格式检查未通过：{problem}")
    if report.problems or invalid:
        n = len(report.problems) + len(invalid)
        print(f"有 {n} 处无法导入，未写入 {args.output}：修正表格后重新导入", file=sys.stderr)
        return 1
    existed = args.output.is_file()
    text = merge_into(args.output, table) if existed else dump_new(table)
    args.output.write_text(text, encoding="utf-8")
    kept = "（保留原文件的注释和键顺序，只替换改动的值）" if existed else ""
    print(f"已写入 {args.output}：{len(table['items'])} 个事项{kept}")
    return _lint_after_import(args)


def _lint_after_import(args: argparse.Namespace) -> int:
    """`rules lint` on the rule book the imported table belongs to."""
    from ..packs.lint import errors, lint_tables
    from ..packs.loader import PackError, load_rulebook

    rules = getattr(args, "rules", None)
    if rules is None:
        parent = args.output.resolve().parent
        if parent.name == "tables" and (parent.parent / "packs").is_dir():
            rules = parent.parent
    if rules is None:
        print("未运行 rules lint：输出文件不在规则目录的 tables/ 下（可用 --rules 指定规则目录）")
        return 0
    try:
        book = load_rulebook(rules)
    except PackError as exc:
        print(f"规则目录 {rules} 无法加载（含刚导入的表）：\n{exc}", file=sys.stderr)
        return 1
    target = args.output.resolve()
    found = [p for p in lint_tables(book) if Path(p.file).resolve() == target]
    for problem in found:
        print(problem)
    bad = errors(found)
    print(f"rules lint：{len(found)} 个问题，{len(bad)} 个待处理" if found else "rules lint：未发现问题")
    return 1 if bad else 0


def cmd_export(args: argparse.Namespace) -> int:
    try:
        from ..packs.loader import PackYamlLoader

        table = yaml.load(args.table.read_text(encoding="utf-8"), Loader=PackYamlLoader)
        export_xlsx(table, args.output)
    except Exception as exc:
        print(f"无法导出 {args.table}：{exc}", file=sys.stderr)
        return 2
    print(
        f"已写入 {args.output}"
        f"（工作表：{MAIN_SHEET}、{META_SHEET}、{ITEM_SHEET}、{VAR_SHEET}、{WAIVER_SHEET}）"
    )
    return 0
