"""Parse JSON to plain Python data; positions are computed lazily, only when needed.

The fast path is ``json.loads`` (with a hook that only notices duplicate keys). When a
position is needed (a validation error, a finding to locate, a duplicate key to report),
`json_positions` re-scans the text with a small tokenizer; it uses the same conventions
as the YAML side: a mapping entry is at its key, a list item at the item, the root at ``()``.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import Any

from .errors import InputError, InputRejected
from .paths import FieldPath, format_path

Positions = dict[FieldPath, tuple[int, int]]

_TOKEN = re.compile(r'[ \t\n\r]*(?:([{}\[\]:,])|("(?:[^"\\]|\\.)*")|([^ \t\n\r{}\[\]:,"]+))', re.S)


class _Duplicate(Exception):
    pass


def parse_json(text: str, file: str) -> Any:
    """Parse a JSON document or raise `InputRejected` (syntax errors, duplicate keys)."""
    duplicates: list[bool] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            duplicates.append(True)
        return obj

    def bad_constant(name: str) -> Any:
        raise ValueError(f"JSON 中不允许 {name}")

    try:
        data = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=bad_constant)
    except json.JSONDecodeError as exc:
        raise InputRejected([InputError(file, exc.lineno, exc.colno, None, _json_message(exc))]) from None
    except RecursionError:
        raise InputRejected([InputError(file, None, None, None, "嵌套层级过深，拒绝处理")]) from None
    except ValueError as exc:  # NaN/Infinity, integers too long to convert
        raise InputRejected([InputError(file, None, None, None, f"JSON 数值无效：{exc}")]) from None
    if duplicates:
        _, found = json_positions(text)
        raise InputRejected(
            [
                InputError(
                    file,
                    line,
                    column,
                    format_path(path),
                    f"键 {path[-1]!r} 重复出现（第 {first} 行和第 {line} 行），请只保留一个",
                )
                for path, first, line, column in found
            ]
            or [InputError(file, None, None, None, "JSON 对象中有重复的键")]
        )
    return data


def json_positions(text: str) -> tuple[Positions, list[tuple[FieldPath, int, int, int]]]:
    """Positions of every value in valid JSON `text`, and duplicate keys as
    ``(path, first line, line, column)``."""
    line_starts = [0]
    line_starts.extend(m.end() for m in re.finditer("\n", text))

    def where(offset: int) -> tuple[int, int]:
        line = bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    positions: Positions = {}
    duplicates: list[tuple[FieldPath, int, int, int]] = []
    # Frames: [path, is_object, next index or current key, seen keys {key: line}, key position]
    stack: list[list[Any]] = []
    expect_key = False
    pos = 0
    end = len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            break
        pos = match.end()
        punct, string, literal = match.groups()
        start = match.start(1) if punct else match.start(2) if string else match.start(3)
        if punct in (",", ":"):
            if punct == "," and stack and stack[-1][1]:
                expect_key = True
            continue
        if punct in ("}", "]"):
            stack.pop()
            expect_key = False
            continue
        if expect_key:  # an object key (a string)
            key = json.loads(string) if string else literal
            frame = stack[-1]
            line, column = where(start)
            path = (*frame[0], key)
            if key in frame[3]:
                duplicates.append((path, frame[3][key], line, column))
            else:
                frame[3][key] = line
            frame[2] = key
            frame[4] = (line, column)
            expect_key = False
            continue
        # A value: where is it?
        if not stack:
            path, at = (), where(start)
        elif stack[-1][1]:
            path, at = (*stack[-1][0], stack[-1][2]), stack[-1][4]
        else:
            path, at = (*stack[-1][0], stack[-1][2]), where(start)
            stack[-1][2] += 1
        positions[path] = at
        if punct == "{":
            stack.append([path, True, None, {}, at])
            expect_key = True
        elif punct == "[":
            stack.append([path, False, 0, None, at])
    return positions, duplicates


_JSON_HINTS = {
    "Expecting property name enclosed in double quotes": "键必须用英文双引号括起来（或多了一个逗号）",
    "Expecting ',' delimiter": "缺少英文逗号“,”",
    "Expecting ':' delimiter": "缺少英文冒号“:”",
    "Expecting value": "此处缺少值（或多了一个逗号、使用了中文标点）",
    "Unterminated string starting at": "字符串缺少结束的双引号",
    "Invalid control character at": "字符串中有未转义的控制字符（如换行，请写作 \\n）",
    "Invalid \\escape": "无效的转义符（反斜杠 \\ 需写作 \\\\）",
    "Extra data": "JSON 结束后还有多余内容",
}


def _json_message(exc: json.JSONDecodeError) -> str:
    hint = next((h for key, h in _JSON_HINTS.items() if exc.msg.startswith(key)), None)
    return f"JSON 语法错误：{hint}（{exc.msg}）" if hint else f"JSON 语法错误（{exc.msg}）"
