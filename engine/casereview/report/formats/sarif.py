"""`sarif`: SARIF 2.1.0（代码扫描） — rendered once all results are in (the format is one document)."""

from __future__ import annotations

from typing import TextIO

from . import DocumentSink, ReportContext, Reporter, Sink


class SarifReporter(Reporter):
    name = "sarif"
    label = "SARIF 2.1.0（代码扫描）"
    filename = "results.sarif"

    def open(self, out: TextIO, ctx: ReportContext) -> Sink:
        from ..sarif import dumps

        return DocumentSink(out, ctx, dumps)


REPORTER = SarifReporter()
