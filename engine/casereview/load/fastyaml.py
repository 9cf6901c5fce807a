"""A fast path for `parse_yaml`: the same ``(data, positions)`` for plain block-style files.

`parse_yaml` drives libyaml's event stream from Python and costs about as much as
``yaml.load(CSafeLoader)``. Case files use a small subset of YAML: block mappings and
sequences, one-line plain or quoted scalars, one-line flow collections, block scalars (``|``,
``>-``), comments, and the anchors and aliases PyYAML's dumper writes for shared values. This
module reads that subset line by line and builds what `parse_yaml` builds: plain scalars
resolved by PyYAML's own YAML 1.1 resolvers and constructors (``2024-05-30`` a date, ``yes``
True, ``010`` 8), keys as their source text, double-quoted escapes and block scalars decoded by
PyYAML itself, and each field's 1-based (line, column), kept per collection (`YamlPositions`).

Anything else returns None and the caller runs `parse_yaml`, which keeps every behaviour and
every error message: the fast path accepts only what it can read exactly and never rejects.
Refused in any line (in a block scalar's content only the characters): tags, merge keys,
directives and document markers (``%``, ``---``, ``...``), complex keys (``? ``), tabs, line
breaks other than ``\\n``, a BOM and characters libyaml does not accept. Refused while
reading: duplicate keys (the slow path reports both lines), aliases of an anchor that is
undefined or still open (recursive), values PyYAML cannot construct (``2024-02-30``), more
than `max_nodes` nodes (aliases counted expanded, as in the slow path, so no alias bomb is
expanded here), nesting near `max_depth`; and (correct, only slower) scalars continued on the
next line, a scalar on the line after its key, flow collections spanning lines or holding
anchors, aliases, empty values or plain scalars with ``:`` or ``#``, ``key:value`` without a
space, block scalars with an indentation digit, keys longer than `_KEY_MAX` or with a `` #``
before the colon. The tests compare both paths on every sample, a generated corpus, documents
PyYAML dumps in every style and randomly damaged files.

Each line is read on its own first (`_lex`), and that reading is kept in a bounded
per-process cache keyed by the line's text: the files of a batch repeat most of their lines.
Which collection a line belongs to and the positions are worked out per file (`_Scanner`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import yaml
from yaml.nodes import ScalarNode

from .paths import FieldPath
from .yamlpos import (
    _SCALAR_TAGS,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_NODES,
    STR_TAG,
    VALUE_TAG,
    Loader,
)

__all__ = ["YamlPositions", "parse_yaml_fast"]

# Characters that may need the slow path (found in few lines), then the exact refusals: tabs,
# line breaks other than "\n" (libyaml also breaks lines at CR, NEL, LS and PS), characters
# libyaml refuses (controls, surrogates, U+FFFE/FFFF), a BOM, directives, document markers,
# merge keys, and tags and complex keys ("!" or "? " can only start one after a space, a flow
# indicator or at the start of a line: "注意!" is fine).
_NOT_YAML = r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
_SUSPECT = re.compile(_NOT_YAML[:-1] + "!?%<]")
_REFUSE = re.compile(_NOT_YAML + r"|^(?:%|---|\.\.\.)|<<|(?:^|[ \[{,])(?:!|\?(?: |$))")
_NOT_YAML_CHAR = re.compile(_NOT_YAML)  # in a block scalar's lines, which are not lexed

_NOT_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
_QUOTED_KEY = re.compile(r"""(?:'((?:[^']|'')*)'|"([^"\\]*)") *:(?: +|$)""")
_SQ_SCALAR = re.compile(r"'((?:[^']|'')*)'")
_DQ_SCALAR = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FLOW_PLAIN = re.compile(r"(?:[^ \-?:,\[\]{}#&*!|>'\"%@`]|-(?=[^ ,\[\]{}]))[^,\[\]{}:#]*")
_FLOW_COLON = re.compile(r" *: +(?=[^ ,}\]])")  # after a flow key: a value must follow
_SPACES = re.compile(" *")
_BLOCK_HEADER = re.compile(r"[|>][-+]?(?: +#.*| *)$")
_END = re.compile(r"(?: +#.*| *)$")  # what may follow a complete value on its line
_ANCHOR_NAME = re.compile(r"&([0-9A-Za-z_-]+)(?: +|$)")
_ALIAS_NAME = re.compile(r"\*([0-9A-Za-z_-]+)")
# The commonest line, "key: value" or "- key: value" with a plain key and value (neither
# starting with an indicator, neither holding ":" or "#"), read by one match (`_lex_any`
# reads it the same, as the tests check).
_PLAIN_START = r"[^ \-?:,\[\]{}#&*!|>'\"%@`]"
_PLAIN_TEXT = rf"{_PLAIN_START}(?:[^:#]*[^:# ])?"  # (greedy: ~2x faster than lazy on long lines)
_SIMPLE_LINE = re.compile(rf"( *)(- +)?({_PLAIN_TEXT}) *: +({_PLAIN_TEXT}) *")
# libyaml refuses simple keys longer than 1024 characters; far shorter ones are left to it too
_KEY_MAX = 200


