"""The versioned JSON result (schema documented in docs/json-output.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .. import fastjson
from ..review import RESULT_SCHEMA_VERSION, CaseResult
from .masking import dumps_masked


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


def write_value(out: Any, value: Any, mask: bool, indent: str = "") -> None:
    """Write a JSON value piece by piece: mappings key by key, lists item by item (each item
    masked and encoded on its own), so a 100,000-file analysis never exists as one string or
    one masked copy. A list that several items share (the peer list of every outlier of one
    group) is encoded once."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        out.write("{")
        for i, (key, item) in enumerate(value.items()):
            out.write(("," if i else "") + f"\n{inner}{fastjson.dumps(str(key))}: ")
            write_value(out, item, mask, inner)
        out.write(f"\n{indent}}}")
    elif isinstance(value, list) and value:
        out.write("[")
        shared: dict[int, str] = {}
        for i, item in enumerate(value):
            out.write(("," if i else "") + f"\n{inner}" + _encoded_item(item, mask, shared))
        out.write(f"\n{indent}]")
    else:
        out.write(_encoded(value, mask))


def _encoded(value: Any, mask: bool) -> str:
    return dumps_masked(value) if mask else fastjson.dumps(value)


def _encoded_item(item: Any, mask: bool, shared: dict[int, str]) -> str:
    """`_encoded(item, mask)`, with a mapping's list values encoded through `shared` (by
    identity: the lists outlive the write). Compact JSON of a mapping is its members' texts
    joined, and masking changes single tokens only, so the text is the same."""
    if not isinstance(item, dict) or not any(isinstance(v, list) and v for v in item.values()):
        return _encoded(item, mask)
    if not all(isinstance(k, str) for k in item):
        return _encoded(item, mask)
    pieces: list[str] = []
    others: dict[str, Any] = {}  # members between two lists, encoded together
    for key, part in item.items():
        if not (isinstance(part, list) and part):
            others[key] = part
            continue
        if others:
            pieces.append(_encoded(others, mask)[1:-1])
            others = {}
        text = shared.get(id(part))
        if text is None:
            text = shared[id(part)] = _encoded(part, mask)
        pieces.append(f"{fastjson.dumps(key)}:{text}")
    if others:
        pieces.append(_encoded(others, mask)[1:-1])
    return "{" + ",".join(pieces) + "}"
