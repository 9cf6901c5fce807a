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
from .reader import refuse_controls

try:
    import orjson
except ImportError:  # pragma: no cover - a dependency, but parsing must not need it
    orjson = None  # type: ignore[assignment]

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


def parse_json(
    text: str, file: str, utf8: bytes | None = None, controls: bool = True
) -> tuple[Any, JsonLocator, bytes | None]:
    """Parse a JSON document or raise `InputRejected` (syntax errors, duplicate keys); with a
    locator for it, and the data as compact JSON (`encode_compact`) if that was made. `utf8`:
    the text's UTF-8 encoding, if at hand (orjson reads it without encoding the text). Without
    `controls`, the text has not been looked at for control characters (`reader.decode_bytes`)
    and is refused for one first, as the reader would have."""
    try:
        data, encoded = _parse_fast(text, utf8)
    except Exception:  # anything unusual (errors included): the reference parse decides
        if not controls:
            refuse_controls(text, file)
        data, encoded = _parse_reference(text, file), None
    else:
        # JSON refuses every other control character (raw in a string, or outside strings)
        if not controls and "\x7f" in text:
            refuse_controls(text, file)
    return data, JsonLocator(text, data), encoded


class _Unusual(Exception):
    pass


def _refuse_constant(name: str) -> Any:
    raise _Unusual  # NaN, Infinity: reported by the reference parse


def _parse_fast(text: str, utf8: bytes | None = None) -> tuple[Any, bytes]:
    """`json.loads(text)` (by orjson) without a Python call per object: a duplicate key is noticed by
    counting colons. Each member has one colon outside strings, and a string re-encoded by
    orjson holds the colons it held in the text unless one was escaped (``\\u003a``); so the
    encoding of the parsed data has fewer colons than the text exactly when a duplicate key
    dropped a member (and its value). Raises on anything unusual."""
    if "\\" in text and "\\u003" in text:  # a backslash first: one character is found ~10x faster
        raise _Unusual  # an escaped colon would be counted in the data but not in the text
    # orjson: ~40 % faster than json
    data = orjson.loads(text if utf8 is None else utf8) if orjson is not None else _decoder.decode(text)
    encoded = encode_compact(data)
    if orjson is not None and b"+" in encoded and b"e+" in encoded:  # "+" first: as "\\" above
        # orjson reads an integer beyond 64 bits as a float, which it writes as 1.2e+19 (and so
        # every float of 1e16 or more): those texts are read by `json` (tests/test_load_fastpaths.py)
        data = _decoder.decode(text)
        encoded = encode_compact(data)
    if text.count(":") != encoded.count(b":"):
        raise _Unusual  # a duplicate key (the reference parse reports it)
    return data, encoded


_decoder = json.JSONDecoder(
    parse_constant=_refuse_constant
)  # built once: `json.loads` with an argument builds one each call


