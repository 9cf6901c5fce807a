"""`xlsx`: the Excel workbook 评查结果.xlsx, ready for a 通报."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from ...review import CaseResult
from . import ReportContext, Reporter, Sink


class XlsxSink(Sink):
    parallel = True
    threaded_finish = True  # most of finishing is deflating the rows (zlib releases the GIL)
    needs_result = False  # `add` writes the rows `prepare` made

    def __init__(self, path: Path, ctx: ReportContext):
        from ..xlsx import XlsxReport

        self.report = XlsxReport(path, ctx)

    def prepare(self, result: CaseResult, index: int) -> tuple[bytes, list[bytes]]:
        return self.report.rows(result, index)

    def add(
        self, result: CaseResult | None, index: int, prepared: tuple[bytes, list[bytes]] | None = None
    ) -> None:
        self.report.add(result, index, prepared)

    def finish(self, analysis: dict[str, Any] | None) -> None:
        self.report.finish(analysis)


class XlsxReporter(Reporter):
    name = "xlsx"
    label = "Excel 评查结果（评查结果.xlsx）"
    filename = "评查结果.xlsx"
    binary = True
    needs_analysis = True

    def open(self, out: TextIO, ctx: ReportContext) -> Sink:
        raise ValueError("Excel 是二进制文件，请用 --output-file 或 review -o 指定文件")

    def open_path(self, path: Path, ctx: ReportContext) -> Sink:
        return XlsxSink(Path(path), ctx)


REPORTER = XlsxReporter()
