"""Excel workbook (openpyxl, write-only so rows stream): 评查结果汇总表, 问题明细, one sheet per agency."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from ..review import CaseResult
from .masking import mask as mask_text

SUMMARY_SHEET = "评查结果汇总表"
FINDINGS_SHEET = "问题明细"
SUMMARY_HEADER = [
    "序号",
    "执法单位",
    "案号",
    "案由",
    "当事人",
    "程序",
    "状态",
    "得分",
    "等次",
    "否决项数",
    "扣分项数",
    "待人工评查数",
    "主要问题",
    "文件",
]
FINDINGS_HEADER = [
    "序号",
    "执法单位",
    "案号",
    "规则",
    "问题",
    "严重程度",
    "类别",
    "说明",
    "依据",
    "文件",
    "行",
    "列",
    "字段",
]
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


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
        self.wb = Workbook(write_only=True)
        self.summary = self.wb.create_sheet(SUMMARY_SHEET)
        self.findings = self.wb.create_sheet(FINDINGS_SHEET)
        self.agencies: dict[str, Any] = {}
        self._titles = {SUMMARY_SHEET, FINDINGS_SHEET}
        for sheet, header, widths in (
            (self.summary, SUMMARY_HEADER, [6, 26, 24, 40, 24, 10, 8, 8, 8, 8, 8, 10, 60, 40]),
            (self.findings, FINDINGS_HEADER, [6, 26, 24, 10, 28, 10, 14, 60, 50, 40, 6, 6, 20]),
        ):
            self._header(sheet, header, widths)

    def _header(self, sheet: Any, header: list[str], widths: list[int]) -> None:
        from openpyxl.utils import get_column_letter

        for i, w in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = w
        sheet.freeze_panes = "A2"
        cells = []
        for h in header:
            cell = WriteOnlyCell(sheet, value=h)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE5EE")
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            cells.append(cell)
        sheet.append(cells)

    def _t(self, value: Any) -> Any:
        if isinstance(value, str) and self.mask:
            return mask_text(value)
        return value

    def _row(self, sheet: Any, values: Any) -> list[Any]:
        """Masked values; text that looks like a formula is stored as text (no formula injection)."""
        row = []
        for value in values:
            value = self._t(value)
            if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                value = cell
            row.append(value)
        return row

    def add(self, result: CaseResult, index: int) -> None:
        score = result.score
        counts = {s: sum(f.severity == s for f in result.findings) for s in ("veto", "deduct", "review")}
        if result.status == "rejected":
            problems = "无法评查：" + "；".join(e.message for e in result.errors)
        else:
            seen: dict[str, str] = {}
            for f in result.findings:
                seen.setdefault(f.code, f"{f.code} {f.title}")
            problems = "；".join(seen.values()) or "未发现问题"
        row = [
            index + 1,
            result.agency,
            result.case_number,
            result.title,
            result.party,
            result.procedure,
            "已评查" if result.status == "reviewed" else "无法评查",
            score.score if score else None,
            score.grade if score else None,
            counts["veto"],
            counts["deduct"],
            counts["review"],
            problems,
            result.file,
        ]
        self.summary.append(self._row(self.summary, row))
        agency = result.agency or "（无法评查的文件）"
        if agency not in self.agencies:
            title = sheet_title(agency, self._titles)
            self._titles.add(title)
            sheet = self.wb.create_sheet(title)
            self._header(sheet, SUMMARY_HEADER, [6, 26, 24, 40, 24, 10, 8, 8, 8, 8, 8, 10, 60, 40])
            self.agencies[agency] = sheet
        self.agencies[agency].append(self._row(self.agencies[agency], row))
        for f in result.findings:
            loc = f.location
            self.findings.append(
                self._row(
                    self.findings,
                    (
                        index + 1,
                        result.agency,
                        result.case_number,
                        f.code,
                        f.title,
                        f.severity_label,
                        f.category,
                        f.message,
                        "；".join(f.basis),
                        loc.file,
                        loc.line,
                        loc.column,
                        loc.field,
                    ),
                )
            )
        for e in result.errors:
            self.findings.append(
                self._row(
                    self.findings,
                    (
                        index + 1,
                        None,
                        None,
                        "INPUT",
                        "无法评查",
                        "输入有误",
                        None,
                        e.message,
                        None,
                        e.file,
                        e.line,
                        e.column,
                        e.field,
                    ),
                )
            )

    def finish(self, analysis: dict[str, Any] | None = None) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.wb.save(self.path)
        return self.path


def write_xlsx(results: list[CaseResult], path: Path, mask: bool = True) -> Path:
    report = XlsxReport(path, mask)
    for i, r in enumerate(results):
        report.add(r, i)
    return report.finish()
