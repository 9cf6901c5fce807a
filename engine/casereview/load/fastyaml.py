"""A fast path for `parse_yaml`: the same ``(data, positions)`` for plain block-style files.

`parse_yaml` drives libyaml's event stream from Python and costs about as much as
``yaml.load(CSafeLoader)``. Case files are almost always written in a small subset of YAML:
block mappings and sequences, one-line plain or quoted scalars, one-line flow collections
(``{name: 张明, cert: "3601…"}``, ``[v1, v2]``), block scalars (``|``, ``>-``), comments, and
the anchors and aliases PyYAML's dumper writes for shared values (``on: &id001 2024-05-30`` …
``decided_on: *id001``). For such a file two independent parses are made and cross-checked:

* a line scanner here (string methods, one pass, indentation tracked by hand) builds the data
  the way `parse_yaml` does -- plain scalars resolved by PyYAML's own YAML 1.1 implicit
  resolvers and `SafeConstructor` functions (``2024-05-30`` a date, ``yes`` True, ``010`` 8),
  quoted scalars as strings, keys as their source text (``on:``, ``1:`` give ``"on"``, ``"1"``)
  -- and records each field's 1-based (line, column) exactly as `parse_yaml` records it (a
  mapping entry at its key, a list item at the item, the root ``()`` at its first key);
* `ryaml` (serde_yaml over unsafe-libyaml, a Rust port of the libyaml behind PyYAML's
  ``CSafeLoader``) parses the same text into Python objects.

The two results must then be equal (one ``==`` in C over the whole tree: every mapping, list,
key and scalar). Where YAML 1.1 and ryaml's YAML 1.2 are known to disagree -- a plain scalar
PyYAML reads as a date, a ``yes``/``on``-style boolean or an ``010``/``1_000``/``1:20``-style
number, which ryaml keeps as the string -- the comparison is made with the scanner's source
text in that place; where ryaml resolved a key (``1:`` -> 1) its key must sit at the same place
and be a plain spelling of it. Only the strings the scanner does not decode (double-quoted
with escapes, block scalars) are taken from ryaml as they are. So every path, key and value
has been read the same way by two parsers written independently; any disagreement, anything
the scanner does not understand, and any error from ryaml returns None, and the caller runs
`parse_yaml`, which keeps every behaviour and every error message. A bug in either parser costs
speed (a fallback), not a wrong result. (Positions are the scanner's alone -- ryaml has none --
but they belong to nodes both parsers found in the same places; the tests compare them with
`parse_yaml`'s on every sample and a generated corpus.)

Each line is read on its own first (`_lex`: indentation, dashes, key, value and its YAML 1.1
resolution), and that reading is kept in a bounded per-process cache keyed by the line's text:
the files of a batch repeat most of their lines (keys, enumerations, officers, dates), so a
batch costs about half as much per file as a first file. The structure (which collection a line
belongs to, paths, positions) is worked out per file.

Sent to the slow path before ryaml sees the text: tags (ryaml drops them silently), merge keys
(ryaml does not apply them), directives and document markers (``%``, ``---``, ``...``), complex
keys (``? ``), tabs, line breaks other than ``\\n``, a BOM, duplicate keys (the slow path reports
both lines), aliases of an anchor that is still open (recursive) or undefined, values PyYAML
cannot construct (``2024-02-30``), more than `max_nodes` nodes (aliases counted expanded, as in
the slow path, so no alias bomb reaches ryaml) and nesting near `max_depth`. Also sent there
(correct, only slower): plain or quoted scalars continued on the next line, a scalar on the line
after its key, flow collections spanning lines or holding anchors, aliases, empty values,
``key:value`` without a space, or plain scalars containing ``:`` or ``#``; block scalars with an
indentation digit; keys with escapes or a `` #`` before the colon; plain scalars ryaml reads as
a number that PyYAML keeps as a string (``1e3``, ``0o10``, ``-.5``) and ``.nan``.

If `ryaml` cannot be imported, `parse_yaml_fast` always returns None.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

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

try:
    import ryaml as _ryaml

    _loads: Any = _ryaml.loads
except Exception:  # not installed, or a broken wheel: always use the slow path
    _loads = None

__all__ = ["parse_yaml_fast"]

# A place in the scanner's data whose value ryaml reads as the source text:
# (container, key or index, source text, YAML 1.1 value).
Swap = tuple[Any, Any, str, Any]

# Characters that may need the slow path (found in few files), then the exact refusals: tabs,
# line breaks other than "\n" (libyaml also breaks lines at CR, NEL, LS and PS), a BOM,
# directives, document markers, merge keys, and tags and complex keys ("!" or "? " can only
# start one after a space, a flow indicator or at the start of a line: "注意!" is fine).
_SUSPECT = re.compile(r"[\t\r\x85\u2028\u2029\ufeff!?%<]")
_REFUSE = re.compile(r"[\t\r\x85\u2028\u2029\ufeff]|^(?:%|---|\.\.\.)|<<|(?:^|[ \[{,])(?:!|\?(?: |$))", re.M)

_NOT_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
_SERDE_FIRST = frozenset("0123456789+-.~")  # plain scalars ryaml may read as numbers or null
_SERDE_WORDS = frozenset(("null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"))

_QUOTED_KEY = re.compile(r"""(?:'((?:[^']|'')*)'|"([^"\\]*)") *:(?: +|$)""")
_SQ_SCALAR = re.compile(r"'((?:[^']|'')*)'")
_DQ_SCALAR = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FLOW_PLAIN = re.compile(r"(?:[^ \-?:,\[\]{}#&*!|>'\"%@`]|-(?=[^ ,\[\]{}]))[^,\[\]{}:#]*")
_BLOCK_HEADER = re.compile(r"[|>][-+]?(?: +#.*| *)$")
_END = re.compile(r"(?: +#.*| *)$")  # what may follow a complete value on its line
_ANCHOR = re.compile(r"&([0-9A-Za-z_-]+)(?: +|$)")
_ALIAS = re.compile(r"\*([0-9A-Za-z_-]+)")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9]")

