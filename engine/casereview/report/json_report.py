"""The versioned JSON result (schema documented in docs/json-output.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..review import RESULT_SCHEMA_VERSION, CaseResult


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
    one masked copy."""
    from .. import fastjson
    from .masking import dumps_masked

    inner = indent + "  "
    if isinstance(value, dict) and value:
        out.write("{")
        for i, (key, item) in enumerate(value.items()):
            out.write(("," if i else "") + f"\n{inner}{fastjson.dumps(str(key))}: ")
            write_value(out, item, mask, inner)
        out.write(f"\n{indent}}}")
    elif isinstance(value, list) and value:
        out.write("[")
        for i, item in enumerate(value):
            encoded = dumps_masked(item) if mask else fastjson.dumps(item)
            out.write(("," if i else "") + f"\n{inner}" + encoded)
        out.write(f"\n{indent}]")
    else:
        out.write(dumps_masked(value) if mask else fastjson.dumps(value))
