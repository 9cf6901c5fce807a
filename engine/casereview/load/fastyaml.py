"""A fast path for `parse_yaml`: the same ``(data, positions)`` for plain block-style files.

`parse_yaml` drives libyaml's event stream from Python and costs about as much as
``yaml.load(CSafeLoader)``. Case files are almost always written in a small subset of YAML:
block mappings and sequences, one-line plain or quoted scalars, one-line flow collections
(``{name: 张明, cert: "3601…"}``, ``[v1, v2]``), block scalars (``|``, ``>-``), comments, and
the anchors and aliases PyYAML's dumper writes for shared values (``on: &id001 2024-05-30`` …
``decided_on: *id001``). This module reads that subset line by line and builds what
`parse_yaml` builds:

* plain scalars resolved by PyYAML's own YAML 1.1 implicit resolvers and `SafeConstructor`
  functions (``2024-05-30`` a date, ``yes`` True, ``010`` 8), quoted scalars as strings, keys
  as their source text (``on:``, ``1:`` give ``"on"``, ``"1"``);
* the strings whose decoding is libyaml's business (double-quoted with escapes, block scalars
  with their folding and chomping) are decoded by PyYAML itself, from their own source text;
* each field's 1-based (line, column) as `parse_yaml` records it (a mapping entry at its key,
  a list item at the item, the root ``()`` at its first key); an alias repeats the positions
  of the anchored node's fields under its own path.

Anything else returns None and the caller runs `parse_yaml`, which keeps every behaviour and
every error message: the fast path accepts only what it can read exactly and never rejects.
Refused before reading: tags, merge keys, directives and document markers (``%``, ``---``,
``...``), complex keys (``? ``), tabs, line breaks other than ``\\n``, a BOM and characters
libyaml does not accept. Refused while reading: duplicate keys (the slow path reports both
lines), aliases of an anchor that is undefined or still open (recursive), values PyYAML cannot
construct (``2024-02-30``), more than `max_nodes` nodes (aliases counted expanded, as in the
slow path, so no alias bomb is expanded here), nesting near `max_depth`; and (correct, only
slower) scalars continued on the next line, a scalar on the line after its key, flow
collections spanning lines or holding anchors, aliases, empty values or plain scalars with
``:`` or ``#``, ``key:value`` without a space, block scalars with an indentation digit, keys
longer than `_KEY_MAX` or with a `` #`` before the colon. The tests compare both paths on every
sample, a generated corpus, documents PyYAML dumps in every style and randomly damaged files.

Each line is read on its own first (`_lex`), and that reading is kept in a bounded
per-process cache keyed by the line's text: the files of a batch repeat most of their lines
(keys, enumerations, officers, dates). Which collection a line belongs to, the paths and the
positions are worked out per file (`_Scanner`).
"""

from __future__ import annotations

import re
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
    Positions,
)

__all__ = ["parse_yaml_fast"]

# Characters that may need the slow path (found in few files), then the exact refusals: tabs,
# line breaks other than "\n" (libyaml also breaks lines at CR, NEL, LS and PS), characters
# libyaml refuses (controls, surrogates, U+FFFE/FFFF), a BOM, directives, document markers,
# merge keys, and tags and complex keys ("!" or "? " can only start one after a space, a flow
# indicator or at the start of a line: "注意!" is fine).
_NOT_YAML = r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
_SUSPECT = re.compile(_NOT_YAML[:-1] + "!?%<]")
_REFUSE = re.compile(_NOT_YAML + r"|^(?:%|---|\.\.\.)|<<|(?:^|[ \[{,])(?:!|\?(?: |$))", re.M)

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
) -> tuple[Any, Positions] | None:
    """``parse_yaml(text, file)``'s result, or None if this file needs `parse_yaml`.

    Never raises: anything unusual, wrong or refused returns None (`file` is accepted for
    symmetry with `parse_yaml`; error messages are the slow path's business).
    """
    if None in _IMPLICIT:  # a resolver for every scalar: PyYAML must look at each one
        return None
    if _SUSPECT.search(text) is not None and _REFUSE.search(text) is not None:
        return None
    scan = _Scanner(max_nodes, max_depth)
    try:
        data = scan.run(text)
    except Exception:  # _Refuse, a YAML error while decoding, anything unexpected: the slow path
        return None
    if len(scan.positions) > max_nodes:
        return None
    return data, scan.positions