_BLOCK, _ANCHORED = 1, 2  # `_Scanner.value` results besides 0


class _Refuse(Exception):
    """The file is not in the subset handled here (or the two parses disagree)."""


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
    if _loads is None or None in _IMPLICIT:  # no ryaml, or a resolver for every scalar
        return None
    if _SUSPECT.search(text) is not None and _REFUSE.search(text) is not None:
        return None
    try:
        scan = _Scanner(max_nodes, max_depth, "&" in text)
        data = scan.run(text)
        if len(scan.positions) > max_nodes:
            return None
        theirs = _loads(text)
        if type(theirs) is not dict:
            return None
        if scan.captures:  # strings the scanner does not decode
            try:
                strings = [_get(theirs, path) for path in scan.captures]
            except (KeyError, IndexError, TypeError):  # keys ryaml resolved on the way?
                theirs = _rekey(theirs, data)
                strings = [_get(theirs, path) for path in scan.captures]
            for path, value in zip(scan.captures, strings, strict=True):
                if type(value) is not str:
                    return None
                _set(data, path, value)
        for container, slot, anchored, anchored_slot in scan.aliases:
            container[slot] = anchored[anchored_slot]  # the anchored object, as in parse_yaml
        swaps = scan.swaps
        for container, slot, source, _ in swaps:
            container[slot] = source
        try:
            same = data == theirs or data == _rekey(theirs, data)
        finally:
            for container, slot, _, value in swaps:
                container[slot] = value
        if not same:
            return None
    except Exception:  # _Refuse, ryaml's errors, anything unexpected: the slow path decides
        return None
    return data, scan.positions


