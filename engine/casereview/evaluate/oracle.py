"""The oracle: a small, obviously-correct Python evaluator of the condition IR.

Every test diffs durable_rules against it, and it takes over a case whose durable worker
crashed. It must follow exactly the semantics documented in `packs/conditions.py`.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

from ..packs.compiled import CompiledRule
from ..packs.conditions import All, AnyOf, Cmp, Cond, Const, In, Not, Present
from .model import EvalResult, Match

_OPS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


def holds(cond: Cond, fact: dict[str, Any]) -> bool:
    if isinstance(cond, Cmp):
        if cond.field not in fact:
            return False
        left = fact[cond.field]
        if cond.ref is None:
            right = cond.value
        else:
            if cond.ref.field not in fact:
                return False
            right = fact[cond.ref.field] * cond.ref.times + cond.ref.plus
        if isinstance(left, str) != isinstance(right, str):
            raise TypeError(f"类型不一致：{cond.field}={left!r} 与 {right!r}")
        return _OPS[cond.op](left, right)
    if isinstance(cond, In):
        return cond.field in fact and fact[cond.field] in cond.values
    if isinstance(cond, Present):
        return (cond.field in fact) == cond.present
    if isinstance(cond, All):
        return all(holds(item, fact) for item in cond.items)
    if isinstance(cond, AnyOf):
        return any(holds(item, fact) for item in cond.items)
    if isinstance(cond, Not):
        return not holds(cond.item, fact)
    if isinstance(cond, Const):
        return cond.value
    raise TypeError(f"unknown condition {cond!r}")


class OracleEngine:
    name = "oracle"

    def __init__(self, rules: Iterable[CompiledRule]):
        self._by_kind: dict[str, list[CompiledRule]] = {}
        for rule in rules:
            self._by_kind.setdefault(rule.kind, []).append(rule)

    def evaluate(self, facts: list[dict[str, Any]]) -> EvalResult:
        result = EvalResult(engine=self.name)
        for fact in facts:
            for rule in self._by_kind.get(fact["kind"], ()):
                try:
                    if holds(rule.when, fact):
                        result.matches.append(Match(rule.rule_id, fact["fid"]))
                except Exception as exc:  # a rule that cannot be evaluated is a finding, never silence
                    result.errors.append(f"{rule.rule_id} @ {fact['fid']}: {exc}")
        return result
