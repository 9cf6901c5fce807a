"""A parsed input document: its data, how it was decoded, and where each field is."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.unknown import may_hold_marker
from .errors import InputError, InputRejected
from .fastvalidate import may_be_padded
from .fastyaml import YamlPositions, parse_yaml_fast
from .jsonpos import JsonLocator, json_positions, parse_json
from .paths import FieldPath, format_path, parse_path
from .reader import DEFAULT_MAX_BYTES, decode_bytes, read_bytes
from .yamlpos import DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, Positions, parse_yaml

CASE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class SourceDoc:
    """One input file after decoding and parsing (not yet validated)."""

    path: str
    data: dict[str, Any]
    encoding: str
    notes: list[str] = field(default_factory=list)
    format: str = "yaml"  # "yaml" or "json"
    _positions: Positions | None = field(default=None, repr=False, compare=False)
    _json_text: str | None = field(default=None, repr=False, compare=False)
    _json_locator: JsonLocator | None = field(default=None, repr=False, compare=False)
    _located: dict[str, tuple[int | None, int | None]] = field(
        default_factory=dict, repr=False, compare=False
    )
    markers: bool = True  # whether it may hold an unknown marker (else validated without looking)
    # whether a string may begin or end with white space (else validated without stripping);
    # None: not known yet
    padded: bool | None = None

    @property
    def positions(self) -> Positions:
        """Field path tuple -> (line, column), 1-based (computed on first use for JSON)."""
        if self._positions is None:
            try:
                self._positions = json_positions(self._json_text)[0] if self._json_text is not None else {}
            except Exception:  # positions are a convenience; never fail because of them
                self._positions = {}
            self._json_text = None
        return self._positions

    def locate(self, field_path: str | Iterable[str | int]) -> tuple[int | None, int | None]:
        """(line, column) of a field such as ``"decision.penalties[0].amount"`` or its tuple.

        If the exact field is absent (e.g. a missing field), the nearest enclosing field that
        exists is used; ``(None, None)`` if nothing is known.
        """
        if type(self._positions) is YamlPositions:  # most YAML files: walk down this path
            return self._positions.locate(parse_path(field_path))
        if self._positions is None and self._json_text is not None:
            # a JSON file: walk down to this field alone instead of placing every value
            if self._json_locator is None:
                self._json_locator = JsonLocator(self._json_text)
            # findings (which name fields as text) often point at the same field
            found = self._located.get(field_path) if isinstance(field_path, str) else None
            if found is None:
                try:
                    found = self._json_locator.locate(parse_path(field_path))
                except Exception:  # positions are a convenience; never fail because of them
                    found = None, None
                if isinstance(field_path, str):
                    self._located[field_path] = found
            return found
        return locate_in(self.positions, parse_path(field_path))


def locate_in(positions: Positions, path: FieldPath) -> tuple[int | None, int | None]:
    if type(positions) is YamlPositions:  # the YAML fast path's: walked down this path alone
        return positions.locate(path)
    for n in range(len(path), -1, -1):
        found = positions.get(path[:n])
        if found is not None:
            return found
    return None, None


def parse_text(
    text: str,
    file: str,
    *,
    fmt: str,
    encoding: str = "utf-8",
    notes: list[str] | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    markers: bool = True,
    utf8: bytes | None = None,
    controls: bool = True,
) -> SourceDoc:
    """Parse decoded text (``fmt`` "yaml" or "json"); the top level must be a mapping.
    `markers`: False if the text is known to hold no unknown marker (`may_hold_marker`);
    `utf8`: the text's UTF-8 encoding, if at hand; `controls`: False if a JSON text was decoded
    without looking for control characters (`reader.decode_bytes`)."""
    if fmt == "json":
        data, locator, encoded = parse_json(text, file, utf8, controls)
        doc = SourceDoc(
            file, data, encoding, list(notes or []), "json", _json_text=text, _json_locator=locator
        )
        if encoded is not None:  # the data's strings as they are, escapes undone
            doc.padded = may_be_padded(encoded)
            # a text without escapes holds the data's strings as they are
            markers = markers and may_hold_marker(encoded.decode() if "\\" in text else text)
    else:
        parsed = parse_yaml_fast(text, file, max_nodes=max_nodes, max_depth=max_depth)
        if parsed is None:  # not in the subset the fast path handles: the full parser
            parsed = parse_yaml(text, file, max_nodes=max_nodes, max_depth=max_depth)
        data, positions = parsed
        doc = SourceDoc(file, data, encoding, list(notes or []), "yaml", positions)
        if type(positions) is YamlPositions and not positions.padded:  # else looked at if needed
            doc.padded = False
        elif "|" in text or ">" in text:  # may hold a block scalar, which ends with a line break
            doc.padded = True  # not worth encoding the data to find out (`data_may_be_padded`)
    if not isinstance(data, dict):
        raise InputRejected([InputError(file, 1, 1, None, _not_a_mapping(data))])
    doc.markers = markers
    # raw control characters are refused by the reader: only an escape sequence can make one
    bad = _unprintable(data, ()) if "\\" in text else None
    if bad is not None:
        path, char = bad
        line, column = locate_in(doc.positions, path)
        message = f"含有不可见的控制字符或无效字符 U+{ord(char):04X}（可能来自转义序列），请删除后重新导出"
        raise InputRejected([InputError(file, line, column, format_path(path) or None, message)])
    return doc


# C0 controls other than tab/LF/CR, DEL, and lone surrogates (from "\ud800"-style escapes):
# they cannot be written to Excel or XML reports and never belong in a case record
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _unprintable(value: Any, path: FieldPath) -> tuple[FieldPath, str] | None:
    """The first string (key or value) holding a character no report can carry."""
    if isinstance(value, str):
        found = _UNPRINTABLE.search(value)
        return (path, found.group()) if found else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (found := _UNPRINTABLE.search(key)):
                return path, found.group()
            hit = _unprintable(item, (*path, key))
            if hit is not None:
                return hit
    elif isinstance(value, list):
        for i, item in enumerate(value):
            hit = _unprintable(item, (*path, i))
            if hit is not None:
                return hit
    return None


def read_document(
    path: Path | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    data: bytes | None = None,
) -> SourceDoc:
    """Read, decode and parse a YAML or JSON file (by suffix: ``.json`` is JSON, else YAML);
    `data`: its bytes, already read (by `reader.read_bytes`, with the same size limit).

    Raises `InputRejected` with Chinese messages; never anything else for bad input.
    """
    file = str(path)
    name = os.path.basename(file)  # `Path(path).suffix.lower() == ".json"`, ~4x faster:
    fmt = "json" if len(name) > 5 and name[-5:].lower() == ".json" else "yaml"
    # a JSON file is looked at for markers once parsed, and for control characters by its parse
    # (`parse_json`): JSON refuses all but one of them, found ~20x faster alone
    look = fmt != "json"
    if data is None:
        data = read_bytes(path, max_bytes=max_bytes)
    if _read is not None:
        note_read(file, data)
    decoded = decode_bytes(data, file, markers=look, controls=look)
    _keep_text(file, decoded.text)
    try:
        doc = parse_text(
            decoded.text,
            file,
            fmt=fmt,
            encoding=decoded.encoding,
            notes=decoded.notes,
            max_nodes=max_nodes,
            max_depth=max_depth,
            markers=decoded.markers,
            utf8=decoded.utf8,
            controls=look,
        )
    except InputRejected:
        raise
    except MemoryError:
        raise InputRejected(
            [InputError(file, None, None, None, "文件过大或结构过于复杂，内存不足")]
        ) from None
    except Exception as exc:  # a parser bug must not stop a batch
        raise InputRejected(
            [InputError(file, None, None, None, f"无法解析文件（内部错误 {type(exc).__name__}：{exc}）")]
        ) from None
    if type(doc._positions) is YamlPositions and file in _recent:  # the fast path split the text
        _recent[file] = (decoded.text, doc._positions.lines)
    return doc


# The bytes of each document read (`read_document`), by file, in the order read: kept only for a
# caller that stores the very bytes it had reviewed (`campaign create`: `keep_read_bytes`), taken
# back by it (`take_read_bytes`); None (a plain review) keeps nothing.
_read: dict[str, list[bytes]] | None = None


def keep_read_bytes(keep: bool) -> None:
    """From now on keep (True) the bytes of each document this process reads, until taken, or
    stop keeping them and drop those not taken (False). Worker processes forked meanwhile keep
    them too."""
    global _read
    _read = {} if keep else None


def note_read(file: str, data: bytes) -> None:
    """Keep `data` as read of `file`, if keeping (`keep_read_bytes`): `read_document`'s reads, and
    a result-cache hit's (its result is about the bytes hashed, not about a second read)."""
    if _read is not None:
        _read.setdefault(file, []).append(data)


