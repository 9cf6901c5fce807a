"""`json`: the versioned result document (docs/json-output.md), streamed result by result."""

from __future__ import annotations

import json
from typing import Any, TextIO

from ...review import RESULT_SCHEMA_VERSION, CaseResult
from . import ReportContext, Reporter, Sink


class JsonSink(Sink):
    def __init__(self, out: TextIO, ctx: ReportContext):
        self.out, self.ctx, self.count = out, ctx, 0
        head = {"schema": "casereview.result", "schema_version": RESULT_SCHEMA_VERSION, **ctx.meta()}
        head.pop("analysis", None)
        self.head_keys = set(head)
        text = json.dumps(head, ensure_ascii=False, indent=2)
        out.write(text[: text.rindex("}")].rstrip() + ',\n"results": [\n')

    def prepare(self, result: CaseResult, index: int) -> str:
        from ..masking import dumps_masked

        mask = self.ctx.mask
        return dumps_masked(result.model_dump(mode="json")) if mask else result.model_dump_json()

    def add(self, result: CaseResult, index: int, prepared: str | None = None) -> None:
        text = prepared if prepared is not None else self.prepare(result, index)
        self.out.write((",\n" if self.count else "") + text)
        self.count += 1

    def finish(self, analysis: dict[str, Any] | None) -> None:
        from ..json_report import write_value

        self.out.write("\n]")
        for key, value in self.ctx.extra.items():  # known only at the end (waiver summary)
            if key not in self.head_keys and key != "analysis":
                self.out.write(f",\n{json.dumps(key)}: {json.dumps(value, ensure_ascii=False, default=str)}")
        analysis = analysis if analysis is not None else self.ctx.extra.get("analysis")
        if analysis is not None:
            self.out.write(',\n"analysis": ')
            write_value(self.out, analysis, self.ctx.mask)  # streamed: bounded memory at any N
        self.out.write("\n}\n")


class JsonReporter(Reporter):
    name = "json"
    label = "JSON 结果（带 schema_version）"
    filename = "results.json"
    needs_analysis = True

    def open(self, out: TextIO, ctx: ReportContext) -> Sink:
        return JsonSink(out, ctx)


REPORTER = JsonReporter()
