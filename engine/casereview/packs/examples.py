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
from ..evaluate.findings import Finding, NotRun, build_findings
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
    kind: str = ""  # fail / pass / unknown

    def __post_init__(self) -> None:
        if not self.kind:
            self.kind = "fail" if self.expect_fail else "pass"


def review_example(
    book: RuleBook, example: ExampleCase, engine: Any, not_run: list[NotRun] | None = None
) -> tuple[list[Finding], Derived, EvalResult]:
    """Apply an example to its base case and review it (no file, no location lookup)."""
    examples_dir = book.root / "examples"
    data = apply_example(_read_yaml(examples_dir / f"{example.base}.yaml"), example)
    case = CaseFile.model_validate(data)
    roster = Roster.model_validate(_read_yaml(examples_dir / (example.roster or "roster.yaml")))
    derived = derive(case, roster, tables=book.tables)
    result = engine.evaluate(derived.facts)
    findings = build_findings(
        book,
        result,
        derived.facts,
        derived.sources,
        "example",
        lambda _p: (None, None),
        not_run,
        acts=derived.acts,
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


def run_unknown_example(book: RuleBook, code: str, example: ExampleCase, engine: Any) -> tuple[bool, str]:
    """An `unknown` example marks a fact the rule reads 未载明: the rule must not give its own
    finding; it gives its 待人工评查 item (or, with `unknown: {mode: note}`, lists the check as
    not run), naming the missing fact."""
    not_run: list[NotRun] = []
    findings, _derived, result = review_example(book, example, engine, not_run)
    hits = [f for f in findings if f.code == code]
    decided = [f for f in hits if not f.unknown]
    if result.errors:
        return False, f"规则执行出错：{result.errors}"
    if decided:
        return False, f"事实未载明时仍给出了{decided[0].severity_label}：{decided[0].message}"
    review = [f for f in hits if f.unknown]
    if review:
        return True, review[0].message
    listed = [n for n in not_run if n.code == code]
    if listed and book.rules[code].unknown.mode == "note":
        return True, f"列为未能进行的检查：{listed[0].reason}"
    others = sorted({f.code for f in findings if f.unknown})
    return False, f"未给出 {code} 的待人工评查事项（其他因事实未载明的事项：{', '.join(others) or '无'}）"


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
        for i, example in enumerate(rule.examples.unknown):
            try:
                ok, detail = run_unknown_example(book, code, example, engine)
            except Exception as exc:
                ok, detail = False, f"示例无法运行：{type(exc).__name__}: {exc}"
            outcomes.append(ExampleOutcome(code, False, i, ok, detail, example.note, "unknown"))
    return outcomes