# What `_lex` makes of a line (it depends on nothing else, so it is cached across files):
# _SKIP for a blank or comment line, else (indent, columns of its "- " dashes, the collections
# it opens (`_opens`), column of its key or item content, the key (None for a list item's
# value), kind, value) where kind is
# _VALUE: a one-line scalar, `value` its YAML 1.1 value;
# _OPEN: nothing follows, the node is on the next lines (or null);
# _FLOW: a one-line flow collection, `value` its `_flow_template` and depth;
# _BLOCK: a block scalar header, `value` its column;
# _ALIAS: ``*name``, `value` the name;
# _ANCHOR: ``&name`` before any of the above but an alias, `value` (name, kind, value).
_VALUE, _OPEN, _FLOW, _BLOCK, _ALIAS, _ANCHOR = range(6)
_SKIP: Any = ("skip",)
_LINES: dict[str, Any] = {}
_LINES_MAX = 20_000
_CACHED_LINE_MAX = 400  # longer lines are read where they are used, not kept


def _lexed(line: str) -> Any:
    lexed = _lex(line)
    if len(line) <= _CACHED_LINE_MAX:
        if len(_LINES) >= _LINES_MAX:
            _LINES.clear()
        _LINES[line] = lexed
    return lexed


class _Scanner:
    """The data and positions of a block-style document, read line by line."""

    def __init__(self, max_nodes: int, max_depth: int) -> None:
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.positions: Positions = {}
        self.paths: list[FieldPath] = []  # every path, in document order (for aliases)
        # anchor name -> (the anchored node's path, its index in `paths`, container, slot)
        self.anchors: dict[str, tuple[FieldPath, int, Any, Any]] = {}
        # The block collections around the current one: (indent, container, path).
        self.stack: list[tuple[int, Any, FieldPath]] = []
        # A node whose content may follow on the next lines (after "key:", a bare "-", an
        # anchor, or the document's start): (path, container, slot, indent of the container,
        # located at its content?)
        self.pending: tuple[FieldPath, Any, Any, int, bool] | None = None
        # An open block scalar: (indent of its container, index of its header line, the
        # header's column, container, slot)
        self.block: tuple[int, int, int, Any, Any] | None = None

    def node(self, path: FieldPath, at: tuple[int, int]) -> None:
        self.positions[path] = at
        self.paths.append(path)

    def run(self, text: str) -> dict[str, Any]:
        """The data, filling in `positions`."""
        lines = text.split("\n")
        positions, paths, stack = self.positions, self.paths, self.stack
        cached, skip, plain_value = _LINES.get, _SKIP, _VALUE  # locals: read on every line
        document: dict[str, Any] = {}
        self.node((), (1, 1))
        self.pending = ((), document, "", -1, True)  # the root: located at its first line
        # The innermost open block collection.
        indent_now, container, base, is_map = -1, None, (), True
        for number, line in enumerate(lines, 1):
            if self.block is not None and self.in_block(line, lines, number):
                continue
            lexed = cached(line) or _lexed(line)
            if lexed is skip:
                continue
            indent, dashes, opens, column, key, kind, value = lexed
            if self.pending is not None:
                opened = self.open_pending(indent, dashes, number)
                if opened is not None:
                    stack.append((indent_now, container, base))
                    indent_now, container, base = opened
                    is_map = not dashes
            if indent != indent_now or is_map is not (not dashes):  # not where the last line was
                indent_now, container, base = self.dedent(indent, dashes, indent_now, container, base)
                is_map = not dashes
            if opens:  # "- key: ..." or "- - ...": the item is a collection
                indent_now, container, base = self.item(opens, number, indent_now, container, base)
                is_map = key is not None
            if key is None:
                slot = len(container)
                container.append(None)
            elif key in container:  # a duplicate key: the slow path reports it
                raise _Refuse
            else:
                slot = key
            path = (*base, slot)
            if kind == plain_value:
                container[slot] = value
                positions[path] = (number, column + 1)
                paths.append(path)
            else:
                self.put(kind, value, container, slot, path, (number, column + 1), indent_now)
        if self.block is not None:
            self.end_block(lines, len(lines))
        root = document.get("")
        if type(root) is not dict:  # empty (or only comments), or not a mapping
            raise _Refuse
        return root

    def in_block(self, line: str, lines: list[str], number: int) -> bool:
        """Whether `line` (number `number`) is in the open block scalar; if not, the scalar
        ends before it."""
        assert self.block is not None
        rest = line.lstrip(" ")
        if not rest or len(line) - len(rest) > self.block[0]:
            return True
        self.end_block(lines, number - 1)
        return False

    def open_pending(self, indent: int, dashes: tuple[int, ...], number: int) -> Any:
        """The collection the pending node opens at this line, or None if it stays null."""
        assert self.pending is not None
        path, parent, slot, parent_indent, bare = self.pending
        self.pending = None
        # deeper, or a list at its key's indent ("key:\n- a")
        if indent > parent_indent or (indent == parent_indent and dashes and type(parent) is dict):
            if len(path) >= self.max_depth - 1:
                raise _Refuse
            if bare:  # a bare "-" is located at its content
                self.positions[path] = (number, indent + 1)
            new = parent[slot] = [] if dashes else {}
            return indent, new, path
        return None

    def dedent(
        self, indent: int, dashes: tuple[int, ...], indent_now: int, container: Any, base: FieldPath
    ) -> Any:
        """The collection a line at `indent` belongs to (closing those it ends)."""
        stack = self.stack
        # a key also ends a list at its own indent ("k:\n- a\nk2: b")
        while indent_now > indent or (indent_now == indent and not dashes and type(container) is list):
            indent_now, container, base = stack.pop()
        if indent_now != indent or (type(container) is list) != bool(dashes):
            raise _Refuse  # deeper than a complete value (a continuation line), or misaligned
        if len(self.positions) > self.max_nodes:
            raise _Refuse
        return indent_now, container, base

    def item(
        self,
        opens: tuple[tuple[int, bool], ...],
        number: int,
        indent_now: int,
        container: Any,
        base: FieldPath,
    ) -> Any:
        """The collection a list item's content goes into, opening `opens` (see `_lex`)."""
        for indent, is_map in opens:
            path = (*base, len(container))
            if len(path) >= self.max_depth - 1:
                raise _Refuse
            new: Any = {} if is_map else []
            container.append(new)
            self.node(path, (number, indent + 1))
            self.stack.append((indent_now, container, base))
            indent_now, container, base = indent, new, path
        return indent_now, container, base

    def put(
        self,
        kind: int,
        value: Any,
        container: Any,
        slot: Any,
        path: FieldPath,
        at: tuple[int, int],
        indent: int,
    ) -> None:
        """Store a node that is not a plain one-line scalar (see `_lex`) at ``container[slot]``;
        `indent` is the container's."""
        bare = kind == _OPEN and type(container) is list  # a bare "-": located after it if null
        if kind == _ANCHOR:
            name, kind, value = value
            self.anchors[name] = (path, len(self.paths), container, slot)
        if kind == _VALUE:
            container[slot] = value
            self.node(path, at)
        elif kind == _FLOW:
            self.place_flow(value, path, container, slot, at)
        elif kind == _ALIAS:
            self.alias(value, path, container, slot, at)
        else:  # _OPEN, _BLOCK: the content is on the next lines
            container[slot] = None
            self.node(path, (at[0], at[1] + 1) if bare else at)
            if kind == _OPEN:
                self.pending = (path, container, slot, indent, bare)
            else:
                self.block = (indent, at[0] - 1, value, container, slot)

    def end_block(self, lines: list[str], end: int) -> None:
        """Decode the open block scalar, whose content is ``lines[header + 1 : end]``."""
        assert self.block is not None
        _, header, column, container, slot = self.block
        self.block = None
        body = "\n".join(lines[header + 1 : end])
        if not body.strip():
            # no content line: its value then depends on what ends it (a comment line at a
            # lower indent makes libyaml drop a kept line break), which only the full parser sees
            raise _Refuse
        if end < len(lines):
            body += "\n"
        container[slot] = _decode("x: " + lines[header][column:] + "\n" + body)

    def alias(self, name: str, path: FieldPath, container: Any, slot: Any, at: tuple[int, int]) -> None:
        """``*name``: the anchored node (the same object, as in `parse_yaml`), its fields
        located again under `path` where the anchored ones are written."""
        found = self.anchors.get(name)
        paths = self.paths
        if found is None:
            raise _Refuse
        target, first, anchored, anchored_slot = found
        base = len(target)
        if path[:base] == target:  # inside the anchored node itself: recursive
            raise _Refuse
        end = first + 1
        while end < len(paths) and paths[end][:base] == target:
            end += 1
        if len(self.positions) + end - first > self.max_nodes:
            raise _Refuse
        positions = self.positions
        self.node(path, at)
        for inner in paths[first + 1 : end]:
            self.node((*path, *inner[base:]), positions[inner])
        container[slot] = anchored[anchored_slot]

    def place_flow(
        self,
        template: tuple[tuple[Any, ...], int],
        path: FieldPath,
        container: Any,
        slot: Any,
        at: tuple[int, int],
    ) -> None:
        """A flow collection read by `_flow_template`, stored at ``container[slot]`` with
        position `at` (its contents are on the same line)."""
        ops, depth = template
        if len(path) + depth >= self.max_depth - 1:
            raise _Refuse
        made: list[Any] = []
        for suffix, column, kind, value, parent in ops:
            if kind == _F_MAP:
                value = {}
            elif kind == _F_SEQ:
                value = []
            if parent < 0:  # the collection itself
                container[slot] = value
                self.node(path, at)
            else:
                owner = made[parent]
                if type(owner) is list:
                    owner.append(value)
                else:
                    owner[suffix[-1]] = value
                self.node(path + suffix, (at[0], column))
            made.append(value)


