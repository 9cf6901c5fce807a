"""Load → validate: read case files and rosters, reporting bad input in Chinese.

Every problem with an input file raises `InputRejected` (never another exception for bad
input); its `errors` are `InputError`s naming file, line, column and field path, e.g.
``casefiles/a.yaml:12:9 decision.penalties[0].amount：应为整数（元），实际为 '2.5万'``.
Callers reviewing a batch catch `InputRejected` per file and go on.
"""

from __future__ import annotations

from pathlib import Path

from ..model import CaseFile, Roster
from .errors import InputError, InputRejected
from .paths import format_path, parse_path
from .reader import DEFAULT_MAX_BYTES, read_text
from .roster_csv import parse_roster_csv
from .source import CASE_SUFFIXES, SourceDoc, parse_text, read_document
from .validate import validate_case, validate_model, validate_roster
from .yamlpos import DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES

__all__ = [
    "CASE_SUFFIXES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_NODES",
    "InputError",
    "InputRejected",
    "SourceDoc",
    "format_path",
    "load_case",
    "load_roster",
    "parse_path",
    "parse_text",
    "read_document",
    "validate_case",
    "validate_model",
    "validate_roster",
]


def load_case(
    path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES, data: bytes | None = None
) -> tuple[CaseFile, SourceDoc]:
    """Read (unless its bytes are given), parse and validate one case file (YAML or JSON);
    raises `InputRejected`."""
    doc = read_document(path, max_bytes=max_bytes, data=data)
    return validate_case(doc), doc


def load_roster(path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Roster:
    """The certificate roster from YAML/JSON (``certificates: [...]``) or CSV (by suffix)."""
    path = Path(path)
    if path.suffix.lower() in (".csv", ".tsv"):
        decoded = read_text(path, max_bytes=max_bytes)
        try:
            return parse_roster_csv(decoded.text, str(path))
        except InputRejected:
            raise
        except Exception as exc:  # a bug here must not stop a batch
            raise InputRejected(
                [
                    InputError(
                        str(path), None, None, None, f"无法解析文件（内部错误 {type(exc).__name__}：{exc}）"
                    )
                ]
            ) from None
    return validate_roster(read_document(path, max_bytes=max_bytes))