class _Scanner:
    """The data and positions of a block-style document, read line by line."""

    def __init__(self, max_nodes: int, max_depth: int, anchors: bool) -> None:
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.positions: Positions = {}
        self.paths: list[FieldPath] | None = [] if anchors else None  # every path, in order
        # anchor name -> (path, its index in `paths`, container, slot, index in `swaps`)
        self.anchors: dict[str, tuple[FieldPath, int, Any, Any, int]] = {}
        self.aliases: list[tuple[Any, Any, Any, Any]] = []  # (container, slot, anchored container, slot)
        self.swaps: list[Swap] = []
        self.captures: list[FieldPath] = []  # strings taken from ryaml

    def node(self, path: FieldPath, at: tuple[int, int]) -> None:
        self.positions[path] = at
        if self.paths is not None:
            self.paths.append(path)

    def run(self, text: str) -> dict[str, Any]:
        """The data, filling in `positions` and the lists the cross-check needs."""
        positions = self.positions
        paths = self.paths
        swaps = self.swaps
        max_depth = self.max_depth
        cache = _LINES
        lex = _lex
        root: dict[str, Any] = {}
        # The innermost open block collection (indent, container, path) and those around it.
        indent_now = -1
        container: Any = None
        base: FieldPath = ()
        is_map = True
        stack: list[tuple[int, Any, FieldPath]] = []
        # A node whose content is on the next lines (after "key:", a bare "-" or an anchor):
        # (path, parent container, slot, indent of the parent, is a mapping value, position
        # if it is null (None: keep the recorded one), position at its content?)
        pending: tuple[FieldPath, Any, Any, int, bool, tuple[int, int] | None, bool] | None = None
        block_indent = -1  # >= 0: inside a block scalar owned by a collection at this indent
        content_indent = 0
        for number, line in enumerate(text.split("\n"), 1):
            if block_indent >= 0:
                rest = line.lstrip(" ")
                if not rest:
                    continue
                indent = len(line) - len(rest)
                if content_indent == 0:
                    if indent > block_indent:
                        content_indent = indent
                        continue
                elif indent >= content_indent:
                    continue
                if indent > block_indent:  # less indented than the content but still inside
                    raise _Refuse
                block_indent = -1
            lexed = cache.get(line)
            if lexed is None:
                lexed = lex(line)
                if len(cache) >= _LINES_MAX:
                    cache.clear()
                cache[line] = lexed
            if lexed is _SKIP:
                continue
            indent, dashes, column, key, kind, value, swap = lexed

            # Which collection does this line belong to?
            if pending is not None:
                path, parent, slot, parent_indent, is_value, null_at, at_content = pending
                pending = None
                if indent > parent_indent or (indent == parent_indent and dashes and is_value):
                    if len(path) >= max_depth - 1:
                        raise _Refuse
                    if at_content:
                        positions[path] = (number, indent + 1)
                    stack.append((indent_now, container, base))
                    container = parent[slot] = [] if dashes else {}
                    indent_now, base, is_map = indent, path, not dashes
                elif null_at is not None:  # nothing below: null
                    positions[path] = null_at
            elif container is None:  # the root: a block mapping
                if dashes:
                    raise _Refuse
                container, indent_now = root, indent
                self.node((), (number, indent + 1))
            if indent != indent_now:
                if indent > indent_now:  # deeper than a complete value: a continuation line
                    raise _Refuse
                while indent_now > indent:
                    indent_now, container, base = stack.pop()
                if indent_now != indent:
                    raise _Refuse
                is_map = type(container) is dict
                if len(positions) > self.max_nodes:
                    raise _Refuse

            if dashes:  # a list item (items nest: "- - a")
                if is_map:
                    raise _Refuse
                item = (*base, len(container))
                for inner in dashes[1:]:
                    if len(item) >= max_depth - 1:
                        raise _Refuse
                    new: Any = []
                    container.append(new)
                    self.node(item, (number, inner + 1))
                    stack.append((indent_now, container, base))
                    indent_now, container, base = inner, new, item
                    item = (*base, 0)
                if key is None:
                    if kind == _VALUE:
                        positions[item] = (number, column + 1)
                        if paths is not None:
                            paths.append(item)
                        container.append(value)
                        if swap is not None:
                            swaps.append((container, len(container) - 1, swap, value))
                    elif kind == _FLOW:
                        container.append(None)
                        self.place_flow(
                            value, item, container, len(container) - 1, (number, column + 1), number
                        )
                    elif kind == _OPEN:  # a bare "-": the item is on the next lines
                        container.append(None)
                        null_at = (number, indent_now + 2)
                        self.node(item, null_at)
                        pending = (item, container, len(container) - 1, indent_now, False, null_at, True)
                    else:
                        container.append(None)
                        slot = len(container) - 1
                        status = self.value(line, value, item, container, slot, number, None)
                        if status == _BLOCK:
                            block_indent, content_indent = indent_now, 0
                        elif status == _ANCHORED:
                            pending = (item, container, slot, indent_now, False, None, False)
                    continue
                # "- key: ...": the item is a mapping
                if len(item) >= max_depth - 1:
                    raise _Refuse
                new = {}
                container.append(new)
                self.node(item, (number, column + 1))
                stack.append((indent_now, container, base))
                indent_now, container, base, is_map = column, new, item, True
            elif not is_map:  # a key ends a sequence at its indent ("k:\n- a\nk2: b")
                indent_now, container, base = stack.pop()
                if indent_now != indent or type(container) is not dict:
                    raise _Refuse
                is_map = True

            # A mapping entry; its key starts at `column`.
            if key in container:  # a duplicate key: the slow path reports it
                raise _Refuse
            path = (*base, key)
            if kind == _VALUE:
                positions[path] = (number, column + 1)
                if paths is not None:
                    paths.append(path)
                container[key] = value
                if swap is not None:
                    swaps.append((container, key, swap, value))
            elif kind == _FLOW:
                self.place_flow(value, path, container, key, (number, column + 1), number)
            elif kind == _OPEN:  # "key:": the value is on the next lines (or null)
                container[key] = None
                self.node(path, (number, column + 1))
                pending = (path, container, key, indent_now, True, None, False)
            else:
                container[key] = None
                status = self.value(line, value, path, container, key, number, (number, column + 1))
                if status == _BLOCK:
                    block_indent, content_indent = indent_now, 0
                elif status == _ANCHORED:
                    pending = (path, container, key, indent_now, True, None, False)

        if pending is not None and pending[5] is not None:
            positions[pending[0]] = pending[5]
        if container is None:  # an empty document (or only comments)
            raise _Refuse
        return root

    def value(
        self,
        line: str,
        column: int,
        path: FieldPath,
        container: Any,
        slot: Any,
        number: int,
        at: tuple[int, int] | None,
    ) -> int:
        """The value node starting at `column`, stored at ``container[slot]``; `at` is its
        position (None: where it starts, or its anchor). Returns _BLOCK for a block scalar
        header (its content follows), _ANCHORED for an anchor that ends the line (its node
        follows), else 0."""
        char = line[column]
        anchor = None
        if char == "&":
            match = _ANCHOR.match(line, column)
            if match is None or self.paths is None:
                raise _Refuse
            anchor = match.group(1)
            if at is None:
                at = (number, column + 1)
            column = match.end()
            self.anchors[anchor] = (path, len(self.paths), container, slot, len(self.swaps))
            if column >= len(line) or line[column] == "#":
                self.node(path, at)
                return _ANCHORED
            char = line[column]
        if at is None:
            at = (number, column + 1)
        if char == "[" or char == "{":
            ops, end, depth = _flow_template(line, column)
            self.place_flow((ops, depth), path, container, slot, at, number)
        elif char == "'":
            match = _SQ_SCALAR.match(line, column)
            if match is None:
                raise _Refuse
            container[slot] = match.group(1).replace("''", "'")
            self.node(path, at)
            end = match.end()
        elif char == '"':
            match = _DQ_SCALAR.match(line, column)
            if match is None:
                raise _Refuse
            inner = match.group(1)
            if "\\" in inner:
                self.captures.append(path)
            else:
                container[slot] = inner
            self.node(path, at)
            end = match.end()
        elif char == "|" or char == ">":
            if _BLOCK_HEADER.match(line, column) is None:
                raise _Refuse
            self.captures.append(path)
            self.node(path, at)
            return _BLOCK
        elif char == "*":
            match = _ALIAS.match(line, column)
            if match is None or anchor is not None or _END.match(line, match.end()) is None:
                raise _Refuse
            self.alias(match.group(1), path, container, slot, at)
            return 0
        else:
            if char in _NOT_PLAIN_START and (
                char not in "-?:" or column + 1 >= len(line) or line[column + 1] == " "
            ):
                raise _Refuse
            text = line[column:]
            cut = text.find(" #")
            if cut >= 0:
                text = text[:cut]
            text = text.rstrip(" ")
            if ": " in text or text[-1] == ":":
                raise _Refuse
            self.plain(text, container, slot)
            self.node(path, at)
            end = len(line)
        if _END.match(line, end) is None:
            raise _Refuse
        return 0

    def plain(self, text: str, container: Any, slot: Any) -> None:
        if text[0] in _IMPLICIT:
            value, swap = _resolve(text)
            container[slot] = value
            if swap:
                self.swaps.append((container, slot, text, value))
        else:
            container[slot] = text

    def alias(self, name: str, path: FieldPath, container: Any, slot: Any, at: tuple[int, int]) -> None:
        """``*name``: the anchored node's entries again under `path`, as `parse_yaml` records
        them; its value is set once the anchored node is complete, see `parse_yaml_fast`."""
        found = self.anchors.get(name)
        paths = self.paths
        if found is None or paths is None:
            raise _Refuse
        target, first, anchored, anchored_slot, swap_index = found
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
        self.aliases.append((container, slot, anchored, anchored_slot))
        swaps = self.swaps
        if (
            swap_index < len(swaps)
            and swaps[swap_index][0] is anchored
            and swaps[swap_index][1] == anchored_slot
        ):
            _, _, source, value = swaps[swap_index]  # an anchored scalar: compared as its text too
            swaps.append((container, slot, source, value))

    def place_flow(
        self,
        template: tuple[tuple[Any, ...], int],
        path: FieldPath,
        container: Any,
        slot: Any,
        at: tuple[int, int],
        number: int,
    ) -> None:
        """A flow collection read by `_flow_template`, stored at ``container[slot]`` with
        position `at`; its contents are on line `number`."""
        ops, depth = template
        if len(path) + depth >= self.max_depth - 1:
            raise _Refuse
        positions, paths = self.positions, self.paths
        made: list[Any] = []
        for suffix, column, kind, value, swap, parent in ops:
            if kind == _F_MAP:
                value = {}
            elif kind == _F_SEQ:
                value = []
            if parent < 0:  # the collection itself
                here, owner, key = path, container, slot
                owner[key] = value
                positions[here] = at
            else:
                here, owner = path + suffix, made[parent]
                if type(owner) is list:
                    key = len(owner)
                    owner.append(value)
                else:
                    key = suffix[-1]
                    owner[key] = value
                positions[here] = (number, column)
            if paths is not None:
                paths.append(here)
            made.append(value)
            if swap is not None:
                self.swaps.append((owner, key, swap, value))
            elif kind == _F_CAPTURE:
                self.captures.append(here)


