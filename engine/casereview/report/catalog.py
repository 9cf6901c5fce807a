"""The rules a machine-readable report describes (SARIF `rules`, one JUnit testcase per rule).

Taken from `meta["rulebook"]` when the caller passes the loaded RuleBook; otherwise the built-in
rules are loaded if their version is the one the results were produced with; otherwise only the
rules that fired (from the findings themselves) are known.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..review import CaseResult


@lru_cache(maxsize=1)
def _default_book() -> Any:
    from ..packs.loader import load_rulebook

    try:
        return load_rulebook(None)
    except Exception:
        return None


def rule_catalog(results: list[CaseResult], meta: dict[str, Any]) -> dict[str, dict[str, Any]]:
    book = meta.get("rulebook")
    if book is None:
        candidate = _default_book()
        if candidate is not None and candidate.version == meta.get("rules_version"):
            book = candidate
    catalog: dict[str, dict[str, Any]] = {}
    if book is not None:
        for code, definition in sorted(book.rules.items()):
            rule = definition.rule
            catalog[code] = {
                "title": rule.title,
                "severity": str(rule.severity),
                "category": rule.category,
                "explain": (rule.explain or "").strip(),
                "basis": [b.cite() for b in rule.basis],
            }
    for result in results:
        for f in result.findings:
            catalog.setdefault(
                f.code,
                {
                    "title": f.title,
                    "severity": f.severity,
                    "category": f.category,
                    "explain": "",
                    "basis": list(f.basis),
                },
            )
    return dict(sorted(catalog.items()))