class _Refuse(Exception):
    """The file is not in the subset handled here."""


def parse_yaml_fast(
    text: str,
    file: str,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> tuple[Any, YamlPositions] | None:
    """``parse_yaml(text, file)``'s result, or None if this file needs `parse_yaml`.

    Never raises: anything unusual, wrong or refused returns None (`file` is accepted for
    symmetry with `parse_yaml`; error messages are the slow path's business).
    """
    if None in _IMPLICIT:  # a resolver for every scalar: PyYAML must look at each one
        return None
    try:
        lines = text.split("\n")
        if len(lines) > max_nodes:  # far longer than a case file: the nodes are counted as placed
            return None
        data, root, padded = _Scanner(max_nodes, max_depth).run(lines)
    except Exception:  # _Refuse, a YAML error while decoding, anything unexpected: the slow path
        return None
    return data, YamlPositions(root, lines, padded)


# What `_lex` makes of a line (it depends on nothing else, so it is cached across files):
# _SKIP for a blank or comment line, else (tag, key (None for a list item's value), value,
# shape) where shape, shared by all lines of that shape, is (1-based column of the key or item
# content, indent, whether it is a list item, the collections it opens, kind,
# whether a string it reads is `_padded` (a flow's: looked at when placed)) and kind is
# _VALUE: a one-line scalar, `value` its YAML 1.1 value;
# _OPEN: nothing follows, the node is on the next lines (or null);
# _FLOW: a one-line flow collection, `value` its column (read by `_Scanner.flow` when placed);
# _BLOCK: a block scalar header, `value` its column;
# _ALIAS: ``*name``, `value` the name;
# _ANCHOR: ``&name`` before any of the above but an alias, `value` (name, kind, value);
# and tag tells the lines that only put a scalar into the collection at their indent (most
# lines: ``key: value`` in a mapping, ``- value`` in a list: >= 0) and the ``- key: value``
# lines (`_item_tag`) from the others (-2).
_VALUE, _OPEN, _FLOW, _BLOCK, _ALIAS, _ANCHOR = range(6)
_SKIP: Any = ("skip",)
_LINES: dict[str, Any] = {}
_SHAPES: dict[Any, tuple[Any, ...]] = {}
_LINES_MAX = 40_000  # lines, ~370 bytes each (see `_entry`)
_CACHED_LINE_MAX = 400  # longer lines are read where they are used, not kept


def _lexed(line: str) -> Any:
    if _SUSPECT.search(line) is not None and _REFUSE.search(line) is not None:
        raise _Refuse  # per line, not per file: a line in the cache has passed
    lexed = _lex(line)
    if len(line) <= _CACHED_LINE_MAX:
        if len(_LINES) >= _LINES_MAX:
            _LINES.clear()
            _SHAPES.clear()
        _LINES[line] = lexed
    return lexed


def _entry(tag: int, key: str | None, value: Any, *shape: Any) -> tuple[Any, ...]:
    """A line's reading; keys and shapes shared with the other lines' (less memory to touch;
    `_lex` keys the shapes of the commonest lines by their tag)."""
    return tag, key if key is None else sys.intern(key), value, _SHAPES.setdefault(shape, shape)


class YamlPositions(Mapping[FieldPath, tuple[int, int]]):
    """`parse_yaml`'s positions, kept per collection instead of per path: an entry is
    ``(line, column, {slot: entry})`` for a collection, ``(line, column)`` for a scalar, or
    only its line if it is at that line's key or item (most scalars: an int is not a tuple to
    allocate and collect); an alias's entry holds the anchored collection's slots, so its
    fields are where the anchored ones are written. A finding locates a few fields of a file:
    `locate` walks down its path, and the whole mapping (in `parse_yaml`'s order) is built
    only if it is iterated."""

    __slots__ = ("_all", "lines", "padded", "root")

    def __init__(self, root: tuple[Any, ...], lines: list[str], padded: bool = True) -> None:
        self.root = root
        self.lines = lines
        self.padded = padded  # False: no string (key or value) begins or ends with white space
        self._all: dict[FieldPath, tuple[int, int]] | None = None

    def locate(self, path: FieldPath) -> tuple[int, int]:
        """The position of `path`, or of its longest prefix that is a field (`locate_in`)."""
        entry = self.root
        for step in path:
            found = None if type(entry) is int or len(entry) < 3 else entry[2].get(step)
            if found is None:
                break
            entry = found
        return self._at(entry)

    def __getitem__(self, path: FieldPath) -> tuple[int, int]:
        return self._expanded()[path]

    def _at(self, entry: Any) -> tuple[int, int]:
        if type(entry) is int:  # at its line's key or item, where that line's reading has it
            line = self.lines[entry - 1]
            return entry, (_LINES.get(line) or _lexed(line))[3][0]
        return entry[0], entry[1]

    def __iter__(self) -> Iterator[FieldPath]:
        return iter(self._expanded())

    def __len__(self) -> int:
        return len(self._expanded())

    def _expanded(self) -> dict[FieldPath, tuple[int, int]]:
        if self._all is None:
            found: dict[FieldPath, tuple[int, int]] = {}
            todo: list[tuple[FieldPath, Any]] = [((), self.root)]
            while todo:  # depth first, in document order
                path, entry = todo.pop()
                found[path] = self._at(entry)
                if type(entry) is tuple and len(entry) > 2:
                    todo.extend(((*path, slot), inner) for slot, inner in reversed(entry[2].items()))
            self._all = found
        return self._all


class _Scanner:
    """The data and positions of a block-style document, read line by line."""

    def __init__(self, max_nodes: int, max_depth: int) -> None:
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.lines: list[str] = []
        self.nodes = 1  # the root and every node placed, but those `run` counts in `plain`
        self.padded = False  # whether a string may begin or end with white space
        # anchor name -> (container, its slots' entries, slot) of the anchored node
        self.anchors: dict[str, tuple[Any, dict[Any, Any], Any]] = {}
        # The block collections around the current one: (indent, container, its entries).
        self.stack: list[tuple[int, Any, Any]] = []
        # A node whose content may follow on the next lines (after "key:", a bare "-", an
        # anchor, or the document's start): (container, entries, slot, indent of the
        # container, located at its content?)
        self.pending: tuple[Any, dict[Any, Any], Any, int, bool] | None = None
        # An open block scalar: (indent of its container, index of its header line, the
        # header's column, container, slot)
        self.block: tuple[int, int, int, Any, Any] | None = None

    def run(self, lines: list[str]) -> tuple[dict[str, Any], tuple[Any, ...], bool]:
        """The data, the root's position entry (see `YamlPositions`) and whether a string in it
        may begin or end with white space."""
        stack, self.lines = self.stack, lines
        cached = _LINES.get  # a local: read on every line
        document: dict[str, Any] = {}
        top: dict[str, Any] = {"": (1, 1)}
        self.pending = (document, top, "", -1, True)  # the root: located at its first line
        # The innermost open block collection; the tags (see `_lex`) of the lines that only put
        # a scalar into it, and of those that start the next item of the list around it like it
        # (-1: none; no line is that simple while a node is pending or a block scalar is open).
        indent, container, marks, tag, next_item = -1, None, None, -1, -1
        plain = 0  # the nodes such lines placed
        for number, line in enumerate(lines, 1):
            lexed = cached(line)
            if lexed is None and self.block is None:  # a new line (not a block scalar's content)
                lexed = _lexed(line)
            if lexed is not None:
                if lexed[0] == tag:  # most lines: nothing else to check
                    key = lexed[1]
                    if key is None:
                        marks[len(container)] = number
                        container.append(lexed[2])
                    elif key in container:  # a duplicate key: the slow path reports it
                        raise _Refuse
                    else:
                        container[key] = lexed[2]
                        marks[key] = number
                    plain += 1
                    continue
                if lexed[0] == next_item:  # "- key: value": a mapping in place of the current one
                    key = lexed[1]
                    _, items, item_marks = stack[-1]
                    marks = {key: number}
                    item_marks[len(items)] = (number, lexed[3][0], marks)
                    container = {key: lexed[2]}
                    items.append(container)
                    plain += 2
                    continue
            if self.nodes + plain > self.max_nodes:  # (the lines above place at most two each)
                raise _Refuse
            found = self.line(line, lexed, number, indent, container, marks)
            if found is not None:
                indent, container, marks, tag, next_item = found
        if self.block is not None:
            self.end_block(len(lines))
        root = document.get("")
        if type(root) is not dict or self.nodes + plain > self.max_nodes:
            raise _Refuse  # empty (or only comments), not a mapping, or too many nodes
        return root, top[""], self.padded

    def line(self, line: str, lexed: Any, number: int, indent_now: int, container: Any, marks: Any) -> Any:
        """Any line `run` does not place itself: the new (indent, container, entries, tag,
        next item's tag) of `run`'s loop, or None if they stay (blank, comment, block content)."""
        if self.block is not None and self.in_block(line, number):
            return None
        if lexed is None:
            lexed = _lexed(line)
        if lexed is _SKIP:
            return None
        _, key, value, (column, indent, item, opens, kind, pads) = lexed
        self.padded = self.padded or pads
        if self.pending is not None:
            indent_now, container, marks = self.open_pending(
                indent, item, number, indent_now, container, marks
            )
        if indent != indent_now or (type(container) is dict) is item:  # not where the last line was
            indent_now, container, marks = self.dedent(indent, item, indent_now, container, marks)
        if opens:  # "- key: ..." or "- - ...": the item is a collection
            indent_now, container, marks = self.item(opens, number, indent_now, container, marks)
        if key is None:
            slot = len(container)
            container.append(None)
        elif key in container:  # a duplicate key: the slow path reports it
            raise _Refuse
        else:
            slot = key
        if kind == _VALUE:
            container[slot] = value
            marks[slot] = number  # at its key or item (see `YamlPositions`)
            self.nodes += 1
            tag = indent_now * 2 + (type(container) is list)
        else:
            tag = self.put(kind, value, container, marks, slot, (number, column), indent_now, line)
            if self.pending is not None:
                return self.open_next(number, indent_now, container, marks)
        around = self.stack[-1]
        if tag >= 0 and type(container) is dict and type(around[1]) is list:
            return indent_now, container, marks, tag, _item_tag(around[0], indent_now)
        return indent_now, container, marks, tag, -1

    def open_next(self, number: int, indent_now: int, container: Any, marks: Any) -> Any:
        """`line`'s result after a line leaving ``container[slot]`` pending: if the next line is
        one `run` places itself (``key: value``, ``- value``, ``- key: value``) and opens the
        node, the collection opened, so that the line takes `run`'s path (the first item of a
        list of mappings as the next ones); else the node stays pending for `line`."""
        stack, slot = self.stack, self.pending[2]  # (`put` made `container` the pending's)
        following = self.lines[number] if number < len(self.lines) else ""
        lexed = _LINES.get(following) or _lexed(following)
        if lexed is _SKIP or lexed[0] == -2 or len(stack) >= self.max_depth - 2:
            return indent_now, container, marks, -1, -1
        tag, _, _, (column, indent, item, opens, _, _) = lexed
        bare = type(container) is list  # a bare "-": located at its content
        if indent < indent_now or (indent == indent_now and (bare or not item)):
            return indent_now, container, marks, -1, -1  # it stays null
        self.pending = None
        new = container[slot] = [] if item else {}
        inner: dict[Any, Any] = {}
        marks[slot] = (number + 1, indent + 1, inner) if bare else (*marks[slot], inner)
        stack.append((indent_now, container, marks))
        if opens:
            stack.append((indent, new, inner))
            return column - 1, None, None, column * 2 - 2, tag
        return indent, new, inner, tag, _item_tag(indent_now, indent) if bare and not item else -1

    def open_pending(self, indent: int, item: bool, number: int, *current: Any) -> Any:
        """The collection the pending node opens at this line, or the `current` one (indent,
        container, entries) if it stays null."""
        assert self.pending is not None
        parent, marks, slot, parent_indent, bare = self.pending
        self.pending = None
        # deeper, or a list at its key's indent ("key:\n- a")
        if indent > parent_indent or (indent == parent_indent and item and type(parent) is dict):
            if len(self.stack) >= self.max_depth - 1:
                raise _Refuse
            new = parent[slot] = [] if item else {}
            inner: dict[Any, Any] = {}
            line, column = (number, indent + 1) if bare else marks[slot]  # a bare "-": at its content
            marks[slot] = (line, column, inner)
            self.stack.append(current)
            return indent, new, inner
        return current

    def dedent(self, indent: int, item: bool, indent_now: int, container: Any, marks: Any) -> Any:
        """The collection a line at `indent` belongs to (closing those it ends)."""
        stack = self.stack
        # a key also ends a list at its own indent ("k:\n- a\nk2: b")
        while indent_now > indent or (indent_now == indent and not item and type(container) is list):
            indent_now, container, marks = stack.pop()
        if indent_now != indent or (type(container) is list) is not item:
            raise _Refuse  # deeper than a complete value (a continuation line), or misaligned
        return indent_now, container, marks

    def item(
        self, opens: tuple[tuple[int, bool], ...], number: int, indent_now: int, container: Any, marks: Any
    ) -> Any:
        """The collection a list item's content goes into, opening `opens` (see `_lex`)."""
        stack = self.stack
        for indent, is_map in opens:
            if len(stack) >= self.max_depth - 1:
                raise _Refuse
            new: Any = {} if is_map else []
            inner: dict[Any, Any] = {}
            marks[len(container)] = (number, indent + 1, inner)
            container.append(new)
            stack.append((indent_now, container, marks))
            indent_now, container, marks = indent, new, inner
        self.nodes += len(opens)
        return indent_now, container, marks

    def put(
        self,
        kind: int,
        value: Any,
        container: Any,
        marks: Any,
        slot: Any,
        at: tuple[int, int],
        indent: int,
        line: str,
    ) -> int:
        """Store the node a line reads (see `_lex`) at ``container[slot]`` and its position in
        ``marks[slot]``; `indent` is the container's. Returns the tag of the next lines that
        only put a scalar into the container (-1: none now)."""
        self.nodes += 1
        bare = kind == _OPEN and type(container) is list  # a bare "-": located after it if null
        if kind == _ANCHOR:
            name, kind, value = value
            self.anchors[name] = (container, marks, slot)
        if kind == _VALUE:
            container[slot] = value
            marks[slot] = at[0]  # at its key or item (see `YamlPositions`)
            return indent * 2 + (type(container) is list)
        if kind == _FLOW:
            flow, inner, end = self.flow(line, value, at[0], self.max_depth - 1 - len(self.stack))
            if _END.match(line, end) is None:
                raise _Refuse
            container[slot], marks[slot] = flow, (*at, inner)
        elif kind == _ALIAS:
            self.alias(value, container, marks, slot, at)
        else:
            container[slot] = None
            marks[slot] = (at[0], at[1] + 1) if bare else at
            if kind == _OPEN:  # the content is on the next lines
                self.pending = (container, marks, slot, indent, bare)
                return -1
            if kind == _BLOCK:
                self.block = (indent, at[0] - 1, value, container, slot)
                return -1
        return indent * 2 + (type(container) is list)

    def in_block(self, line: str, number: int) -> bool:
        """Whether `line` is a line of the open block scalar's (else it ends before the line)."""
        assert self.block is not None
        rest = line.lstrip(" ")
        if not rest or len(line) - len(rest) > self.block[0]:
            return True
        self.end_block(number - 1)
        return False

    def end_block(self, end: int) -> None:
        """Decode the open block scalar, whose content is ``lines[header + 1 : end]``."""
        assert self.block is not None
        lines = self.lines
        _, header, column, container, slot = self.block
        self.block = None
        body = "\n".join(lines[header + 1 : end])
        if not body.strip() or _NOT_YAML_CHAR.search(body) is not None:
            # no content line: its value then depends on what ends it (a comment line at a
            # lower indent makes libyaml drop a kept line break), which only the full parser
            # sees; or a character refused in any line (its lines are not lexed)
            raise _Refuse
        if end < len(lines):
            body += "\n"
        container[slot] = _decode("x: " + lines[header][column:] + "\n" + body)

    def alias(self, name: str, container: Any, marks: dict[Any, Any], slot: Any, at: tuple[int, int]) -> None:
        """``*name``: the anchored node (the same object, as in `parse_yaml`), its fields
        located where the anchored ones are written; counted expanded, as `parse_yaml` does."""
        found = self.anchors.get(name)
        if found is None:
            raise _Refuse
        anchored, anchored_marks, anchored_slot = found
        value = anchored[anchored_slot]
        entry = anchored_marks[anchored_slot]
        if type(entry) is tuple and len(entry) > 2:
            # inside the anchored collection itself (it is still open): recursive
            if value is container or any(value is frame[1] for frame in self.stack):
                raise _Refuse
            self.nodes += _count(entry[2], self.max_nodes - self.nodes)
            marks[slot] = (*at, entry[2])
        else:
            marks[slot] = at
        if self.nodes > self.max_nodes:
            raise _Refuse
        container[slot] = value

    def flow(self, line: str, i: int, number: int, room: int) -> tuple[Any, dict[Any, Any], int]:
        """The flow collection that opens at ``line[i]`` and closes on this line, nested less
        than `room` deep: its value, its fields' entries and the index after it."""
        if room <= 0:
            raise _Refuse
        close = "}" if line[i] == "{" else "]"
        value: Any = {} if close == "}" else []
        marks: dict[Any, Any] = {}
        i = _SPACES.match(line, i + 1).end()
        while line[i] != close:  # (an IndexError if it continues on the next line)
            at = i + 1
            if close == "}":
                slot, i = _flow_key(line, i)
                if slot in value:  # a duplicate key: the slow path reports it
                    raise _Refuse
                self.padded = self.padded or _padded(slot)
            else:
                slot = len(value)
            if line[i] == "[" or line[i] == "{":
                item, inner, i = self.flow(line, i, number, room - 1)
                marks[slot] = (number, at, inner)
            else:
                item, i = _scalar(line, i, True)
                marks[slot] = (number, at)
                self.padded = self.padded or _padded(item)
            if close == "}":
                value[slot] = item
            else:
                value.append(item)
            self.nodes += 1
            i = _SPACES.match(line, i).end()
            if line[i] == ",":
                i = _SPACES.match(line, i + 1).end()
            elif line[i] != close:
                raise _Refuse
        return value, marks, i + 1


def _count(marks: dict[Any, Any], limit: int) -> int:
    """The number of fields below a collection (each alias's expanded), or more than `limit`."""
    count = 0
    todo = [marks]
    while todo and count <= limit:
        for entry in todo.pop().values():
            count += 1
            if type(entry) is tuple and len(entry) > 2:
                todo.append(entry[2])
    return count


def _lex(line: str) -> Any:
    """A line read on its own (see above); raises `_Refuse` for what the scanner refuses."""
    simple = _SIMPLE_LINE.fullmatch(line)
    if simple is None:
        return _lex_any(line)
    spaces, dash, key, text = simple.groups()
    if simple.start(4) - simple.start(3) > _KEY_MAX:
        raise _Refuse
    value = _plain(text)
    indent, column = len(spaces), simple.start(3)
    if _padded(key) or _padded(value):
        return _lex_any(line)  # (rare) tagged -2
    tag = indent * 2 if dash is None else _item_tag(indent, column)
    shape = _SHAPES.get(tag)  # the tag tells the indent, column and dash of such lines
    if shape is None:
        opens = () if dash is None else ((column, True),)
        shape = _SHAPES[tag] = (column + 1, indent, dash is not None, opens, _VALUE, False)
    return tag, sys.intern(key), value, shape


def _lex_any(line: str) -> Any:
    """`_lex` of any line."""
    rest = line.lstrip(" ")
    if not rest or rest[0] == "#":
        return _SKIP
    indent = len(line) - len(rest)
    dashes: tuple[int, ...] = ()
    while rest[0] == "-" and (len(rest) == 1 or rest[1] == " "):
        dashes += (len(line) - len(rest),)
        rest = rest[1:].lstrip(" ")
        if not rest or rest[0] == "#":  # a bare "-": the item is on the next lines
            opens = tuple((inner, False) for inner in dashes[1:])
            return _entry(-2, None, None, dashes[-1] + 1, indent, True, opens, _OPEN, False)
    column = len(line) - len(rest)
    key, value = _key(rest)
    if key is None and not dashes:  # a scalar on a line of its own (a continuation...)
        raise _Refuse
    if key is not None and (not value or value[0] == "#"):
        kind, parsed = _OPEN, None
    else:
        kind, parsed = _value(line, len(line) - len(value))
    anchored = parsed[1:] if kind == _ANCHOR else (kind, parsed)  # what `&name` holds
    padded = _padded(key) or anchored[0] == _BLOCK or (anchored[0] == _VALUE and _padded(anchored[1]))
    if kind != _VALUE or len(dashes) > 1 or padded:
        tag = -2
    elif not dashes:
        tag = indent * 2  # "key: value"
    elif key is None:
        tag = indent * 2 + 1  # "- value"
    else:
        tag = _item_tag(indent, column)  # "- key: value"
    # the collections an item opens before its content: a list at each dash after the first
    # ("- - a"), then a mapping if it has a key ("- key: ..."): (indent, is a mapping)
    opens = tuple((inner, False) for inner in dashes[1:]) + (
        ((column, True),) if dashes and key is not None else ()
    )
    return _entry(tag, key, parsed, column + 1, indent, bool(dashes), opens, kind, padded)


def _padded(text: Any) -> bool:
    """Whether `text` is a string that begins or ends with white space (Python's, which holds
    Rust's ``str::trim`` that validation strips with)."""
    return type(text) is str and text != text.strip()


def _item_tag(dash: int, column: int) -> int:
    """The tag of a ``- key: value`` line with its dash and key at these columns (the lines
    in the cache are shorter than 512)."""
    return -3 - dash * 512 - column


def _key(rest: str) -> tuple[str | None, str]:
    """The key that starts `rest` (``key: ``, ``'key': ``, ``key:`` at the end) and what
    follows it; (None, rest) if it does not start with a key."""
    char = rest[0]
    if char == "'" or char == '"':
        match = _QUOTED_KEY.match(rest)
        if match is None:
            return None, rest
        single = match.group(1)
        key = single.replace("''", "'") if single is not None else match.group(2)
        value = rest[match.end() :]
    elif char not in _NOT_PLAIN_START or (char in "-?:" and len(rest) > 1 and rest[1] != " "):
        key, colon, value = rest.partition(": ")
        if colon:
            value = value.lstrip(" ")
        elif rest[-1] == ":":
            key, value = rest[:-1], ""
        else:
            return None, rest
        if " #" in key:  # a comment before the colon: not a key after all
            raise _Refuse
        key = key.rstrip(" ")
    else:
        return None, rest
    if len(rest) - len(value) > _KEY_MAX:
        raise _Refuse
    return key, value


def _value(line: str, column: int) -> tuple[int, Any]:
    """The kind and value (see above) of the node that starts at `column` and ends the line."""
    char = line[column]
    if char == "[" or char == "{":
        return _FLOW, column
    if char == "|" or char == ">":
        if _BLOCK_HEADER.match(line, column) is None:
            raise _Refuse
        return _BLOCK, column
    if char == "&":
        match = _ANCHOR_NAME.match(line, column)
        if match is None:
            raise _Refuse
        end = match.end()
        inner = (_OPEN, None) if end == len(line) or line[end] == "#" else _value(line, end)
        if inner[0] == _ALIAS or inner[0] == _ANCHOR:
            raise _Refuse
        return _ANCHOR, (match.group(1), *inner)
    if char == "*":
        match = _ALIAS_NAME.match(line, column)
        if match is None:
            raise _Refuse
        kind, value, end = _ALIAS, match.group(1), match.end()
    else:
        kind, (value, end) = _VALUE, _scalar(line, column, False)
    if _END.match(line, end) is None:
        raise _Refuse
    return kind, value


def _scalar(line: str, i: int, flow: bool) -> tuple[Any, int]:
    """The one-line scalar that starts at `i` (quoted, or plain in block or flow context):
    its value and where it ends."""
    char = line[i]
    if char == "'":
        match = _SQ_SCALAR.match(line, i)
        if match is None:
            raise _Refuse
        return match.group(1).replace("''", "'"), match.end()
    if char == '"':
        match = _DQ_SCALAR.match(line, i)
        if match is None:
            raise _Refuse
        inner = match.group(1)
        return (_decode(match.group()) if "\\" in inner else inner), match.end()
    if flow:
        match = _FLOW_PLAIN.match(line, i)
        if match is None:
            raise _Refuse
        return _plain(match.group().rstrip(" ")), match.end()
    if char in _NOT_PLAIN_START and (char not in "-?:" or i + 1 >= len(line) or line[i + 1] == " "):
        raise _Refuse
    text = line[i:]
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut]
    end = i + len(text)
    text = text.rstrip(" ")
    if ": " in text or text[-1] == ":":
        raise _Refuse
    return _plain(text), end


