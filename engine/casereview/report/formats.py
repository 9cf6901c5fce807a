"""Output format registry: one module per format behind one `write` call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from ..review import CaseResult

Writer = Callable[[list[CaseResult], TextIO, dict[str, Any]], None]


def _text(results: list[CaseResult], out: TextIO, meta: dict[str, Any]) -> None:
    from .text import write_case, write_summary

    for result in results:
        write_case(result, out)
    write_summary(results, out)


def _json(results: list[CaseResult], out: TextIO, meta: dict[str, Any]) -> None:
    from ..analysis import analyse_results
    from .json_report import write_stream

    meta = {k: v for k, v in meta.items() if k != "rulebook"}
    meta.setdefault("analysis", analyse_results(results))
    write_stream(results, meta, out)


def _junit(results: list[CaseResult], out: TextIO, meta: dict[str, Any]) -> None:
    from .junit import dumps

    out.write(dumps(results, meta) + "\n")


def _sarif(results: list[CaseResult], out: TextIO, meta: dict[str, Any]) -> None:
    from .sarif import dumps

    out.write(dumps(results, meta) + "\n")


FORMATS: dict[str, Writer] = {"text": _text, "json": _json, "junit": _junit, "sarif": _sarif}
# written only by `casereview review` into its output folder (they are files/folders, not a stream)
FILE_FORMATS = ("html", "xlsx", "json", "junit", "sarif")


def write(name: str, results: list[CaseResult], out: TextIO, meta: dict[str, Any]) -> None:
    if name not in FORMATS:
        raise SystemExit(f"未知的输出格式 {name!r}，可选：{'、'.join(FORMATS)}")
    FORMATS[name](results, out, meta)
