"""Parse YAML to plain Python data plus a map of field positions.

The parser (libyaml through PyYAML's ``CSafeLoader``, or the pure-Python ``SafeLoader``) is
driven event by event and the Python objects are built here, so that

* values resolve exactly as ``yaml.safe_load`` would (the loader's own resolver and scalar
  constructors are used: ``2024-05-30`` is a `date`, ``12`` an `int`, ``true`` a `bool`);
* only plain data tags are accepted (str, int, float, bool, null, timestamp, seq, map);
  anything else (``!!python/object/apply:…``, ``!foo``, ``!!binary``, ``!!set``) is refused;
* duplicate mapping keys are reported with both lines instead of the last one winning;
* non-string keys keep their source text (``on:``, ``1:``, ``2024-01-01:`` become the strings
  ``"on"``, ``"1"``, ``"2024-01-01"`` rather than ``True``, ``1`` and a date);
* the work is bounded: every node, including each copy made by an alias, counts towards
  `max_nodes` (a "billion laughs" document fails after at most `max_nodes` steps, with
  memory to match), and nesting deeper than `max_depth` is refused;
* each field's 1-based (line, column) is recorded under its path tuple, e.g.
  ``("decision", "penalties", 0, "amount")``: for a mapping entry the position of its key,
  for a list item the position of the item, for the root ``()`` the document start.

Merge keys (``<<: *defaults``) are supported with PyYAML's semantics.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from .errors import InputError, InputRejected, show_value
from .paths import FieldPath, format_path

try:
    Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # libyaml not available
    Loader = yaml.SafeLoader

DEFAULT_MAX_NODES = 200_000
DEFAULT_MAX_DEPTH = 100

Positions = Mapping[FieldPath, tuple[int, int]]  # a dict, or the YAML fast path's `YamlPositions`

_TAG = "tag:yaml.org,2002:"
STR_TAG = _TAG + "str"
MAP_TAG = _TAG + "map"
SEQ_TAG = _TAG + "seq"
MERGE_TAG = _TAG + "merge"
VALUE_TAG = _TAG + "value"  # the "=" key; safe_load treats it as a string key
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp"))

_NO_KEY = object()
_MERGE = object()


class _Fatal(Exception):
    """Stop parsing (the error has been recorded)."""


class _Map:
    __slots__ = ("anchor", "data", "desc_start", "key", "key_lines", "key_pos", "merges", "path")

    def __init__(self, path: FieldPath, anchor: str | None, desc_start: int) -> None:
        self.path = path
        self.anchor = anchor
        self.desc_start = desc_start
        self.data: dict[str, Any] = {}
        self.key: Any = _NO_KEY
        self.key_pos: tuple[int, int] = (0, 0)
        self.key_lines: dict[str, int] = {}
        self.merges: list[tuple[Any, int, int, int, tuple[int, int]]] = []


class _Seq:
    __slots__ = ("anchor", "data", "desc_start", "path")

    def __init__(self, path: FieldPath, anchor: str | None, desc_start: int) -> None:
        self.path = path
        self.anchor = anchor
        self.desc_start = desc_start
        self.data: list[Any] = []


def parse_yaml(
    text: str,
    file: str,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> tuple[Any, Positions]:
    """Parse one YAML document; returns ``(data, positions)`` or raises `InputRejected`."""
    builder = _Builder(file, max_nodes, max_depth)
    loader = None
    try:
        loader = Loader(text)
        data = builder.run(loader)
    except _Fatal:
        raise InputRejected(builder.errors) from None
    except yaml.MarkedYAMLError as exc:
        builder.errors.append(_syntax_error(file, exc))
        raise InputRejected(builder.errors) from None
    except yaml.reader.ReaderError as exc:
        offset = exc.position
        if Loader is not yaml.SafeLoader and offset is not None:  # libyaml counts UTF-8 bytes
            offset = len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
        line, column = _offset_position(text, offset)
        builder.errors.append(
            InputError(file, line, column, None, f"文件含有不允许的字符 U+{exc.character:04X}")
            if isinstance(exc.character, int)
            else InputError(file, line, column, None, f"文件含有不允许的字符：{exc.reason}")
        )
        raise InputRejected(builder.errors) from None
    except yaml.YAMLError as exc:
        builder.errors.append(InputError(file, None, None, None, f"YAML 语法错误：{exc}"))
        raise InputRejected(builder.errors) from None
    except RecursionError:
        builder.errors.append(
            InputError(file, None, None, None, f"嵌套层级过深（超过 {max_depth} 层），拒绝处理")
        )
        raise InputRejected(builder.errors) from None
    finally:
        if loader is not None:
            loader.dispose()
    if builder.errors:
        raise InputRejected(builder.errors)
    return data, {path: (line, column) for path, line, column in builder.entries}


class _Builder:
    def __init__(self, file: str, max_nodes: int, max_depth: int) -> None:
        self.file = file
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.errors: list[InputError] = []
        # (path, line, column) in document order; a node's descendants are contiguous.
        self.entries: list[tuple[FieldPath, int, int]] = []
        # anchor -> (value, first descendant entry, end entry, len(anchored node's path))
        self.anchors: dict[str, tuple[Any, int, int, int]] = {}
        self.open_anchors: set[str] = set()
        self.resolver: Any = None

    # -- errors -----------------------------------------------------------------------------
    def error(
        self,
        line: int | None,
        column: int | None,
        path: FieldPath | None,
        message: str,
        value: Any = None,
        *,
        show: bool = False,
    ) -> None:
        field = format_path(path) if path else None
        self.errors.append(
            InputError(self.file, line, column, field, message, show_value(value) if show else None)
        )

    def fatal(self, mark: Any, path: FieldPath | None, message: str) -> _Fatal:
        self.error(mark.line + 1, mark.column + 1, path, message)
        return _Fatal()

    # -- driver -----------------------------------------------------------------------------
    def run(self, loader: Any) -> Any:
        self.resolver = loader  # its resolver and scalar constructors, as safe_load uses them
        get = loader.get_event
        get()  # StreamStartEvent
        event = get()
        if type(event) is StreamEndEvent:
            return None
        root = self.document(get)
        event = get()
        if type(event) is DocumentStartEvent:
            raise self.fatal(event.start_mark, None, "文件包含多个 YAML 文档（---），只允许一个")
        return root

    def document(self, get: Any) -> Any:
        entries = self.entries
        stack: list[_Map | _Seq] = []
        root: Any = None
        max_nodes = self.max_nodes

        while True:
            event = get()
            kind = type(event)

            if kind is MappingEndEvent or kind is SequenceEndEvent:
                frame = stack.pop()
                value = self.finish_map(frame) if type(frame) is _Map else frame.data
                if frame.anchor is not None:
                    self.open_anchors.discard(frame.anchor)
                    self.anchors[frame.anchor] = (value, frame.desc_start, len(entries), len(frame.path))
                if stack:
                    self.deliver(stack[-1], value, frame.desc_start)
                else:
                    root = value
                continue

            if kind is DocumentEndEvent:
                return root

            parent = stack[-1] if stack else None
            if type(parent) is _Map and parent.key is _NO_KEY:
                self.take_key(parent, event)
                continue

            # A value node: where is it, and what is its path?
            mark = event.start_mark
            if parent is None:
                path: FieldPath = ()
                pos = (mark.line + 1, mark.column + 1)
            elif type(parent) is _Map:
                path = (*parent.path, "<<" if parent.key is _MERGE else parent.key)
                pos = parent.key_pos
            else:
                path = (*parent.path, len(parent.data))
                pos = (mark.line + 1, mark.column + 1)
            entries.append((path, *pos))
            if len(entries) > max_nodes:
                raise self.fatal(mark, path, self.too_many())

            if kind is ScalarEvent:
                value = self.scalar(event, path)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, len(entries), len(entries), len(path))
                if parent is None:
                    root = value
                else:
                    self.deliver(parent, value, len(entries))
            elif kind is AliasEvent:
                start = len(entries)
                value = self.alias(event, path)
                if parent is None:
                    root = value
                else:
                    self.deliver(parent, value, start)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if len(stack) >= self.max_depth:
                    raise self.fatal(mark, path, f"嵌套层级过深（超过 {self.max_depth} 层），拒绝处理")
                tag = event.tag
                if (
                    tag is not None
                    and tag != "!"
                    and tag != (MAP_TAG if kind is MappingStartEvent else SEQ_TAG)
                ):
                    self.error(pos[0], pos[1], path, _tag_message(tag))
                anchor = event.anchor
                if anchor is not None:
                    self.open_anchors.add(anchor)
                    self.anchors.pop(anchor, None)
                frame_type = _Map if kind is MappingStartEvent else _Seq
                stack.append(frame_type(path, anchor, len(entries)))
            else:  # pragma: no cover - the parser emits nothing else inside a document
                raise self.fatal(mark, path, f"无法处理的 YAML 结构（{kind.__name__}）")

    # -- pieces -----------------------------------------------------------------------------
    def too_many(self) -> str:
        return (
            f"文件的节点过多（超过 {self.max_nodes} 个，含锚点/别名展开），"
            "可能是恶意构造的文件（如“十亿笑声”别名炸弹），拒绝处理"
        )

    def scalar(self, event: Any, path: FieldPath) -> Any:
        tag = event.tag
        value = event.value
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return value
            tag = self.resolver.resolve(ScalarNode, value, event.implicit)
        if tag == STR_TAG:
            return value
        if tag not in _SCALAR_TAGS:
            mark = event.start_mark
            if tag == VALUE_TAG:
                return value
            self.error(mark.line + 1, mark.column + 1, path, _tag_message(tag))
            return None
        try:
            node = ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
            return self.resolver.yaml_constructors[tag](self.resolver, node)
        except Exception:
            mark = event.start_mark
            self.error(
                mark.line + 1, mark.column + 1, path, f"无法解析的值（{_short_tag(tag)}）", value, show=True
            )
            return None

    def take_key(self, frame: _Map, event: Any) -> None:
        kind = type(event)
        mark = event.start_mark
        line, column = mark.line + 1, mark.column + 1
        if kind is ScalarEvent:
            tag = event.tag
            text = event.value
            if (tag is None or tag == "!") and event.implicit[0]:
                tag = self.resolver.resolve(ScalarNode, text, event.implicit)
            if tag == MERGE_TAG:
                frame.key = _MERGE
                frame.key_pos = (line, column)
                return
            if (
                tag is not None
                and tag != "!"
                and tag != STR_TAG
                and tag != VALUE_TAG
                and tag not in _SCALAR_TAGS
            ):
                self.error(line, column, (*frame.path, text), _tag_message(tag))
            key = text
        elif kind is AliasEvent:
            anchored = self.anchors.get(event.anchor)
            if anchored is None or isinstance(anchored[0], dict | list):
                raise self.fatal(mark, frame.path, "映射的键只能是简单值（不能是列表、映射或未定义的别名）")
            key = anchored[0] if isinstance(anchored[0], str) else _key_text(anchored[0])
        else:
            raise self.fatal(mark, frame.path, "映射的键只能是简单值（不能是列表或映射）")

        first = frame.key_lines.get(key)
        if first is not None:
            self.error(
                line,
                column,
                (*frame.path, key),
                f"键 {key!r} 重复出现（第 {first} 行和第 {line} 行），请只保留一个",
            )
        else:
            frame.key_lines[key] = line
        frame.key = key
        frame.key_pos = (line, column)

    def alias(self, event: Any, path: FieldPath) -> Any:
        name = event.anchor
        mark = event.start_mark
        anchored = self.anchors.get(name)
        if anchored is None:
            if name in self.open_anchors:
                raise self.fatal(mark, path, f"别名 *{name} 引用了包含它自身的锚点（递归引用），不允许")
            raise self.fatal(mark, path, f"别名 *{name} 引用了未定义的锚点 &{name}")
        value, start, end, base = anchored
        entries = self.entries
        if len(entries) + (end - start) > self.max_nodes:
            raise self.fatal(mark, path, self.too_many())
        entries.extend([((*path, *p[base:]), ln, col) for p, ln, col in entries[start:end]])
        return value

    def deliver(self, parent: _Map | _Seq, value: Any, desc_start: int) -> None:
        if type(parent) is _Seq:
            parent.data.append(value)
            return
        if parent.key is _MERGE:
            parent.merges.append((value, desc_start, len(self.entries), len(parent.path) + 1, parent.key_pos))
        else:
            parent.data[parent.key] = value
        parent.key = _NO_KEY

    def finish_map(self, frame: _Map) -> dict[str, Any]:
        if not frame.merges:
            return frame.data
        # PyYAML: later "<<" keys override earlier ones; within "<<: [*a, *b]" *a wins; explicit keys win.
        units: list[tuple[dict[str, Any], int, int, int, int | None]] = []
        for value, start, end, base, (line, column) in frame.merges:
            if isinstance(value, dict):
                units.append((value, start, end, base, None))
            elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
                units.extend((v, start, end, base, i) for i, v in reversed(list(enumerate(value))))
            else:
                self.error(line, column, (*frame.path, "<<"), "合并键 << 的值必须是映射或映射的列表")
        merged: dict[str, Any] = {}
        winner: dict[str, int] = {}
        for n, unit in enumerate(units):
            for key, value in unit[0].items():
                merged[key] = value
                winner[key] = n
        merged.update(frame.data)
        entries = self.entries
        added = []
        for key, n in winner.items():
            if key in frame.data:
                continue
            _, start, end, base, index = units[n]
            at = base if index is None else base + 1
            for p, ln, col in entries[start:end]:
                if len(p) > at and p[at] == key and (index is None or p[base] == index):
                    added.append(((*frame.path, *p[at:]), ln, col))
        if len(entries) + len(added) > self.max_nodes:
            raise self.fatal(_Mark(*frame.merges[0][4]), frame.path, self.too_many())
        entries.extend(added)
        return merged


class _Mark:
    """A 0-based mark from a 1-based (line, column)."""

    def __init__(self, line: int, column: int) -> None:
        self.line = line - 1
        self.column = column - 1


def _key_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def _tag_message(tag: str) -> str:
    return f"不允许的 YAML 标签 {_short_tag(tag)}：案卷文件只能使用普通的文本、数字、日期、布尔值、列表和映射"


_SYNTAX_HINTS = {
    "mapping values are not allowed": (
        "此处不允许出现“键: 值”（冒号后是否缺少空格、缩进是否对齐、值中的冒号是否需要加引号？）"
    ),
    "block sequence entries are not allowed": "此处不允许出现列表项“- ”（缩进是否对齐？）",
    "found character '\\t' that cannot start any token": "不能使用制表符（Tab）缩进，请改用空格",
    "found a tab character": "不能使用制表符（Tab）缩进，请改用空格",
    "could not find expected ':'": "缺少冒号“:”（或多行文本需要加引号）",
    "did not find expected key": "缩进不一致，或多了/少了内容，找不到下一个键",
    "did not find expected '-' indicator": "列表项缩进不一致（缺少“-”）",
    "did not find expected node content": "此处缺少值（括号、逗号是否多余或未闭合？）",
    "did not find expected ',' or ']'": "列表 [...] 中缺少英文逗号或右方括号",
    "did not find expected ',' or '}'": "映射 {...} 中缺少英文逗号或右花括号",
    "expected ',' or ']'": "列表 [...] 中缺少英文逗号或右方括号",
    "expected ',' or '}'": "映射 {...} 中缺少英文逗号或右花括号",
    "found unexpected end of stream": "文件意外结束（引号或括号未闭合？）",
    "found undefined tag handle": "不允许的 YAML 标签",
    "found unknown escape character": "双引号字符串中有无法识别的转义符（反斜杠 \\），可改用单引号",
    "found character that cannot start any token": "此处的字符不能作为值的开头（如 @、` 开头的值需要加引号）",
    "found unexpected ':'": "多余的冒号（值中的冒号需要加引号）",
    "exceeded maximum nesting depth": "嵌套层级过深",
}


def _syntax_error(file: str, exc: yaml.MarkedYAMLError) -> InputError:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    problem = exc.problem or exc.context or "unknown error"
    hint = next((h for key, h in _SYNTAX_HINTS.items() if problem.startswith(key)), None)
    if hint is None:
        hint = next((h for key, h in _SYNTAX_HINTS.items() if key in (exc.context or "")), None)
    text = f"YAML 语法错误：{hint}（{problem}）" if hint else f"YAML 语法错误（{problem}）"
    return InputError(file, line, column, None, text)


def _offset_position(text: str, offset: int | None) -> tuple[int | None, int | None]:
    if offset is None or offset < 0:
        return None, None
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