def _flow_key(line: str, i: int) -> tuple[str, int]:
    """The key of a flow mapping entry that starts at `i` (its source text if plain) and where
    its value starts."""
    if line[i] == "'" or line[i] == '"':
        key, end = _scalar(line, i, True)
    else:
        match = _FLOW_PLAIN.match(line, i)
        if match is None:
            raise _Refuse
        key, end = match.group().rstrip(" "), match.end()
    colon = _FLOW_COLON.match(line, end)
    if colon is None or end - i > _KEY_MAX:
        raise _Refuse
    return key, colon.end()


def _plain(text: str) -> Any:
    """A plain scalar's value as ``yaml.safe_load`` gives it."""
    if text[0] not in _IMPLICIT:
        return text
    ok, value = _resolve(text)
    if not ok:
        raise _Refuse
    return value


_IMPLICIT = Loader.yaml_implicit_resolvers  # first character -> implicit resolvers (live)


@lru_cache(maxsize=4096)
def _resolve(text: str) -> tuple[bool, Any]:
    """(ok, the value ``yaml.safe_load`` gives the plain scalar `text`); values are immutable."""
    resolver = _resolver()
    tag = resolver.resolve(ScalarNode, text, (True, False))
    if tag in (STR_TAG, VALUE_TAG):
        return True, text
    if tag not in _SCALAR_TAGS:  # e.g. "<<" as a value: parse_yaml reports it
        return False, None
    try:
        return True, resolver.yaml_constructors[tag](resolver, ScalarNode(tag, text))
    except Exception:  # e.g. 2024-02-30: parse_yaml reports it
        return False, None


@lru_cache(maxsize=1)
def _resolver() -> Any:
    return Loader("")


def _decode(document: str) -> str:
    """The string PyYAML reads from `document`: a double-quoted scalar, or ``x: `` and a block
    scalar (escapes, folding and chomping are libyaml's; tags were refused before)."""
    value = yaml.load(document, Loader=Loader)
    if type(value) is dict:
        value = value.get("x")
    if type(value) is not str:
        raise _Refuse
    return value
