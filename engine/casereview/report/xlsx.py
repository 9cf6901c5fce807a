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

import io
import math
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

from isal import isal_zlib

from ..memo import remember
from ..review import CaseResult
from .labels import status_label
from .location import where
from .masking import mask as mask_text
from .outfile import open_binary

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
PERCENT = "0.0%"


def sheet_title(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name or "（未知单位）")[:31] or "sheet"
    title, n = base, 1
    while title in taken:
        n += 1
        suffix = f"~{n}"
        title = base[: 31 - len(suffix)] + suffix
    return title


ROW = "\x00"  # stands for the row number in a prepared row (never in a cell: not valid XML)
_ROW = ROW.encode()
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")  # not allowed in XML 1.0
_MAX_TEXT = 32767  # Excel's limit on the characters of a cell (openpyxl truncates likewise)
_MADE_MAX = 20_000  # text cells kept for reuse (a few MB at most: ...)
_KEPT_LONGEST = 1000  # ... of texts up to this long; a longer one (a quoted case text) is made again
_ENCODED_MAX = 4 * _MADE_MAX  # encoded cells kept (`XlsxReport._encoded`)


def _illegal(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def _text(text: str) -> str:
    """A string as the content of an inline-text cell (XML-escaped, truncated to Excel's limit)."""
    text = _escape(text[:_MAX_TEXT])
    stripped = text.strip()  # escaping left white space as it was
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    return f"<is><t{space}>{text}</t></is></c>"


def _escape(text: str) -> str:
    """Text as XML character data: control characters (not allowed) shown escaped, & < > as
    entities. Character by character: the escape of two texts joined is their escapes joined."""
    if not text.isprintable() and _ILLEGAL.search(text):  # printable: no control character, no surrogate
        text = _ILLEGAL.sub(_illegal, text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


_EXACT = 2**53  # an integer below this in size is a float exactly, written with all its digits


def _cell(ref: str, value: Any) -> str:
    """One cell as SpreadsheetML, what openpyxl writes for the value (numbers `n`, text inline,
    nothing for None); `ref` is the cell's start, `<c r="A\x00"` with any style attribute."""
    if value is None:
        return ""
    cls = value.__class__
    if cls is str:
        return f'{ref} t="inlineStr" />' if not value else f'{ref} t="inlineStr">{_text(value)}'
    if cls is bool:
        return f'{ref} t="b"><v>{int(value)}</v></c>'
    if cls is int and -_EXACT < value < _EXACT:  # most numbers (counts, points): digits as `.16g` writes them
        return f'{ref} t="n"><v>{value}</v></c>'
    if cls is int or cls is float or isinstance(value, (int, float)):
        text = "" if math.isnan(value) or math.isinf(value) else f"{value:.16g}"
        return f'{ref} t="n"><v>{text}</v></c>'
    return _cell(ref, str(value))


class _Rows:
    """The data rows of one sheet, written as they come to a temporary file (flat memory) and
    put into the workbook by `finish`; numbered rows are written ~1 MB at a time (one write per
    file cost the parent ~6 µs more a file, system calls and buffer copies)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115  (closed by XlsxReport.finish)
        self.count = 0
        self.pending: list[bytes] = []
        self.pending_bytes = 0

    def write(self, rows: list[bytes]) -> None:
        """Append `rows` (UTF-8, the row number left out: `ROW`), numbered."""
        first = HEADER_ROW + 1 + self.count
        for n, row in enumerate(rows, first):
            self.pending.append(row.replace(_ROW, b"%d" % n))
            self.pending_bytes += len(row)
        self.count += len(rows)
        if self.pending_bytes >= _WRITE_BYTES:
            self.flush()

    def flush(self) -> None:
        self.file.write(b"".join(self.pending))
        self.pending.clear()
        self.pending_bytes = 0

    def stored(self) -> Any:
        """The temporary file holding every row written."""
        self.flush()
        return self.file


_WRITE_BYTES = 1 << 20


class XlsxReport:
    """The workbook, streamed: each file's rows are prepared as SpreadsheetML text (in the worker
    that reviewed it when the driver can, `rows`) and appended to a temporary file per sheet;
    `finish` lays out the sheets with openpyxl (titles, headers, styles, print setup, filters)
    and splices the rows in while writing the file. openpyxl's own cell writer costs ~1 ms per row
    in the parent; this costs a few µs."""

    def __init__(self, path: Path, ctx: Any = True):
        from .formats import ReportContext

        if not isinstance(ctx, ReportContext):
            ctx = ReportContext(mask=bool(ctx))
        self.ctx = ctx
        self.path = Path(path)
        self.mask = ctx.mask
        self.categories: list[tuple[str, str]] = list(getattr(ctx, "categories", []) or [])
        self.points = getattr(ctx, "points", None)  # rule code → points of one deduction (profile)
        self.summary_header = [
            *SUMMARY_HEADER,
            *[(f"{name}扣分", 9) for _, name in self.categories],
            *SUMMARY_TAIL,
        ]
        self.summary_width = len(self.summary_header)
        self.data: dict[str, _Rows] = {SUMMARY_SHEET: _Rows(), FINDINGS_SHEET: _Rows()}
        self._made: dict[tuple[str, str], str] = {}  # (cell start, text) → the cell (`_row`)
        # encoded cells made once (one memo, bounded as the four it replaces were together); its keys
        # are of four shapes no two of which can be equal:
        # - (column: int, text) → the text's cell in that column (`_kept`),
        # - (line: int, column, field: str) → a place's cell after the file's name, or None (`_end`),
        # - (code, title, severity, category, points) → a rule's columns of 问题明细 (`rows`),
        # - (grade, *(category, points)) → 汇总表's 等次 to the categories' (`_scored`): a pair (tuple)
        #   second where a rule's key has its title (str)
        self._encoded: dict[tuple[Any, ...], bytes | None] = {}
        tail = 10 + len(self.categories)  # 汇总表's 否决项, the column after the categories'
        self._counts = f'{_REFS[tail + 1]} t="n"><v>%d</v></c>{_REFS[tail + 2]} t="n"><v>%d</v></c>'.encode()
        self._labels: dict[tuple[str, str, bool], str] = {}  # (code, title, not waived) → `_label`

    # -------------------------------------------------------------- sheet plumbing

    def _title(self) -> str:
        return self.ctx.campaign or "应急管理行政处罚案卷评查"

    def _sheet(self, wb: Any, name: str, header: list[tuple[str, int]], caption: str) -> Any:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        sheet = wb.create_sheet(name)
        for i, (_, width) in enumerate(header):
            sheet.column_dimensions[_COLUMNS[i]].width = width
        sheet.freeze_panes = f"A{HEADER_ROW + 1}"
        # write-only: sheet properties are written with the first row, so set them first
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = 9  # A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        last = _COLUMNS[len(header) - 1]
        title = WriteOnlyCell(sheet, value=f"{self._title()}　{caption}")
        title.font = Font(bold=True, size=16)
        title.alignment = Alignment(horizontal="center", vertical="center")
        sheet.append([title])
        sheet.merged_cells.add(f"A1:{last}1")
        run = WriteOnlyCell(sheet, value=self._run_line())
        run.alignment = Alignment(horizontal="left")
        sheet.append([run])
        sheet.merged_cells.add(f"A2:{last}2")
        thin = Side(style="thin", color="B0B8C0")
        border = Border(left=thin, right=thin, top=thin, bottom=thin)
        cells = []
        for h, _ in header:
            cell = WriteOnlyCell(sheet, value=h)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE5EE")
            cell.border = border
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cells.append(cell)
        sheet.append(cells)
        sheet.print_options.horizontalCentered = True
        sheet.page_margins.left = sheet.page_margins.right = 0.4
        sheet.page_margins.top = sheet.page_margins.bottom = 0.6
        sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
        sheet.oddHeader.center.text = self._title()
        return sheet

    def _run_line(self) -> str:
        c = self.ctx
        parts = [
            f"评查日期：{c.generated or '—'}",
            f"评查标准：{c.profile or '—'}",
            f"规则版本：{c.rules_version or '—'}",
            f"casereview {c.tool_version}" if c.tool_version else "",
            "身份证号、手机号已脱敏" if c.mask else "",
            "评查被中断：结果不完整，未评查的文件列为无法评查" if c.extra.get("partial") else "",
        ]
        return "　".join(p for p in parts if p)

    def _row(self, values: Any, styles: dict[int, int] | None = None) -> str:
        """A row of masked values; text that looks like a formula stays text (every string is
        written as text: no formula injection). Most text repeats from row to row (the file's
        agency and case number, rule titles, categories, legal bases): its cell is made once."""
        return f'<row r="{ROW}">{self._cells(values, styles)}</row>'

    def _cells(self, values: Any, styles: dict[int, int] | None = None, start: int = 0) -> str:
        """The cells of `values` (`_row`), the first in column `start`."""
        cells = []
        made = self._made
        for i, value in enumerate(values, start):
            if value is None:
                continue
            ref = _REFS[i] if not styles or i not in styles else f'{_REFS[i]} s="{styles[i]}"'
            if value.__class__ is not str:
                cells.append(_cell(ref, value))
                continue
            key = (ref, value)
            cell = made.get(key)
            if cell is None:
                masked = mask_text(value) if self.mask and len(value) >= 11 else value  # shorter: no ID
                # bounded: the unique texts (messages) come and go
                cell = remember(made, key, _cell(ref, masked), _MADE_MAX)
            cells.append(cell)
        return "".join(cells)

    def _file(self, path: str) -> str:
        return self.ctx.display(path)

    # -------------------------------------------------------------- rows

    def rows(self, result: CaseResult, index: int) -> tuple[bytes, list[bytes]]:
        """The summary row and the detail rows of one file, ready to write (`add`): encoded
        where they are made (in the worker), so the parent only numbers and writes them. Rows
        are joined from encoded cells: a repeated cell is encoded once (`_kept`, the rule's
        columns), only the file's own texts each time (encoding whole rows of Chinese text was
        ~13 % of the work)."""
        score = result.score
        masked = self.mask
        tail = len(self.summary_header) - 2  # 主要问题, then 文件
        file = result.file
        shown = self._file(file)
        kept = self._kept
        # the file's columns, on each of its rows
        head = _NUMBER % (index + 1) + kept(1, result.agency) + _own_cell(2, result.case_number, masked)
        names = {c.id: c.name for c in score.categories} if score else {}
        name = self._name(shown)
        points = self.points
        encoded = self._encoded
        deducts = reviews = 0  # findings not waived
        seen: dict[str, str] = {}  # a rule's code → its label (`_label`), as its first finding gives it
        labels = self._labels
        details = []
        for f in result.findings:
            code, title, severity, waiver = f.code, f.title, f.severity, f.waiver
            if waiver is None:
                if severity == "deduct":
                    deducts += 1
                elif severity == "review":
                    reviews += 1
            if code not in seen:
                active = waiver is None
                seen[code] = labels.get((code, title, active)) or self._label(code, title, active)
            # the rule's columns are the same on every row of that rule in every file: made once
            rule = (
                code,
                title,
                f.severity_label,
                names.get(f.category, f.category),
                0 if waiver else points(code) if severity == "deduct" and points is not None else None,
            )
            cells = encoded.get(rule)
            if cells is None:
                cells = remember(encoded, rule, self._cells(rule, start=3).encode(), _ENCODED_MAX)
            loc = f.location
            line = loc.line
            if name is not None and line and loc.file == file:
                end = encoded.get((line, loc.column, loc.field)) or self._end(line, loc.column, loc.field)
            else:
                end = None
            if end is not None:  # most places: where(shown, …) is `shown` + `where("", …)`
                place = b"".join((_PLACE, name, end))
            else:
                place = _own_cell(10, where(self._file(loc.file), line, loc.column, loc.field), masked)
            if waiver:
                note = f"已豁免：{waiver.reason}（{waiver.approver}，至 {waiver.expires}）"
                note = _own_cell(11, note, masked)
            else:
                note = _NOT_WAIVED
            # a message recurs (a rule's message with the same values): kept; a place is made of
            # the file's name and the rest of the place (`_name`, `_end`)
            details.append(
                b"".join(
                    (
                        _ROW_START,
                        head,
                        cells,
                        kept(8, f.message),
                        kept(9, "；".join(f.basis)),
                        place,
                        note,
                        _ROW_END,
                    )
                )
            )
        if result.status == "rejected":
            problems = _own_cell(tail, "无法评查：" + "；".join(e.message for e in result.errors), masked)
        else:  # masking cannot run across "；": the labels masked are the list masked
            problems = _own_cell(tail, "；".join(seen.values()) or "未发现问题", False)
        if score:
            # 等次 to the categories' points recur (a few combinations of points deducted): made once
            key = (score.grade, *[(c.id, c.deducted) for c in score.categories])
            scored = _cell(_REFS[7], score.score).encode() + (self._encoded.get(key) or self._scored(key))
            scored += kept(tail - 3, "、".join(score.veto_codes) if score.vetoed else "")
        else:
            scored = kept(tail - 3, "")  # 否决项 alone
        counts = self._counts % (deducts, reviews)
        summary = b"".join(
            (
                _ROW_START,
                head,
                kept(3, result.title),
                kept(4, result.party),
                kept(5, result.procedure),
                kept(6, status_label(result)),
                scored,
                counts,
                problems,
                _own_cell(tail + 1, shown, masked),
                _ROW_END,
            )
        )
        for e in result.errors:
            row = (index + 1, None, None, "INPUT", "无法评查", "输入有误", None, None, e.message, None)
            place = where(self._file(e.file), e.line, e.column, e.field)
            details.append(self._row((*row, place, "")).encode())
        return summary, details

    def _scored(self, key: tuple[Any, ...]) -> bytes:
        """汇总表's cells 等次 to the last category's points of (grade, *(category, points))."""
        grade, *pairs = key
        by_category = dict(pairs)
        cells = (grade, sum(by_category.values()), *[by_category.get(cid) for cid, _ in self.categories])
        scored = self._cells(cells, start=8).encode()
        remember(self._encoded, key, scored, _ENCODED_MAX)
        return scored

    def _label(self, code: str, title: str, active: bool) -> str:
        """A rule as 主要问题 lists it, masked (kept: the same rules recur in every file)."""
        label = f"{code} {title}" if active else f"{code} {title}（已豁免）"
        label = mask_text(label) if self.mask else label
        return remember(self._labels, (code, title, active), label, _MADE_MAX)

    def _name(self, shown: str) -> bytes | None:
        """The file's name as it starts each place's cell (位置), masked and escaped; None when
        its places are made whole (no name, white space first, too long)."""
        if not shown or len(shown) > _MAX_TEXT // 2:
            return None
        name = _escape(mask_text(shown) if self.mask and len(shown) >= 11 else shown)
        return None if name[0].isspace() else name.encode()

    def _end(self, line: int, column: int | None, field: str) -> bytes | None:
        """The rest of a place's cell after the file's name (`_name`): `:line:column field`,
        masked and escaped on its own — ":" cannot be part of a personal number, so masking
        the name and this apart is masking them joined; None when the place is made whole (white
        space last, too long). Kept: the same places recur in every file."""
        end = where("", line, column, field)
        if len(end) > _MAX_TEXT // 2:
            return None
        end = _escape(mask_text(end) if self.mask and len(end) >= 11 else end)
        cell = None if end[-1].isspace() else f"{end}</t></is></c>".encode()
        return remember(self._encoded, (line, column, field), cell, _ENCODED_MAX)

    def _kept(self, column: int, value: str | None) -> bytes:
        """The encoded cell of a text repeated from file to file (agency, procedure, status,
        legal basis) in `column`: made once."""
        cell = self._encoded.get((column, value))
        if cell is None:
            cell = _own_cell(column, value, self.mask)
            if value is None or len(value) <= _KEPT_LONGEST:
                remember(self._encoded, (column, value), cell, _ENCODED_MAX)
        return cell

    def add(
        self, result: CaseResult | None, index: int, prepared: tuple[bytes, list[bytes]] | None = None
    ) -> None:
        summary, details = prepared if prepared is not None else self.rows(result, index)
        if not self.data[SUMMARY_SHEET].count:
            # openpyxl, which only `finish` uses (~55 ms of imports), is imported with the first
            # file's rows, while the workers review, not before they start (one core idle)
            import openpyxl  # noqa: F401
        self.data[SUMMARY_SHEET].write([summary])
        self.data[FINDINGS_SHEET].write(details)

    def finish(self, analysis: dict[str, Any] | None = None) -> Path:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        sheets = [
            (SUMMARY_SHEET, self._sheet(wb, SUMMARY_SHEET, self.summary_header, "评查结果汇总表")),
            (FINDINGS_SHEET, self._sheet(wb, FINDINGS_SHEET, FINDINGS_HEADER, "问题明细")),
        ]
        widths = {SUMMARY_SHEET: self.summary_width, FINDINGS_SHEET: len(FINDINGS_HEADER)}
        if analysis is not None:
            sheet = self._sheet(wb, AGENCY_SHEET, AGENCY_HEADER, "各单位统计")
            self.data[AGENCY_SHEET] = self._agencies(analysis, sheet)
            sheets.append((AGENCY_SHEET, sheet))
            sheet = self._sheet(wb, LIKE_CASES_SHEET, LIKE_HEADER, "同案异罚（同一裁量基准阶次的罚款比较）")
            self.data[LIKE_CASES_SHEET] = self._like_cases(analysis, sheet)
            sheets.append((LIKE_CASES_SHEET, sheet))
            widths |= {AGENCY_SHEET: len(AGENCY_HEADER), LIKE_CASES_SHEET: len(LIKE_HEADER)}
        for name, sheet in sheets:
            last = max(HEADER_ROW + self.data[name].count, HEADER_ROW + 1)
            sheet.auto_filter.ref = f"A{HEADER_ROW}:{_COLUMNS[widths[name] - 1]}{last}"
        layout = io.BytesIO()  # the sheets without their data rows: small
        wb.save(layout)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp")  # never a truncated workbook
        try:
            stored = {sheet.path.lstrip("/"): self.data[name].stored() for name, sheet in sheets}
            _splice(layout, stored, temporary)
            os.replace(temporary, self.path)
        finally:
            temporary.unlink(missing_ok=True)
            for rows in self.data.values():
                rows.file.close()
        return self.path

    def _styles(self, sheet: Any, formats: dict[int, str]) -> dict[int, int]:
        """Column → the workbook's style id for its number format (registered through openpyxl)."""
        from openpyxl.cell import WriteOnlyCell

        ids = {}
        for column, number_format in formats.items():
            cell = WriteOnlyCell(sheet, value=0)
            cell.number_format = number_format
            ids[column] = cell.style_id
        return ids

    def _agencies(self, analysis: dict[str, Any], sheet: Any) -> _Rows:
        rows = _Rows()
        pct = self._styles(sheet, {5: PERCENT, 7: PERCENT, 8: PERCENT, 9: PERCENT, 12: "#,##0"})
        for r in analysis.get("agencies", []):
            signal = "零处罚：只检查不处罚，请关注" if r.get("zero_penalty") else ""
            values = (
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
            )
            rows.write([self._row(values, pct).encode()])
        c = analysis.get("campaign", {})
        total = (
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
        )
        rows.write([self._row(total, pct).encode()])
        return rows

    def _like_cases(self, analysis: dict[str, Any], sheet: Any) -> _Rows:
        rows = _Rows()
        styles = self._styles(sheet, {2: "#,##0", 5: "#,##0", 6: "+0%;-0%;0%"})
        lc = analysis.get("like_cases", {})
        outliers = {(o["file"], o["amount"]) for o in lc.get("outliers", [])}
        for g in lc.get("groups", []):
            median = g.get("median") or 0
            group = self._cells((g.get("label"), g.get("count"), median), styles)  # on each member's row
            batch = []
            for m in g.get("members", []):
                deviation = (m["amount"] - median) / median if median else None
                member = (
                    m.get("case_number") or self._file(m.get("file", "")),
                    m.get("agency"),
                    m.get("amount"),
                    deviation,
                    "是" if (m.get("file"), m.get("amount")) in outliers else "",
                )
                batch.append(f'<row r="{ROW}">{group}{self._cells(member, styles, start=3)}</row>'.encode())
            rows.write(batch)
        return rows


