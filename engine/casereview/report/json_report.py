"""The versioned JSON result (schema documented in docs/json-output.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .. import fastjson
from ..review import RESULT_SCHEMA_VERSION, CaseResult
from .masking import dumps_masked, mask_payload


def document(results: Iterable[CaseResult], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": "casereview.result",
        "schema_version": RESULT_SCHEMA_VERSION,
        **meta,
        "results": [r.model_dump(mode="json") for r in results],
    }


def dumps(results: Iterable[CaseResult], meta: dict[str, Any]) -> str:
    return json.dumps(document(results, meta), ensure_ascii=False, indent=2)


def write_stream(results: Iterable[CaseResult], meta: dict[str, Any], out: Any) -> None:
    """The same document, written result by result with pydantic's serializer (fast, flat memory)."""
    head = {"schema": "casereview.result", "schema_version": RESULT_SCHEMA_VERSION, **meta}
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "results": [')
    for i, result in enumerate(results):
        out.write(("," if i else "") + "\n" + result.model_dump_json())
    out.write("\n]}\n")


def write_value(out: Any, value: Any, mask: bool) -> None:
    """Write a JSON value to the binary stream `out` as UTF-8, piece by piece: mappings key by
    key, lists item by item (each item masked and encoded on its own), about 64 KB a write, so a
    100,000-file analysis never exists as one text or one masked copy. A list that several items
    share (the peer list of every outlier of one group) is encoded once."""
    writer = _Chunks(out)
    _write(writer, value, mask, b"")
    writer.flush()


class _Chunks:
    """Pieces written to `out` ~64 KB at a time (a write per piece was ~3,000 system calls for
    the analysis of 10,000 files)."""

    __slots__ = ("out", "pieces", "size")

    def __init__(self, out: Any) -> None:
        self.out, self.pieces, self.size = out, [], 0

    def add(self, piece: bytes) -> None:
        self.pieces.append(piece)
        self.size += len(piece)
        if self.size >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.pieces:
            self.out.write(b"".join(self.pieces))
            self.pieces.clear()
            self.size = 0


_CHUNK = 64 * 1024


def _write(out: _Chunks, value: Any, mask: bool, indent: bytes) -> None:
    inner = indent + b"  "
    if isinstance(value, dict) and value:
        out.add(b"{")
        for i, (key, item) in enumerate(value.items()):
            out.add((b"," if i else b"") + b"\n" + inner + _encoded(str(key), False) + b": ")
            _write(out, item, mask, inner)
        out.add(b"\n" + indent + b"}")
    elif isinstance(value, list) and value:
        out.add(b"[")
        shared: dict[int, bytes] = {}
        first = b"\n" + inner
        for i, item in enumerate(value):
            out.add((b"," + first if i else first) + _encoded_item(item, mask, shared))
        out.add(b"\n" + indent + b"]")
    else:
        out.add(_encoded(value, mask))


def _encoded(value: Any, mask: bool) -> bytes:
    """Compact JSON of `value` (masked: as `dumps_masked`), as UTF-8: from orjson's bytes, with
    neither a decode nor an encode of the text."""
    try:
        data = fastjson.orjson.dumps(value)
    except (AttributeError, TypeError):  # no orjson, or an integer beyond 64 bits
        return (dumps_masked(value) if mask else fastjson.dumps(value)).encode()
    return mask_payload(data) if mask else data


def _encoded_item(item: Any, mask: bool, shared: dict[int, bytes]) -> bytes:
    """`_encoded(item, mask)`, with a mapping's list and mapping values encoded through `shared`
    (by identity: they outlive the write; every outlier of a peer group holds the group's peer
    list and group) and its floats unmasked (masking never changes a float, but one of 11+
    digits, as most outliers' `deviation`, made the whole text a masking candidate). Compact
    JSON of a mapping is its members' texts joined, and masking changes single tokens only, so
    the text is the same."""
    if not isinstance(item, dict):
        return _encoded(item, mask)
    for value in item.values():  # a loop, not any(): most items (ranking rows) hold no list
        if isinstance(value, list) and value:
            break
    else:
        return _encoded(item, mask)
    pieces: list[bytes] = []
    others: dict[str, Any] = {}  # the other members between two of those, encoded together
    for key, part in item.items():
        if key.__class__ is not str:
            return _encoded(item, mask)
        kind = part.__class__
        if kind is float:
            data = _encoded(part, False)
        elif kind is dict or (kind is list and part):
            data = shared.get(id(part))
            if data is None:
                data = shared[id(part)] = _encoded(part, mask)
        else:
            others[key] = part
            continue
        if others:
            pieces.append(_encoded(others, mask)[1:-1])
            others = {}
        pieces.append(_encoded(key, False) + b":" + data)
    if others:
        pieces.append(_encoded(others, mask)[1:-1])
    return b"{" + b",".join(pieces) + b"}"