def take_read_bytes(file: str) -> bytes | None:
    """The bytes `read_document` read of `file` (the first not yet taken, if it read it more than
    once), no longer kept; None if none are kept (not keeping, or the file was not read: refused
    before its bytes were, e.g. too large or not a regular file)."""
    if _read is None:
        return None
    kept = _read.get(file)
    if not kept:
        return None
    data = kept.pop(0)
    if not kept:
        del _read[file]
    return data


# The decoded texts of the documents read last, oldest first (`recent_text`): a worker makes the
# pages of a whole chunk (up to `runner.LARGEST_CHUNK` files) after reviewing all of it, and
# reading and decoding a file again for its excerpts cost ~40-90 µs a file. Each text is kept
# with its lines when the YAML fast path split it (`recent_lines`), else None.
_RECENT_FILES = 64
_RECENT_CHARS = 4_000_000  # a few MB at most
_recent: dict[str, tuple[str, list[str] | None]] = {}
_recent_chars = 0


def _keep_text(file: str, text: str) -> None:
    global _recent_chars
    old = _recent.pop(file, None)
    if old is not None:
        _recent_chars -= len(old[0])
    _recent[file] = (text, None)
    _recent_chars += len(text)
    while len(_recent) > _RECENT_FILES or _recent_chars > _RECENT_CHARS:
        _recent_chars -= len(_recent.pop(next(iter(_recent)))[0])


def recent_text(file: str) -> str | None:
    """The decoded text (line endings normalised to \\n) of `file` if it is one of the last
    documents this process read: a report made right after the review shows excerpts of the text
    reviewed without reading and decoding the file again."""
    kept = _recent.get(file)
    return kept[0] if kept is not None else None


def recent_lines(file: str) -> list[str] | None:
    """`recent_text(file).splitlines()` (None: not kept), without splitting the text again when
    the YAML fast path did (~9 µs a file): that path takes only texts without the other line
    breaks `splitlines` knows (CR, VT, FF, FS, GS, RS, NEL, LS, PS; `fastyaml._NOT_YAML`), so its
    `split("\\n")` differs only by the empty string after a final line break."""
    kept = _recent.get(file)
    if kept is None:
        return None
    text, lines = kept
    if lines is None:
        return text.splitlines()
    return lines[:-1] if lines[-1] == "" else lines[:]


def _not_a_mapping(data: Any) -> str:
    if data is None:
        return "文件为空（没有任何内容）"
    kind = "列表" if isinstance(data, list) else "单个值"
    return f"文件顶层必须是映射（“字段: 值”的形式，如 case: …），实际为{kind}"
