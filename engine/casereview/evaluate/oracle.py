"""The oracle: a small, obviously-correct Python evaluator of the condition IR.

Every test diffs durable_rules against it, and it takes over a case whose durable worker
crashed. It must follow exactly the semantics documented in `packs/conditions.py`.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from typing import Any

from ..packs.compiled import CompiledRule
from ..packs.conditions import All, AnyOf, Cmp, Cond, Const, In, Not, Present
from ..packs.uncertain import HAS_UNKNOWN, bound_source, flagged
from .model import EvalResult, Match
from .parameters import ParameterValues

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


Predicate = Callable[[dict[str, Any]], bool]


def predicate(cond: Cond) -> Predicate:
    """`cond` as a Python function of a fact: `predicate(c)(fact) == holds(c, fact)`, same
    exceptions included, without walking the condition tree for every fact (tests check it)."""
    if isinstance(cond, Cmp):
        return _comparison(cond)
    if isinstance(cond, In):
        field, values = cond.field, cond.values
        return lambda fact: field in fact and fact[field] in values
    if isinstance(cond, Present):
        field, present = cond.field, cond.present
        return (lambda fact: field in fact) if present else (lambda fact: field not in fact)
    if isinstance(cond, All | AnyOf):
        parts = tuple(predicate(item) for item in cond.items)
        if len(parts) == 1:
            return parts[0]
        if len(parts) == 2:
            a, b = parts
            if isinstance(cond, All):
                return lambda fact: a(fact) and b(fact)
            return lambda fact: a(fact) or b(fact)
        if isinstance(cond, All):
            return lambda fact: all(part(fact) for part in parts)
        return lambda fact: any(part(fact) for part in parts)
    if isinstance(cond, Not):
        inner = predicate(cond.item)
        return lambda fact: not inner(fact)
    if isinstance(cond, Const):
        value = cond.value
        return lambda fact: value
    raise TypeError(f"unknown condition {cond!r}")


def _comparison(cond: Cmp) -> Predicate:
    field, source, op = cond.field, bound_source(cond.field), _OPS[cond.op]

    def read(fact: dict[str, Any], name: str, bound: str | None) -> Any:
        value = fact.get(name, _ABSENT)
        if value is _ABSENT and bound is not None:
            return fact.get(bound, _ABSENT)
        return value

    if cond.ref is None:
        value, text = cond.value, isinstance(cond.value, str)

        def compare(fact: dict[str, Any]) -> bool:
            left = read(fact, field, source)
            if left is _ABSENT:
                return False
            if isinstance(left, str) != text:
                raise TypeError(f"类型不一致：{field}={left!r} 与 {value!r}")
            return op(left, value)

        return compare
    ref = cond.ref
    ref_field, ref_source, times, plus = ref.field, bound_source(ref.field), ref.times, ref.plus

    def compare_ref(fact: dict[str, Any]) -> bool:
        left = read(fact, field, source)
        if left is _ABSENT:
            return False
        ref_value = read(fact, ref_field, ref_source)
        if ref_value is _ABSENT:
            return False
        right = ref_value * times + plus
        if isinstance(left, str) != isinstance(right, str):
            raise TypeError(f"类型不一致：{field}={left!r} 与 {right!r}")
        return op(left, right)

    return compare_ref


class RulePredicates:
    """A rule's forms as functions, each built on first use (a one-file check evaluates few).
    On a fact without unknowns the decided form is the rule as written, on a fact with
    unknowns its definite form (packs/uncertain.py `decided`), so each fact evaluates only the
    forms that can match it."""

    def __init__(self, rule: CompiledRule):
        self.rule = rule

    @functools.cached_property
    def when(self) -> Predicate:
        return predicate(self.rule.when)

    @functools.cached_property
    def definite(self) -> Predicate:
        return predicate(self.rule.definite)

    @functools.cached_property
    def undecided(self) -> Predicate:
        return predicate(self.rule.undecided)

    def decided(self, fact: dict[str, Any]) -> bool:
        return self.definite(fact) if fact[HAS_UNKNOWN] else self.when(fact)


class OracleEngine:
    name = "oracle"

    def __init__(self, rules: Iterable[CompiledRule]):
        self._by_kind: dict[str, list[RulePredicates]] = {}
        rules = list(rules)
        self._parameters = ParameterValues(rules)
        for rule in rules:
            self._by_kind.setdefault(rule.kind, []).append(RulePredicates(rule))

    def evaluate(self, facts: list[dict[str, Any]]) -> EvalResult:
        result = EvalResult(engine=self.name)
        facts = flagged(facts)
        self._parameters.apply(facts)
        matches, errors = result.matches, result.errors
        for fact in facts:
            unknowns, fid = fact[HAS_UNKNOWN], fact["fid"]
            for rule in self._by_kind.get(fact["kind"], ()):
                try:
                    if rule.definite(fact) if unknowns else rule.when(fact):
                        matches.append(Match(rule.rule.rule_id, fid))
                    if unknowns and rule.undecided(fact):  # both, as durable_rules reports them
                        matches.append(Match(rule.rule.rule_id, fid, True))
                except Exception as exc:  # a rule that cannot be evaluated is a finding, never silence
                    errors.append(f"{rule.rule.rule_id} @ {fid}: {exc}")
        return result
