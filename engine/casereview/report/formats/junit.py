"""`junit`: JUnit XML（CI 测试报告） — rendered once all results are in (the format is one document)."""

from __future__ import annotations

from typing import Any, TextIO

from ...review import CaseResult
from . import ReportContext, Reporter, Sink


class JUnitSink(Sink):
    def __init__(self, out: TextIO, ctx: ReportContext):
        self.out, self.ctx, self.results = out, ctx, []

    def add(self, result: CaseResult, index: int) -> None:
        from ..masking import mask_result

        self.results.append(mask_result(result) if self.ctx.mask else result)

    def finish(self, analysis: dict[str, Any] | None) -> None:
        from ..junit import dumps

        meta = {
            "rules_version": self.ctx.rules_version,
            "tool_version": self.ctx.tool_version,
            "rulebook": self.ctx.rulebook,
            "invocation": self.ctx.invocation,
        }
        self.out.write(dumps(self.results, meta, self.ctx.fail_on) + "\n")


class JUnitReporter(Reporter):
    name = "junit"
    label = "JUnit XML（CI 测试报告）"
    filename = "junit.xml"

    def open(self, out: TextIO, ctx: ReportContext) -> Sink:
        return JUnitSink(out, ctx)


REPORTER = JUnitReporter()
