"""`json`: the versioned result document (docs/json-output.md), streamed result by result."""

from __future__ import annotations

import json
from typing import Any, TextIO

from ...review import RESULT_SCHEMA_VERSION, CaseResult, result_json
from . import ReportContext, Reporter, Sink

_UTF8 = ("utf-8", "utf8")
_WRITE_BYTES = 64 * 1024


class JsonSink(Sink):
    """Each result's text is encoded and masked by `prepare`, in the worker that reviewed the
    file, as UTF-8 bytes: the driver only writes them (`needs_result` is False: `add` is given
    no result when `prepared` comes with it)."""

    parallel = True
    needs_result = False

    def __init__(self, out: TextIO, ctx: ReportContext):
        self.out, self.ctx, self.count = out, ctx, 0
        self.head_keys: set[str] | None = None  # the head is written with the first result
        # the results go to the byte stream under the text stream, when there is one
        encoding = (getattr(out, "encoding", None) or "").lower()
        self.raw = getattr(out, "buffer", None) if encoding in _UTF8 else None
        self.pending: list[bytes] = []  # results not yet written: one write per ~64 KB, not per file
        self.pending_bytes = 0

    def prepare(self, result: CaseResult, index: int) -> bytes:
        """The result's JSON (masked unless --no-mask): pydantic's compact encoding
        (`result_json`), which is orjson's encoding of `model_dump(mode="json")`, masked on the text."""
        return self.prepare_stored(result_json(result), index)

    def prepare_stored(self, payload: bytes, index: int) -> bytes:
        """`prepare`'s bytes from the result's stored JSON (`model_dump_json()`, UTF-8); a
        result-cache entry (`cache.StoredResult`) comes with the edits that mask it."""
        from ..masking import mask_payload

        masked = getattr(payload, "masked", None)
        if masked is not None:
            return masked() if self.ctx.mask else bytes(payload)
        return mask_payload(payload) if self.ctx.mask else payload

    def _head(self) -> None:
        """The document's head, written when the first result is taken in (or at the end): a
        review's folder walk has ended by then, and the head lists what it skipped."""
        head = {"schema": "casereview.result", "schema_version": RESULT_SCHEMA_VERSION, **self.ctx.meta()}
        head.pop("analysis", None)
        self.head_keys = set(head)
        text = json.dumps(head, ensure_ascii=False, indent=2)
        self.out.write(text[: text.rindex("}")].rstrip() + ',\n"results": [\n')

    def add(self, result: CaseResult | None, index: int, prepared: bytes | None = None) -> None:
        if prepared is None:
            assert result is not None
            prepared = self.prepare(result, index)
        if self.head_keys is None:
            self._head()
        if self.raw is not None:
            if not self.count:
                self.out.flush()  # the head, written as text, goes first
            else:
                self.pending.append(b",\n")
            self.pending.append(prepared)
            self.pending_bytes += len(prepared)
            if self.pending_bytes >= _WRITE_BYTES:
                self._write_pending()
        else:
            self.out.write((",\n" if self.count else "") + prepared.decode())
        self.count += 1

    def _write_pending(self) -> None:
        if self.pending:
            self.raw.write(b"".join(self.pending))
            self.pending.clear()
            self.pending_bytes = 0

    def finish(self, analysis: dict[str, Any] | None) -> None:
        if self.head_keys is None:
            self._head()
        self._write_pending()
        from ..json_report import write_value

        self.out.write("\n]")
        for key, value in self.ctx.extra.items():  # known only at the end (waiver summary)
            if key not in (self.head_keys or ()) and key != "analysis":
                self.out.write(f",\n{json.dumps(key)}: {json.dumps(value, ensure_ascii=False, default=str)}")
        analysis = analysis if analysis is not None else self.ctx.extra.get("analysis")
        if analysis is not None:
            self.out.write(',\n"analysis": ')
            self.out.flush()  # streamed as UTF-8 bytes (bounded memory at any N), after the text
            write_value(self.raw or _TextOut(self.out), analysis, self.ctx.mask)
        self.out.write("\n}\n")


class _TextOut:
    """A text stream taking `write_value`'s UTF-8 bytes (one not encoding UTF-8: its own encoding)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, data: bytes) -> None:
        self.out.write(data.decode())


class JsonReporter(Reporter):
    name = "json"
    label = "JSON 结果（带 schema_version）"
    filename = "results.json"
    needs_analysis = True

    def open(self, out: TextIO, ctx: ReportContext) -> Sink:
        return JsonSink(out, ctx)


REPORTER = JsonReporter()
