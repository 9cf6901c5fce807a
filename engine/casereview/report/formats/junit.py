"""`junit`: JUnit XML（CI 测试报告） — rendered once all results are in (the format is one document)."""

from __future__ import annotations

from typing import TextIO

from . import DocumentSink, ReportContext, Reporter, Sink


class JUnitReporter(Reporter):
    name = "junit"
    label = "JUnit XML（CI 测试报告）"
    filename = "junit.xml"

    def open(self, out: TextIO, ctx: ReportContext) -> Sink:
        from ..junit import dumps

        return DocumentSink(out, ctx, dumps)


REPORTER = JUnitReporter()
