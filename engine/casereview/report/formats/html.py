"""`html`: the offline report folder (index.html, cases/<n>.html, style.css) for reviewers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ...review import CaseResult
from . import ReportContext, Reporter, Sink

if TYPE_CHECKING:  # imported where used: every command loads the formats (a cold `check` too)
    from ...analysis import BatchAnalysis


class HtmlSink(Sink):
    parallel = True
    needs_result = False  # the summary pages need only each file's row, made by `prepare`
    forked_finish = True  # the summary pages are rendered (GIL-bound) and written by a child

    def __init__(self, folder: Path, ctx: ReportContext):
        from ..html import HtmlReport

        self.report = HtmlReport(folder, ctx)
        self.rows: list[tuple[Any, ...]] = []
        self.batch: BatchAnalysis | None = None  # the analysis of the results added here (for `finish(None)`)

    def prepare(self, result: CaseResult, index: int) -> Any:
        """Writes the case page (in the worker that reviewed the file); the file's row for the
        summary pages, naming the page, comes back (`html.summary_row`)."""
        return self.report.add(result, index)

    def add(self, result: CaseResult | None, index: int, prepared: Any = None) -> None:
        if prepared is None:
            assert result is not None
            prepared = self.prepare(result, index)
            if self.batch is None:
                from ...analysis import BatchAnalysis

                self.batch = BatchAnalysis()
            self.batch.add_entry(self.batch.entry_of(result))
        self.rows.append(prepared)

    def finish(self, analysis: dict[str, Any] | None) -> None:
        if analysis is None:  # only a caller that added the results themselves may leave it out
            assert self.batch is not None or not self.rows, "HtmlSink.finish needs the batch analysis"
            from ...analysis import BatchAnalysis

            analysis = (self.batch or BatchAnalysis()).result()
        self.report.finish(self.rows, analysis)


class HtmlReporter(Reporter):
    name = "html"
    label = "HTML 评查报告（文件夹：index.html 与逐案页面）"
    filename = "index.html"
    stream = False
    needs_analysis = True

    def open(self, out: TextIO, ctx: ReportContext) -> Sink:
        raise ValueError("HTML 报告是一个文件夹，请用 review -o 输出文件夹")

    def open_path(self, path: Path, ctx: ReportContext) -> Sink:
        return HtmlSink(Path(path).parent, ctx)

    def open_folder(self, folder: Path, ctx: ReportContext) -> Sink:
        return HtmlSink(Path(folder), ctx)


REPORTER = HtmlReporter()
