"""Make a result writable by every report: file names that are not valid UTF-8 or hold control
characters are shown escaped (``\\xff``, ``\\x01``) instead of crashing the HTML, Excel, XML or
JSON writer. Case-file contents need no such step: the loader refuses control characters and
lone surrogates in them (`load.source`)."""

from __future__ import annotations

import re
from typing import Any

from ..review import CaseResult

_BAD = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def display_name(name: str) -> str:
    """A file name as text every writer accepts: undecodable bytes as ``\\xNN``, controls escaped."""
    if not _BAD.search(name):
        return name
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _BAD.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def writable(result: CaseResult) -> CaseResult:
    """`result` unchanged if its file name is clean (the common case: one regex test)."""
    name = result.file
    if not _BAD.search(name):
        return result
    clean = display_name(name)
    data = _replace(result.model_dump(), name, clean)
    fixed = CaseResult.model_validate(data)
    fixed.notes.append("文件名含有无法显示的字符（非 UTF-8 编码或控制字符），报告中以转义形式显示")
    return fixed


def _replace(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        if _BAD.search(value):
            return display_name(value.replace(old, new))
        return value
    if isinstance(value, dict):
        return {k: _replace(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, old, new) for v in value]
    return value
