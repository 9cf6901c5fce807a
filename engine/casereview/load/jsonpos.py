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

# One value of a JSON text: a string (its contents, then its colon and the member's value if
# it is an object member's key) or an opening bracket or a number, true, false or null; then
# the closing brackets that follow it, white space and a comma, so that each match starts
# where the previous one ended. Strings are runs of ordinary characters between escapes, and
# every repetition is possessive: no backtracking, which the engine does much faster.
_STRING = r'[^"\\]*+(?:\\.[^"\\]*+)*+'
_SPACE = r"[ \t\n\r]*+"
_LITERAL = r'[^ \t\n\r{}\[\]:,"]++'
_VALUES = re.compile(
    rf'(?:"({_STRING})"(?:{_SPACE}(:){_SPACE}(?:([{{\[])|"{_STRING}"|{_LITERAL}))?|([{{\[])|{_LITERAL})'
    rf"((?:{_SPACE}[}}\]])++)?{_SPACE},?{_SPACE}"
)


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
        line, column = _constant_position(text)
        raise InputRejected([InputError(file, line, column, None, f"JSON 数值无效：{exc}")]) from None
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


_WHITE = re.compile(r"[ \t\n\r]*+")
_MEMBER_KEY = re.compile(rf'"({_STRING})"{_SPACE}:{_SPACE}')
_skip_value = json.JSONDecoder().raw_decode  # parses one value in C: how a value is skipped


class JsonLocator:
    """(line, column) of fields of valid JSON `text`, as `json_positions` records them, found by
    walking down to each field: the objects and arrays on the way are indexed once (their
    members skipped by the C decoder), everything beside the path is never visited. A file
    whose findings point at a few fields is not scanned value by value."""

    def __init__(self, text: str):
        self.text = text
        self._root = _WHITE.match(text).end()
        # container offset -> {key: (key offset, value offset)} or [item offsets]
        self._members: dict[int, dict[str, tuple[int, int]]] = {}
        self._items: dict[int, list[int]] = {}

    def locate(self, path: FieldPath) -> tuple[int, int]:
        """Where the deepest prefix of `path` present in the text is (the root at least)."""
        text, at = self.text, self._root  # `at`: where the current value starts
        found = at
        for step in path:
            opener = text[at]
            if opener == "{" and isinstance(step, str):
                place = self._object(at).get(step)
                if place is None:
                    break
                found, at = place
            elif opener == "[" and isinstance(step, int) and not isinstance(step, bool):
                items = self._array(at)
                if not 0 <= step < len(items):
                    break
                found = at = items[step]
            else:
                break
        return text.count("\n", 0, found) + 1, found - (text.rfind("\n", 0, found) + 1) + 1

    def _object(self, at: int) -> dict[str, tuple[int, int]]:
        members = self._members.get(at)
        if members is None:
            text, members = self.text, {}
            here = _WHITE.match(text, at + 1).end()
            while text[here] != "}":
                match = _MEMBER_KEY.match(text, here)
                name = match.group(1)
                if "\\" in name:
                    name = json.loads(f'"{name}"')
                members[name] = (here, match.end())
                here = self._next(_skip_value(text, match.end())[1])
            self._members[at] = members
        return members

    def _array(self, at: int) -> list[int]:
        items = self._items.get(at)
        if items is None:
            text, items = self.text, []
            here = _WHITE.match(text, at + 1).end()
            while text[here] != "]":
                items.append(here)
                here = self._next(_skip_value(text, here)[1])
            self._items[at] = items
        return items

    def _next(self, end: int) -> int:
        """From the end of a value, past white space and a comma, to the next value or closer."""
        text = self.text
        here = _WHITE.match(text, end).end()
        if text[here] == ",":
            here = _WHITE.match(text, here + 1).end()
        return here


def json_locate(text: str, path: FieldPath) -> tuple[int, int]:
    """`JsonLocator(text).locate(path)`: one field of a JSON text, located alone."""
    return JsonLocator(text).locate(path)


def json_positions(text: str) -> tuple[Positions, list[tuple[FieldPath, int, int, int]]]:
    """Positions of every value in valid JSON `text`, and duplicate keys as
    ``(path, first line, line, column)``.

    One regular-expression scan visits each value once, with its key if it is an object member
    and the closing brackets after it; a key is decoded only if it has an escape; lines are
    counted between consecutive values. Duplicate keys are looked for (by a second scan) only
    if some path came twice.
    """
    positions: Positions = {}
    stack: list[tuple[FieldPath, int]] = []
    base: FieldPath = ()  # the innermost open object or array
    index = 0  # the next item's index, if it is an array
    values = 0
    line, line_start, counted = 1, 0, 0  # the line number at offset `counted`, where it starts
    count, rfind, loads = text.count, text.rfind, json.loads
    for match in _VALUES.finditer(text):
        key, colon, member_opener, opener, closers = match.groups()
        start = match.start()
        lines = count("\n", counted, start)
        if lines:
            line += lines
            line_start = rfind("\n", counted, start) + 1
        counted = start
        values += 1
        if colon is not None:  # an object member, located at its key
            opener = member_opener
            if "\\" in key:
                key = loads(f'"{key}"')
            path: FieldPath = (*base, key)
        elif stack:  # an array item
            path = (*base, index)
            index += 1
        else:
            path = ()
        positions[path] = (line, start - line_start + 1)
        if opener is not None:
            stack.append((base, index))
            base, index = path, 0
        if closers is not None:
            for _ in range(closers.count("}") + closers.count("]")):
                base, index = stack.pop()
    if len(positions) == values:  # every path once: no duplicate keys
        return positions, []
    return positions, _duplicates(text)


def _duplicates(text: str) -> list[tuple[FieldPath, int, int, int]]:
    """Keys that repeat within one object: ``(path, first line, line, column)``."""
    starts = [0, *(match.end() for match in re.finditer("\n", text))]
    found: list[tuple[FieldPath, int, int, int]] = []
    stack: list[tuple[FieldPath, int, dict[str, int]]] = []
    base: FieldPath = ()
    index = 0
    seen: dict[str, int] = {}
    for match in _VALUES.finditer(text):
        key, colon, member_opener, opener, closers = match.groups()
        if colon is not None:
            opener = member_opener
            if "\\" in key:
                key = json.loads(f'"{key}"')
            path = (*base, key)
            line = bisect_right(starts, match.start())
            if key in seen:
                found.append((path, seen[key], line, match.start() - starts[line - 1] + 1))
            else:
                seen[key] = line
        elif stack:
            path = (*base, index)
            index += 1
        else:
            path = ()
        if opener is not None:
            stack.append((base, index, seen))
            base, index, seen = path, 0, {}
        if closers is not None:
            for _ in range(closers.count("}") + closers.count("]")):
                base, index, seen = stack.pop()
    return found


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


_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')


def _constant_position(text: str) -> tuple[int | None, int | None]:
    """Line and column of the first bare NaN/Infinity (outside strings), if any."""
    for match in _CONSTANT.finditer(text):
        if match.group(1):
            start = match.start(1)
            return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1
    return None, None
