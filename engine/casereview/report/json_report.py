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
