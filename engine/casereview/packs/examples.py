"""Run rule examples: a base case from `rules/examples/`, edited, must (not) give the rule's code.

Used by the test-suite (every rule's failing and passing examples, on both back ends) and by
maintainers before they publish a pack change.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..derive.facts import Derived, derive
from ..evaluate.findings import Finding, build_findings
from ..evaluate.model import EvalResult
from ..load import read_document
from ..model.case import CaseFile
from ..model.roster import Roster
from .loader import RuleBook
from .schema import ExampleCase

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for name, index in _STEP.findall(path):
        steps.append(int(index) if index else name)
    return steps


def _parent(data: Any, steps: list[str | int]) -> Any:
    node = data
    for step in steps[:-1]:
        node = node[step]
    return node


def apply_example(base: dict[str, Any], example: ExampleCase) -> dict[str, Any]:
    data = copy.deepcopy(base)
    # removals first, highest index first, so indices in the example refer to the base case
    for path in sorted(example.remove, key=lambda p: parse_path(p), reverse=True):
        steps = parse_path(path)
        del _parent(data, steps)[steps[-1]]
    for path, value in example.set.items():
        steps = parse_path(path)
        parent = _parent(data, steps)
        if value is None and isinstance(parent, dict):
            parent.pop(steps[-1], None)
        else:
            parent[steps[-1]] = copy.deepcopy(value)
    for path, items in example.append.items():
        steps = parse_path(path)
        parent = _parent(data, steps)
        target = parent.setdefault(steps[-1], []) if isinstance(parent, dict) else parent[steps[-1]]
        target.extend(copy.deepcopy(items))
    return data


@cache
def _read_yaml(path: Path) -> Any:
    # the project's loader: keys such as `on:` stay strings (PyYAML's YAML 1.1 makes them booleans)
    return read_document(path).data


@dataclass
class ExampleOutcome:
    code: str
    expect_fail: bool
    index: int
    ok: bool
    detail: str
    note: str | None


def review_example(
    book: RuleBook, example: ExampleCase, engine: Any
) -> tuple[list[Finding], Derived, EvalResult]:
    """Apply an example to its base case and review it (no file, no location lookup)."""
    examples_dir = book.root / "examples"
    data = apply_example(_read_yaml(examples_dir / f"{example.base}.yaml"), example)
    case = CaseFile.model_validate(data)
    roster = Roster.model_validate(_read_yaml(examples_dir / (example.roster or "roster.yaml")))
    derived = derive(case, roster, tables=book.tables)
    result = engine.evaluate(derived.facts)
    findings = build_findings(
        book, result, derived.facts, derived.sources, "example", lambda _p: (None, None)
    )
    return findings, derived, result


def run_example(
    book: RuleBook, code: str, example: ExampleCase, expect_fail: bool, engine: Any
) -> tuple[bool, str]:
    findings, _derived, result = review_example(book, example, engine)
    hits = [f for f in findings if f.code == code]
    others = sorted({f.code for f in findings if f.code != code})
    if expect_fail:
        ok = bool(hits)
        detail = hits[0].message if hits else f"未触发 {code}（其他：{', '.join(others) or '无'}）"
    else:
        ok = not hits
        detail = f"误触发：{hits[0].message}" if hits else "未触发"
    if result.errors:
        ok, detail = False, f"规则执行出错：{result.errors}"
    return ok, detail


def run_rule_examples(book: RuleBook, engine: Any, codes: list[str] | None = None) -> list[ExampleOutcome]:
    outcomes = []
    for code, definition in sorted(book.rules.items()):
        if codes and code not in codes:
            continue
        rule = definition.rule
        for expect_fail, examples in ((True, rule.examples.fail), (False, rule.examples.passing)):
            for i, example in enumerate(examples):
                try:
                    ok, detail = run_example(book, code, example, expect_fail, engine)
                except Exception as exc:
                    ok, detail = False, f"示例无法运行：{type(exc).__name__}: {exc}"
                outcomes.append(ExampleOutcome(code, expect_fail, i, ok, detail, example.note))
    return outcomes