# The nodes of a one-line flow collection, as `_flow_template` lists them: (path below the
# collection, 1-based column, kind, value, swap (as in `_lex`), index of the parent node).
_F_MAP, _F_SEQ, _F_LEAF, _F_CAPTURE = range(4)  # _F_CAPTURE: a string taken from ryaml
_FLOW_NODES_MAX = 10_000


def _flow_template(line: str, column: int) -> tuple[tuple[Any, ...], int, int]:
    """The flow collection that opens at `column` and closes on the same line: its nodes (see
    above), the column after it, and the depth of its deepest collection below it."""
    is_map = line[column] == "{"
    ops: list[tuple[Any, ...]] = [((), column + 1, _F_MAP if is_map else _F_SEQ, None, None, -1)]
    # Open collections: (node index, path below the outer one, keys so far (None: a list)).
    stack: list[tuple[int, FieldPath, set[str] | None]] = [(0, (), set() if is_map else None)]
    counts = [0]  # items so far, per open collection
    depth = 0
    i = column + 1
    n = len(line)
    after_item = False  # an item is complete: "," or the closing bracket must follow
    while stack:
        while i < n and line[i] == " ":
            i += 1
        if i >= n:
            raise _Refuse  # continues on the next line
        char = line[i]
        index, base, seen = stack[-1]
        if char == ("}" if seen is not None else "]"):
            stack.pop()
            counts.pop()
            i += 1
            after_item = True
            continue
        if after_item:
            if char != ",":
                raise _Refuse
            i += 1
            after_item = False
            continue
        if len(ops) > _FLOW_NODES_MAX:
            raise _Refuse
        if seen is not None:  # "key: value"
            start = i
            if char == "'":
                match = _SQ_SCALAR.match(line, i)
                if match is None:
                    raise _Refuse
                key = match.group(1).replace("''", "'")
            elif char == '"':
                match = _DQ_SCALAR.match(line, i)
                if match is None or "\\" in match.group(1):
                    raise _Refuse
                key = match.group(1)
            else:
                match = _FLOW_PLAIN.match(line, i)
                if match is None:
                    raise _Refuse
                key = match.group().rstrip(" ")
            i = match.end()
            while i < n and line[i] == " ":
                i += 1
            if i + 1 >= n or line[i] != ":" or line[i + 1] != " ":
                raise _Refuse
            i += 2
            while i < n and line[i] == " ":
                i += 1
            if i >= n or line[i] in ",}]" or key in seen:
                raise _Refuse  # an empty value, or a duplicate key
            seen.add(key)
            suffix: FieldPath = (*base, key)
            at = start + 1
        else:
            suffix = (*base, counts[-1])
            counts[-1] += 1
            at = i + 1
        char = line[i]
        if char == "[" or char == "{":
            is_map = char == "{"
            ops.append((suffix, at, _F_MAP if is_map else _F_SEQ, None, None, index))
            stack.append((len(ops) - 1, suffix, set() if is_map else None))
            counts.append(0)
            depth = max(depth, len(suffix))
            i += 1
            continue
        if char == "'":
            match = _SQ_SCALAR.match(line, i)
            if match is None:
                raise _Refuse
            ops.append((suffix, at, _F_LEAF, match.group(1).replace("''", "'"), None, index))
        elif char == '"':
            match = _DQ_SCALAR.match(line, i)
            if match is None:
                raise _Refuse
            inner = match.group(1)
            if "\\" in inner:
                ops.append((suffix, at, _F_CAPTURE, None, None, index))
            else:
                ops.append((suffix, at, _F_LEAF, inner, None, index))
        else:
            match = _FLOW_PLAIN.match(line, i)
            if match is None:
                raise _Refuse
            text = match.group().rstrip(" ")
            if text[0] in _IMPLICIT:
                value, swap = _resolve(text)
                ops.append((suffix, at, _F_LEAF, value, text if swap else None, index))
            else:
                ops.append((suffix, at, _F_LEAF, text, None, index))
        i = match.end()
        after_item = True
    return tuple(ops), i, depth