def _column_letters(number: int) -> str:
    """A column's letters (1 → A, 27 → AA), as openpyxl's `get_column_letter` names it: the
    workers make rows without importing openpyxl (~55 ms), the parent only to lay out."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_COLUMNS = [_column_letters(i) for i in range(1, 64)]
_REFS = [f'<c r="{column}{ROW}"' for column in _COLUMNS]
_NOT_WAIVED = _cell(_REFS[11], "").encode()  # 问题明细's 豁免 of a finding not waived
_NUMBER = f'{_REFS[0]} t="n"><v>%d</v></c>'.encode()  # 序号, the first cell of a file's rows
_ROW_START = f'<row r="{ROW}">'.encode()
_ROW_END = b"</row>"
_PLACE = f'{_REFS[10]} t="inlineStr"><is><t>'.encode()  # 问题明细's 位置, before the file's name


def _own_cell(column: int, value: Any, masked: bool) -> bytes:
    """The encoded cell of `value` in `column` of a prepared row (`_cells` of it, not kept)."""
    if masked and value.__class__ is str and len(value) >= 11:
        value = mask_text(value)
    return _cell(_REFS[column], value).encode()


# The sheets' rows (~86 MB of XML per 10,000 files) are deflated by ISA-L (python-isal): 0.07 s
# of CPU where zlib at level 3 took 0.34 s, for a file ~10 % larger; the workbook was the longest
# branch of the review's last second (the summary pages and the JSON document are finished beside
# it). ISA-L's levels are 0-3: 2 is as fast as 1 here and a little smaller. The small parts
# openpyxl lays out are deflated by zipfile (zlib) at level 3.
_ROWS_LEVEL = 2
_DEFLATE_LEVEL = 3


def _splice(layout: io.BytesIO, rows: dict[str, Any], target: Path) -> None:
    """Write the workbook `layout` (openpyxl's, header rows only) to `target` with each sheet's
    stored rows inserted at the end of its sheetData; the rows are streamed, never held whole."""
    with (
        zipfile.ZipFile(layout) as source,
        open_binary(target) as file,  # never through a link left in the output folder
        zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED, compresslevel=_DEFLATE_LEVEL) as out,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            stored = rows.get(info.filename)
            if stored is None:
                out.writestr(info, data)
                continue
            head, end, tail = data.partition(b"</sheetData>")
            if not end:
                raise ValueError(f"{info.filename}: no sheetData")  # openpyxl always writes one
            stored.seek(0)
            with out.open(info.filename, "w", force_zip64=True) as part:
                # zipfile deflates through this object (its only hook for another deflate)
                part._compressor = isal_zlib.compressobj(_ROWS_LEVEL, zlib.DEFLATED, -15)
                part.write(head)
                shutil.copyfileobj(stored, part, 1 << 20)
                part.write(end + tail)


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
