"""`sarif`: SARIF 2.1.0（代码扫描） — rendered once all results are in (the format is one document)."""

from __future__ import annotations

from typing import Any, TextIO

from ...review import CaseResult
from . import ReportContext, Reporter, Sink


class SarifSink(Sink):
    def __init__(self, out: TextIO, ctx: ReportContext):
        self.out, self.ctx, self.results = out, ctx, []

    def add(self, result: CaseResult, index: int) -> None:
        from ..masking import mask_result

        self.results.append(mask_result(result) if self.ctx.mask else result)

    def finish(self, analysis: dict[str, Any] | None) -> None:
        from ..sarif import dumps

        meta = {
            "rules_version": self.ctx.rules_version,
            "tool_version": self.ctx.tool_version,
            "rulebook": self.ctx.rulebook,
            "invocation": self.ctx.invocation,
        }
        self.out.write(dumps(self.results, meta, self.ctx.fail_on) + "\n")


class SarifReporter(Reporter):
    name = "sarif"
    label = "SARIF 2.1.0（代码扫描）"
    filename = "results.sarif"

    def open(self, out: TextIO, ctx: ReportContext) -> Sink:
        return SarifSink(out, ctx)


REPORTER = SarifReporter()