def _lex(line: str) -> Any:
    """A line read on its own (see above); raises `_Refuse` for what the scanner refuses."""
    rest = line.lstrip(" ")
    if not rest or rest[0] == "#":
        return _SKIP
    indent = len(line) - len(rest)
    dashes: tuple[int, ...] = ()
    while rest[0] == "-" and (len(rest) == 1 or rest[1] == " "):
        dashes += (len(line) - len(rest),)
        rest = rest[1:].lstrip(" ")
        if not rest or rest[0] == "#":  # a bare "-": the item is on the next lines
            return indent, dashes, _opens(dashes, None, 0), dashes[-1], None, _OPEN, None
    column = len(line) - len(rest)
    key, value = _key(rest)
    if key is None and not dashes:  # a scalar on a line of its own (a continuation...)
        raise _Refuse
    opens = _opens(dashes, key, column)
    if key is not None and (not value or value[0] == "#"):
        return indent, dashes, opens, column, key, _OPEN, None
    kind, parsed = _value(line, len(line) - len(value))
    return indent, dashes, opens, column, key, kind, parsed


def _opens(dashes: tuple[int, ...], key: str | None, column: int) -> tuple[tuple[int, bool], ...]:
    """The collections a list item opens before its content: a list at each dash after the
    first ("- - a"), then a mapping if it has a key ("- key: ..."): (indent, is a mapping)."""
    if not dashes:
        return ()
    lists = tuple((inner, False) for inner in dashes[1:])
    return (*lists, (column, True)) if key is not None else lists


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
    kind = _VALUE
    if char == "[" or char == "{":
        ops, end, depth = _flow_template(line, column)
        kind, value = _FLOW, (ops, depth)
    elif char == "|" or char == ">":
        if _BLOCK_HEADER.match(line, column) is None:
            raise _Refuse
        return _BLOCK, column
    elif char == "*":
        match = _ALIAS_NAME.match(line, column)
        if match is None:
            raise _Refuse
        kind, value, end = _ALIAS, match.group(1), match.end()
    elif char == "&":
        match = _ANCHOR_NAME.match(line, column)
        if match is None:
            raise _Refuse
        end = match.end()
        if end == len(line) or line[end] == "#":
            return _ANCHOR, (match.group(1), _OPEN, None)
        inner = _value(line, end)
        if inner[0] == _ALIAS or inner[0] == _ANCHOR:
            raise _Refuse
        return _ANCHOR, (match.group(1), *inner)
    else:
        value, end = _scalar(line, column, False)
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


