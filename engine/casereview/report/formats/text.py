"""`text`: the terminal report (Chinese), one block per file and a summary line."""

from __future__ import annotations

from typing import Any, TextIO

from ...review import CaseResult
from . import ReportContext, Reporter, Sink


class TextSink(Sink):
    def __init__(self, out: TextIO, ctx: ReportContext):
        from ..text import TextWriter

        self.writer = TextWriter(out, ctx)

    def add(self, result: CaseResult, index: int, prepared: Any = None) -> None:
        from ..masking import mask_result

        ctx = self.writer.ctx
        self.writer.case(mask_result(result) if ctx is not None and ctx.mask else result)

    def finish(self, analysis: dict[str, Any] | None) -> None:
        self.writer.summary()


class TextReporter(Reporter):
    name = "text"
    label = "终端文本"
    filename = "评查结果.txt"

    def open(self, out: TextIO, ctx: ReportContext) -> Sink:
        return TextSink(out, ctx)


REPORTER = TextReporter()