# What `_lex` makes of a line (it depends on nothing else, so it is cached across files):
# _SKIP for a blank or comment line, else (indent, columns of its "- " dashes, column of its
# key or item content, the key (None for an item's scalar), kind, value, swap) where kind is
# _VALUE (a one-line scalar: `value` is its YAML 1.1 value; `swap` its source text if ryaml
# reads that instead, else None), _OPEN (nothing follows: the node is on the next lines) or
# _FLOW (a one-line flow collection: `value` is its `_flow_template` and depth) or _COMPLEX
# (`value` is the column where `_Scanner.value` must read it).
_VALUE, _OPEN, _FLOW, _COMPLEX = range(4)
_FLOW_LINE_MAX = 400  # longer flow lines are read where they are used, not kept
_SKIP: Any = ()
_LINES: dict[str, Any] = {}
_LINES_MAX = 20_000


def _lex(line: str) -> Any:
    """A line read on its own (see above); raises `_Refuse` for what the scanner refuses."""
    rest = line.lstrip(" ")
    if not rest or rest[0] == "#":
        return _SKIP
    indent = len(line) - len(rest)
    char = rest[0]
    dashes: tuple[int, ...] = ()
    if char == "-" and (len(rest) == 1 or rest[1] == " "):
        columns = []
        while char == "-" and (len(rest) == 1 or rest[1] == " "):
            columns.append(len(line) - len(rest))
            rest = rest[1:].lstrip(" ")
            if not rest or rest[0] == "#":  # a bare "-"
                return indent, tuple(columns), columns[-1], None, _OPEN, None, None
            char = rest[0]
        dashes = tuple(columns)
    column = len(line) - len(rest)

    # A key? ("key: value", "key:", "'key': value")
    key: str | None = None
    if char not in _NOT_PLAIN_START or (char in "-?:" and len(rest) > 1 and rest[1] != " "):
        key, colon, value = rest.partition(": ")
        if colon:
            value = value.lstrip(" ")
        elif rest[-1] == ":":
            key = rest[:-1]
        else:
            key = None
        if key is not None:
            key = key.rstrip(" ")
            if " #" in key:  # a comment before the colon: not a key after all
                raise _Refuse
    elif char == "'" or char == '"':
        match = _QUOTED_KEY.match(rest)
        if match is not None:
            key = match.group(1)
            key = key.replace("''", "'") if key is not None else match.group(2)
            value = rest[match.end() :]
    if key is None:
        if not dashes:  # a scalar on a line of its own (a continuation...)
            raise _Refuse
        value = rest
    elif not value or value[0] == "#":
        return indent, dashes, column, key, _OPEN, None, None

    char = value[0]
    if char not in _NOT_PLAIN_START:  # a plain scalar
        cut = value.find(" #")
        if cut >= 0:
            value = value[:cut]
        value = value.rstrip(" ")
        if ": " in value or value[-1] == ":":
            raise _Refuse
        if char in _IMPLICIT:
            resolved, swap = _resolve(value)
            return indent, dashes, column, key, _VALUE, resolved, value if swap else None
        return indent, dashes, column, key, _VALUE, value, None
    if (
        (char == "'" or char == '"')
        and value[-1] == char
        and value.count(char) == 2
        and (char == "'" or "\\" not in value)
    ):  # 'text' or "text" alone (no '' or escapes, no comment)
        return indent, dashes, column, key, _VALUE, value[1:-1], None
    if (char == "[" or char == "{") and len(line) <= _FLOW_LINE_MAX:
        ops, end, depth = _flow_template(line, len(line) - len(value))
        if _END.match(line, end) is None:
            raise _Refuse
        return indent, dashes, column, key, _FLOW, (ops, depth), None
    if key is not None and char == "-" and (len(value) == 1 or value[1] == " "):
        raise _Refuse
    return indent, dashes, column, key, _COMPLEX, len(line) - len(value), None