# The nodes of a one-line flow collection, as `_flow_template` lists them: (path below the
# collection, 1-based column, kind, value (for a leaf), index of the parent node).
_F_MAP, _F_SEQ, _F_LEAF = range(3)
_FLOW_NODES_MAX = 10_000


def _flow_template(line: str, column: int) -> tuple[tuple[Any, ...], int, int]:
    """The flow collection that opens at `column` and closes on the same line: its nodes (see
    above), the column after it, and the depth of its deepest collection below it."""
    ops: list[tuple[Any, ...]] = []
    # Open collections: (node index, path below the outer one, keys so far (None: a list), [items so far]).
    stack: list[tuple[int, FieldPath, set[str] | None, list[int]]] = []
    depth = 0
    i = column
    suffix: FieldPath = ()
    at, parent = column + 1, -1  # the node that starts at i
    while True:
        char = line[i]
        if char == "[" or char == "{":
            ops.append((suffix, at, _F_MAP if char == "{" else _F_SEQ, None, parent))
            stack.append((len(ops) - 1, suffix, set() if char == "{" else None, [0]))
            depth = max(depth, len(suffix))
            i += 1
            want_item = True  # an item or the closing bracket
        else:
            value, i = _scalar(line, i, True)
            ops.append((suffix, at, _F_LEAF, value, parent))
            want_item = False  # "," or the closing bracket
        while True:  # closing brackets and commas up to the next item
            i = _SPACES.match(line, i).end()
            if i >= len(line):
                raise _Refuse  # continues on the next line
            parent, base, seen, count = stack[-1]
            if line[i] == ("}" if seen is not None else "]"):
                stack.pop()
                i += 1
                if not stack:
                    return tuple(ops), i, depth
                want_item = False
            elif want_item:
                break
            elif line[i] == ",":
                i += 1
                want_item = True
            else:
                raise _Refuse
        if len(ops) > _FLOW_NODES_MAX:
            raise _Refuse
        at = i + 1
        if seen is not None:  # "key: value"
            key, i = _flow_key(line, i)
            if key in seen:  # a duplicate key: the slow path reports it
                raise _Refuse
            seen.add(key)
            suffix = (*base, key)
        else:
            suffix = (*base, count[0])
            count[0] += 1


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
