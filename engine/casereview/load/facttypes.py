"""Circumstance facts (``violations[].facts``) checked against the types the loaded benchmark
tables declare for them (``variables: {locations_count: {type: int}}``).

The case format cannot know these types (tables are data, loaded with the rules), so the check
runs when a file is reviewed with a rule book. A value of the wrong type would otherwise be
compared anyway — durable_rules compares a string with a number as strings (``'两处' >= 3``
holds), the oracle does not — so the engines would disagree and a tier would be chosen on
text. Wrong types, NaN and infinities are input errors naming file, line and field, never a
silent pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .errors import InputError

_EXPECTED = {"int": "整数", "number": "数值", "bool": "是/否（true/false）", "str": "文字"}


def declared_fact_types(book: Any) -> dict[str, tuple[str, str]]:
    """name -> (type, label) over every benchmark table of the book (computed once per book)."""
    cached = book.__dict__.get("_fact_types")
    if cached is not None:
        return cached
    declared: dict[str, tuple[str, str]] = {}
    tables = getattr(book, "tables", None)
    for table in tables.of("benchmark") if tables is not None else ():
        for item in table.items:
            for name, variable in item.variables.items():
                known = declared.get(name)
                if known is None or {known[0], variable.type} == {"int", "number"}:
                    kind = "number" if known is not None else variable.type
                    declared[name] = (kind, variable.label)
    book.__dict__["_fact_types"] = declared
    return declared


def _fits(value: Any, kind: str) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    return True


def check_fact_types(
    case: Any,
    file: str,
    declared: dict[str, tuple[str, str]],
    locate: Callable[[tuple[Any, ...]], tuple[int | None, int | None]],
) -> list[InputError]:
    problems = []
    for i, violation in enumerate(case.violations):
        for name, value in violation.facts.items():
            if type(value).__name__ == "Unknown":
                continue  # an exporter's 未载明 marker: unknown, not a wrong type
            if isinstance(value, float) and not math.isfinite(value):
                message, shown = "不是有效的数值（NaN 或无穷大）", repr(value)
            else:
                kind, label = declared.get(name, ("", ""))
                if not kind or _fits(value, kind):
                    continue
                message = f"应为{_EXPECTED.get(kind, kind)}" + (f"（{label}）" if label else "")
                shown = f"'{value}'" if isinstance(value, str) else repr(value)
            # located only on a problem: a JSON file's positions are computed on first use
            line, column = locate(("violations", i, "facts", name))
            problems.append(InputError(file, line, column, f"violations[{i}].facts.{name}", message, shown))
    return problems
