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
from ..packs.uncertain import HAS_UNKNOWN, bound_source, flagged
from .model import EvalResult, Match

_OPS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


_ABSENT = object()


def _bound(fact: dict[str, Any], name: str) -> Any:
    """`x__lo`/`x__hi` of an exactly known `x` is `x` itself (packs/uncertain.py)."""
    source = bound_source(name)
    return fact.get(source, _ABSENT) if source is not None else _ABSENT


def holds(cond: Cond, fact: dict[str, Any]) -> bool:
    if isinstance(cond, Cmp):
        left = fact.get(cond.field, _ABSENT)
        if left is _ABSENT:
            left = _bound(fact, cond.field)
            if left is _ABSENT:
                return False
        if cond.ref is None:
            right = cond.value
        else:
            ref_value = fact.get(cond.ref.field, _ABSENT)
            if ref_value is _ABSENT:
                ref_value = _bound(fact, cond.ref.field)
                if ref_value is _ABSENT:
                    return False
            right = ref_value * cond.ref.times + cond.ref.plus
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
        facts = flagged(facts)
        for fact in facts:
            unknowns = fact.get(HAS_UNKNOWN)
            for rule in self._by_kind.get(fact["kind"], ()):
                try:
                    if holds(rule.decided, fact):
                        result.matches.append(Match(rule.rule_id, fact["fid"]))
                    if unknowns and holds(rule.undecided, fact):  # both, as durable_rules reports them
                        result.matches.append(Match(rule.rule_id, fact["fid"], True))
                except Exception as exc:  # a rule that cannot be evaluated is a finding, never silence
                    result.errors.append(f"{rule.rule_id} @ {fact['fid']}: {exc}")
        return result