def encode_compact(data: Any) -> bytes:
    """`data` as compact JSON (no white space outside strings), non-ASCII characters as they are;
    raises on what JSON cannot hold."""
    if orjson is not None:
        return orjson.dumps(data)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


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
    walking down to each field. An object or array on the way is read only up to the wanted
    member or item (the values before it skipped by the C decoder) and resumed from there when a
    later one is wanted; a member of the top-level object is looked for by its key alone when
    that key occurs once in the text (`root`: the parsed top-level object, which says whether
    it is a member). Everything beside the path is never visited."""

    def __init__(self, text: str, root: Any = None):
        self.text = text
        self._root = _WHITE.match(text).end()
        # the top-level object's keys, when a member may be found by searching for its key: a
        # text without escapes holds each key as it is, and a key written there once is the
        # top-level member's if the object has such a member
        self._root_keys = root if isinstance(root, dict) and "\\" not in text else None
        # container offset -> [members or item offsets so far, where reading resumes (-1: all
        # read), whether a value starts there that must be skipped first]
        self._objects: dict[int, list[Any]] = {}
        self._arrays: dict[int, list[Any]] = {}
        self._lines: list[tuple[int, int]] = [(0, 1)]  # offsets whose line is known, in order

    def locate(self, path: FieldPath) -> tuple[int, int]:
        """Where the deepest prefix of `path` present in the text is (the root at least)."""
        text, at = self.text, self._root  # `at`: where the current value starts
        found = at
        for step in path:
            opener = text[at]
            if opener == "{" and isinstance(step, str):
                place = self._member(at, step)
                if place is None:
                    break
                found, at = place
            elif opener == "[" and isinstance(step, int) and not isinstance(step, bool) and step >= 0:
                item = self._item(at, step)
                if item is None:
                    break
                found = at = item
            else:
                break
        return self._line_column(found)

    def _member(self, at: int, name: str) -> tuple[int, int] | None:
        """(key offset, value offset) of member `name` of the object at `at`, or None."""
        state = self._objects.get(at)
        if state is None:
            state = self._objects[at] = [{}, at + 1, False]
        members: dict[str, tuple[int, int]] = state[0]
        place = members.get(name)
        if place is not None or state[1] < 0:
            return place
        if at == self._root and self._root_keys is not None and name in self._root_keys:
            place = self._unique_key(name)
            if place is not None:
                members[name] = place
                return place
        text, here, skip = self.text, state[1], state[2]
        while True:
            match = _NEXT_MEMBER.match(text, _skip_value(text, here)[1] if skip else here)
            key = match.group(1)
            if key is None:
                state[1] = -1
                return None
            if "\\" in key:
                key = json.loads(f'"{key}"')
            here, skip = match.end(), True
            members[key] = place = (match.start(1) - 1, here)
            if key == name:
                state[1], state[2] = here, True
                return place

    def _unique_key(self, name: str) -> tuple[int, int] | None:
        """(key offset, value offset) of the only `"name":` in the text, if there is one."""
        text, quoted = self.text, f'"{name}"'
        place = None
        at = text.find(quoted)
        while at >= 0:  # the key's string, or an equal string value (not followed by a colon)
            colon = _WHITE.match(text, at + len(quoted)).end()
            if text.startswith(":", colon):
                if place is not None:
                    return None
                place = at, _WHITE.match(text, colon + 1).end()
            at = text.find(quoted, at + 1)
        return place

    def _item(self, at: int, index: int) -> int | None:
        """Offset of item `index` of the array at `at`, or None."""
        state = self._arrays.get(at)
        if state is None:
            state = self._arrays[at] = [[], at + 1, False]
        items: list[int] = state[0]
        text, here, skip = self.text, state[1], state[2]
        while len(items) <= index and here >= 0:
            here = (
                (_NEXT_ITEM if skip else _WHITE)
                .match(text, _skip_value(text, here)[1] if skip else here)
                .end()
            )
            if text[here] == "]":
                here = -1
            else:
                items.append(here)
                skip = True
        state[1], state[2] = here, skip
        return items[index] if index < len(items) else None

    def _line_column(self, offset: int) -> tuple[int, int]:
        """1-based line and column of `offset`, lines counted from the nearest offset whose line
        is known (before or after it)."""
        text, lines = self.text, self._lines
        i = bisect_right(lines, (offset, len(text) + 1)) - 1
        known, line = lines[i]
        if known != offset:
            after = lines[i + 1] if i + 1 < len(lines) else None
            if after is not None and after[0] - offset < offset - known:
                line = after[1] - text.count("\n", offset, after[0])
            else:
                line += text.count("\n", known, offset)
            lines.insert(i + 1, (offset, line))
        return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def json_locate(text: str, path: FieldPath) -> tuple[int, int]:
    """One field of a valid JSON text, located alone (as `parse_json`'s locator does)."""
    return JsonLocator(text, json.loads(text)).locate(path)


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
