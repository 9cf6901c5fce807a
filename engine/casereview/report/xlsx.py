"""Excel 评查结果 (openpyxl, write-only so rows stream), ready to attach to a 通报:

- 评查结果汇总表: a title row (campaign name) and a line with date, profile and rules version, then
  one row per file with its score, grade, points deducted in total and per category;
- 问题明细: one row per finding (category in Chinese, points, location, 已豁免);
- 各单位统计: per agency files, 合格率, average score, veto rate, 三项制度执行率, benchmark-stated
  rate, 零处罚/只检查不处罚 signal;
- 同案异罚: the peer groups of like cases with each member's fine, the outliers marked.

Every sheet has an autofilter on its header, frozen header rows, landscape A4 printing fitted to
the page width with the header repeated on each page. File names are shown relative to the
reviewed folder (no local paths) unless `--full-paths`. Personal identifiers are masked.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from ..review import CaseResult
from .labels import status_label
from .location import where
from .masking import mask as mask_text

SUMMARY_SHEET = "评查结果汇总表"
FINDINGS_SHEET = "问题明细"
AGENCY_SHEET = "各单位统计"
LIKE_CASES_SHEET = "同案异罚"
HEADER_ROW = 3  # rows 1–2: title and run line

SUMMARY_HEADER = [
    ("序号", 6),
    ("执法单位", 24),
    ("案号", 24),
    ("案由", 36),
    ("当事人", 20),
    ("程序", 9),
    ("状态", 9),
    ("得分", 7),
    ("等次", 7),
    ("扣分合计", 8),
]
SUMMARY_TAIL = [("否决项", 14), ("扣分项数", 8), ("待人工评查数", 8), ("主要问题", 50), ("文件", 30)]
FINDINGS_HEADER = [
    ("序号", 6),
    ("执法单位", 22),
    ("案号", 22),
    ("规则", 10),
    ("问题", 26),
    ("严重程度", 9),
    ("类别", 14),
    ("扣分（分）", 8),
    ("说明", 50),
    ("依据", 40),
    ("位置", 30),
    ("豁免", 24),
]
AGENCY_HEADER = [
    ("执法单位", 28),
    ("案卷数", 7),
    ("已评查", 7),
    ("无法评查", 8),
    ("合格数", 7),
    ("合格率", 8),
    ("平均分", 7),
    ("否决率", 8),
    ("三项制度执行率", 10),
    ("载明裁量基准比例", 10),
    ("处罚案件", 8),
    ("未处罚案件", 9),
    ("罚款合计（元）", 12),
    ("提示", 26),
]
LIKE_HEADER = [
    ("分组（裁量基准事项、阶次、对象、情形）", 48),
    ("组内案件数", 9),
    ("组中位数（元）", 12),
    ("案号", 24),
    ("执法单位", 24),
    ("罚款（元）", 11),
    ("偏离中位数", 10),
    ("疑似同案异罚", 10),
]
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_TITLE_FONT = Font(bold=True, size=16)
_HEAD_FILL = PatternFill("solid", fgColor="DDE5EE")
_THIN = Side(style="thin", color="B0B8C0")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
PERCENT = "0.0%"


def sheet_title(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name or "（未知单位）")[:31] or "sheet"
    title, n = base, 1
    while title in taken:
        n += 1
        suffix = f"~{n}"
        title = base[: 31 - len(suffix)] + suffix
    return title


class XlsxReport:
    def __init__(self, path: Path, ctx: Any = True):
        from .formats import ReportContext

        if not isinstance(ctx, ReportContext):
            ctx = ReportContext(mask=bool(ctx))
        self.ctx = ctx
        self.path = Path(path)
        self.mask = ctx.mask
        self.categories: list[tuple[str, str]] = list(getattr(ctx, "categories", []) or [])
        self.points = getattr(ctx, "points", None)  # rule code → points of one deduction (profile)
        self.wb = Workbook(write_only=True)
        self.sheets: dict[str, Any] = {}
        self.rows: dict[str, int] = {}
        summary_header = [
            *SUMMARY_HEADER,
            *[(f"{name}扣分", 9) for _, name in self.categories],
            *SUMMARY_TAIL,
        ]
        self.summary = self._sheet(SUMMARY_SHEET, summary_header, "评查结果汇总表")
        self.findings = self._sheet(FINDINGS_SHEET, FINDINGS_HEADER, "问题明细")
        self.summary_width = len(summary_header)

    # -------------------------------------------------------------- sheet plumbing

    def _title(self) -> str:
        return self.ctx.campaign or "应急管理行政处罚案卷评查"

    def _sheet(self, name: str, header: list[tuple[str, int]], caption: str) -> Any:
        sheet = self.wb.create_sheet(name)
        for i, (_, width) in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.freeze_panes = f"A{HEADER_ROW + 1}"
        # write-only: sheet properties are written with the first row, so set them first
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = 9  # A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        last = get_column_letter(len(header))
        title = WriteOnlyCell(sheet, value=f"{self._title()}　{caption}")
        title.font = _TITLE_FONT
        title.alignment = Alignment(horizontal="center", vertical="center")
        sheet.append([title])
        sheet.merged_cells.add(f"A1:{last}1")
        run = WriteOnlyCell(sheet, value=self._run_line())
        run.alignment = Alignment(horizontal="left")
        sheet.append([run])
        sheet.merged_cells.add(f"A2:{last}2")
        cells = []
        for h, _ in header:
            cell = WriteOnlyCell(sheet, value=h)
            cell.font = Font(bold=True)
            cell.fill = _HEAD_FILL
            cell.border = _BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cells.append(cell)
        sheet.append(cells)
        sheet.print_options.horizontalCentered = True
        sheet.page_margins.left = sheet.page_margins.right = 0.4
        sheet.page_margins.top = sheet.page_margins.bottom = 0.6
        sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
        sheet.oddHeader.center.text = self._title()
        self.sheets[name] = (sheet, len(header))
        self.rows[name] = HEADER_ROW
        return sheet

    def _run_line(self) -> str:
        c = self.ctx
        parts = [
            f"评查日期：{c.generated or '—'}",
            f"评查标准：{c.profile or '—'}",
            f"规则版本：{c.rules_version or '—'}",
            f"casereview {c.tool_version}" if c.tool_version else "",
            "身份证号、手机号已脱敏" if c.mask else "",
        ]
        return "　".join(p for p in parts if p)

    def _t(self, value: Any) -> Any:
        if isinstance(value, str) and self.mask:
            return mask_text(value)
        return value

    def _append(self, name: str, values: Any, formats: dict[int, str] | None = None) -> None:
        """Masked values; text that looks like a formula is stored as text (no formula injection)."""
        sheet, _ = self.sheets[name]
        row = []
        for i, value in enumerate(values):
            value = self._t(value)
            if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                value = cell
            elif formats and i in formats and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = formats[i]
                value = cell
            row.append(value)
        sheet.append(row)
        self.rows[name] += 1

    def _file(self, path: str) -> str:
        return self.ctx.display(path)

    # -------------------------------------------------------------- rows

    def add(self, result: CaseResult, index: int) -> None:
        score = result.score
        counts = {
            s: sum(f.severity == s and f.waiver is None for f in result.findings)
            for s in ("veto", "deduct", "review")
        }
        if result.status == "rejected":
            problems = "无法评查：" + "；".join(e.message for e in result.errors)
        else:
            seen: dict[str, str] = {}
            for f in result.findings:
                seen.setdefault(f.code, f"{f.code} {f.title}" + ("（已豁免）" if f.waiver else ""))
            problems = "；".join(seen.values()) or "未发现问题"
        by_category = {c.id: c.deducted for c in score.categories} if score else {}
        row = [
            index + 1,
            result.agency,
            result.case_number,
            result.title,
            result.party,
            result.procedure,
            status_label(result),
            score.score if score else None,
            score.grade if score else None,
            sum(by_category.values()) if score else None,
            *[by_category.get(cid) if score else None for cid, _ in self.categories],
            "、".join(score.veto_codes) if score and score.vetoed else "",
            counts["deduct"],
            counts["review"],
            problems,
            self._file(result.file),
        ]
        self._append(SUMMARY_SHEET, row)
        names = {c.id: c.name for c in score.categories} if score else {}
        for f in result.findings:
            loc = f.location
            points = None
            if f.severity == "deduct" and self.points is not None:
                points = self.points(f.code)
            waiver = f.waiver
            self._append(
                FINDINGS_SHEET,
                (
                    index + 1,
                    result.agency,
                    result.case_number,
                    f.code,
                    f.title,
                    f.severity_label,
                    names.get(f.category, f.category),
                    0 if waiver else points,
                    f.message,
                    "；".join(f.basis),
                    where(self._file(loc.file), loc.line, loc.column, loc.field),
                    f"已豁免：{waiver.reason}（{waiver.approver}，至 {waiver.expires}）" if waiver else "",
                ),
            )
        for e in result.errors:
            self._append(
                FINDINGS_SHEET,
                (
                    index + 1,
                    None,
                    None,
                    "INPUT",
                    "无法评查",
                    "输入有误",
                    None,
                    None,
                    e.message,
                    None,
                    where(self._file(e.file), e.line, e.column, e.field),
                    "",
                ),
            )

    def finish(self, analysis: dict[str, Any] | None = None) -> Path:
        if analysis is not None:
            self._agencies(analysis)
            self._like_cases(analysis)
        for name, (sheet, width) in self.sheets.items():
            sheet.auto_filter.ref = (
                f"A{HEADER_ROW}:{get_column_letter(width)}{max(self.rows[name], HEADER_ROW + 1)}"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.wb.save(self.path)
        return self.path

    def _agencies(self, analysis: dict[str, Any]) -> None:
        self._sheet(AGENCY_SHEET, AGENCY_HEADER, "各单位统计")
        pct = {5: PERCENT, 7: PERCENT, 8: PERCENT, 9: PERCENT, 12: "#,##0"}
        for r in analysis.get("agencies", []):
            signal = "零处罚：只检查不处罚，请关注" if r.get("zero_penalty") else ""
            self._append(
                AGENCY_SHEET,
                (
                    r.get("agency"),
                    r.get("files"),
                    r.get("reviewed"),
                    r.get("rejected"),
                    r.get("passed"),
                    r.get("pass_rate"),
                    r.get("average_score"),
                    r.get("veto_rate"),
                    r.get("three_systems_rate"),
                    r.get("benchmark_stated_rate"),
                    r.get("penalty_cases"),
                    r.get("no_penalty_cases"),
                    r.get("fine_total"),
                    signal,
                ),
                pct,
            )
        c = analysis.get("campaign", {})
        self._append(
            AGENCY_SHEET,
            (
                "合计",
                c.get("files"),
                c.get("reviewed"),
                c.get("rejected"),
                None,
                c.get("pass_rate"),
                c.get("average_score"),
                c.get("veto_rate"),
                c.get("three_systems_rate"),
                c.get("benchmark_stated_rate"),
                c.get("penalty_cases"),
                None,
                None,
                "",
            ),
            pct,
        )

    def _like_cases(self, analysis: dict[str, Any]) -> None:
        self._sheet(LIKE_CASES_SHEET, LIKE_HEADER, "同案异罚（同一裁量基准阶次的罚款比较）")
        lc = analysis.get("like_cases", {})
        outliers = {(o["file"], o["amount"]) for o in lc.get("outliers", [])}
        for g in lc.get("groups", []):
            median = g.get("median") or 0
            for m in g.get("members", []):
                deviation = (m["amount"] - median) / median if median else None
                self._append(
                    LIKE_CASES_SHEET,
                    (
                        g.get("label"),
                        g.get("count"),
                        median,
                        m.get("case_number") or self._file(m.get("file", "")),
                        m.get("agency"),
                        m.get("amount"),
                        deviation,
                        "是" if (m.get("file"), m.get("amount")) in outliers else "",
                    ),
                    {2: "#,##0", 5: "#,##0", 6: "+0%;-0%;0%"},
                )


def write_xlsx(results: list[CaseResult], path: Path, mask: bool = True, ctx: Any = None) -> Path:
    from ..analysis import analyse_results
    from ..score.profile import load_profile
    from .formats import ReportContext

    if ctx is None:
        ctx = ReportContext(mask=mask)
        ctx.use_profile(load_profile(None))
    report = XlsxReport(path, ctx)
    for i, r in enumerate(results):
        report.add(r, i)
    return report.finish(analyse_results(results))
