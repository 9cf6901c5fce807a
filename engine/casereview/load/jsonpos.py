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


def parse_json(text: str, file: str) -> tuple[Any, JsonLocator]:
    """Parse a JSON document or raise `InputRejected` (syntax errors, duplicate keys); with a
    locator for it, which already knows where the top-level object's members are."""
    try:
        return _parse_object_top(text)
    except Exception:  # anything unusual (errors included): the reference parse decides
        return _parse_reference(text, file), JsonLocator(text)


class _Unusual(Exception):
    pass


def _pairs_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Unusual  # duplicate keys: reported by the reference parse
    return obj


def _refuse_constant(name: str) -> Any:
    raise _Unusual  # NaN, Infinity: reported by the reference parse


_decoder = json.JSONDecoder(object_pairs_hook=_pairs_once, parse_constant=_refuse_constant)
_scan_value = _decoder.scan_once  # the C scanner json.loads uses, for one value
_scan_string = json.decoder.scanstring


def _parse_object_top(text: str) -> tuple[dict[str, Any], JsonLocator]:
    """`json.loads(text)` of a text holding an object, walking its members in Python (each
    value parsed in C) to note where they are: a finding's field is then found without
    parsing the text a second time. Raises on anything else."""
    locator = JsonLocator(text)
    at = here = locator._root
    if text[at] != "{":
        raise _Unusual
    data: dict[str, Any] = {}
    members: dict[str, tuple[int, int]] = {}
    here = _WHITE.match(text, at + 1).end()
    if text[here] != "}":
        while True:
            if text[here] != '"':
                raise _Unusual
            name, end = _scan_string(text, here + 1, True)
            colon = _WHITE.match(text, end).end()
            if text[colon] != ":":
                raise _Unusual
            start = _WHITE.match(text, colon + 1).end()
            value, end = _scan_value(text, start)
            if name in data:
                raise _Unusual
            data[name] = value
            members[name] = (here, start)
            here = _WHITE.match(text, end).end()
            if text[here] == "}":
                break
            if text[here] != ",":
                raise _Unusual
            here = _WHITE.match(text, here + 1).end()
    if _WHITE.match(text, here + 1).end() != len(text):
        raise _Unusual  # more after the object
    locator._members[at] = members
    return data, locator


def _parse_reference(text: str, file: str) -> Any:
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
# from the end of a value: past white space and a comma, then the next member's key, if any
_NEXT_MEMBER = re.compile(rf'{_SPACE},?{_SPACE}(?:"({_STRING})"{_SPACE}:{_SPACE})?')
_NEXT_ITEM = re.compile(rf"{_SPACE},?{_SPACE}")
_skip_value = json.JSONDecoder().scan_once  # parses one value in C: how a value is skipped


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
                members = self._members.get(at)
                place = (members if members is not None else self._object(at)).get(step)
                if place is None:
                    break
                found, at = place
            elif opener == "[" and isinstance(step, int) and not isinstance(step, bool):
                items = self._items.get(at)
                if items is None:
                    items = self._array(at)
                if not 0 <= step < len(items):
                    break
                found = at = items[step]
            else:
                break
        return text.count("\n", 0, found) + 1, found - (text.rfind("\n", 0, found) + 1) + 1

    def _object(self, at: int) -> dict[str, tuple[int, int]]:
        text, members = self.text, {}
        match = _NEXT_MEMBER.match(text, at + 1)
        while (name := match.group(1)) is not None:
            if "\\" in name:
                name = json.loads(f'"{name}"')
            start = match.end()
            members[name] = (match.start(1) - 1, start)
            match = _NEXT_MEMBER.match(text, _skip_value(text, start)[1])
        self._members[at] = members
        return members

    def _array(self, at: int) -> list[int]:
        text, items = self.text, []
        here = _WHITE.match(text, at + 1).end()
        while text[here] != "]":
            items.append(here)
            here = _NEXT_ITEM.match(text, _skip_value(text, here)[1]).end()
        self._items[at] = items
        return items


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