def _rekey(theirs: Any, ours: Any) -> Any:
    """`theirs` with the keys ryaml resolved (``1:`` -> 1) replaced by the source text the
    scanner read at the same place in `ours`; mismatched structure raises `_Refuse`."""
    if type(theirs) is dict:
        if type(ours) is not dict or len(theirs) != len(ours):
            raise _Refuse
        new = {}
        changed = False
        for key, (their_key, value) in zip(ours, theirs.items(), strict=True):
            if type(their_key) is not str:
                if " " in key or not (key[0] in _SERDE_FIRST or key in _SERDE_WORDS):
                    raise _Refuse
                changed = True
            elif their_key != key:
                raise _Refuse
            fixed = _rekey(value, ours[key])
            changed = changed or fixed is not value
            new[key] = fixed
        return new if changed else theirs
    if type(theirs) is list:
        if type(ours) is not list or len(theirs) != len(ours):
            raise _Refuse
        fixed_items = [_rekey(value, mine) for value, mine in zip(theirs, ours, strict=True)]
        if any(a is not b for a, b in zip(fixed_items, theirs, strict=True)):
            return fixed_items
    return theirs


def _get(data: Any, path: FieldPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _set(data: Any, path: FieldPath, value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


_IMPLICIT = Loader.yaml_implicit_resolvers  # first character -> implicit resolvers (live)


@lru_cache(maxsize=4096)
def _resolve_cached(text: str) -> tuple[bool, Any, bool]:
    """(ok, the value ``yaml.safe_load`` gives the plain scalar `text`, whether ryaml reads
    it as the string `text` instead)."""
    resolver = _resolver()
    tag = resolver.resolve(ScalarNode, text, (True, False))
    if tag in (STR_TAG, VALUE_TAG):
        return True, text, False
    if tag not in _SCALAR_TAGS:  # e.g. "<<" as a value: parse_yaml reports it
        return False, None, False
    try:
        value = resolver.yaml_constructors[tag](resolver, ScalarNode(tag, text))
    except Exception:  # e.g. 2024-02-30: parse_yaml reports it
        return False, None, False
    if value is None:  # "", "~", "null", "Null", "NULL": ryaml's nulls too
        return True, None, False
    if type(value) is bool:  # ryaml knows true/false; yes, no, on, off stay strings
        return True, value, text not in _SERDE_WORDS
    if type(value) is int or type(value) is float:  # ryaml: "1_000", "010", "1:20" are strings
        return True, value, "_" in text or ":" in text or _LEADING_ZERO.match(text) is not None
    return True, value, True  # dates and times


@lru_cache(maxsize=1)
def _resolver() -> Any:
    return Loader("")


def _resolve(text: str) -> tuple[Any, bool]:
    """A plain scalar's value as ``yaml.safe_load`` gives it (immutable, so cached), and
    whether ryaml reads it as the string instead."""
    ok, value, swap = _resolve_cached(text)
    if not ok:
        raise _Refuse
    return value, swap
