"""Which derived facts the review can use, found from the compiled rules (no rule is known here).

After the engines, a fact is read only where a rule matched it (findings quote and locate the
matched fact), so a fact no rule can match need not be built. Every match of a rule passes the
equality tests its condition makes in all cases (`necessary_tests`): a fact without unknowns
that fails one of them for every rule of its kind is matched by neither engine (both evaluate
the same condition IR, and the complete form of a rule is its condition as written). Facts
with unknowns are always built: their rules' forms read the unknown flags.

A rule added to a pack is in the compiled rules, so facts it may match are built again; a test
this module cannot decide (a value of another type than the tested ones) keeps the fact.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..memo import remember
from ..packs.compiled import CompiledRule
from ..packs.conditions import All, Cmp, Cond, Const, In

# field → the values it must equal (an absent field equals nothing: packs/conditions.py)
Tests = dict[str, frozenset[Any]]
MEMO_SIZE = 4096  # distinct tested values kept per filter (a batch has a few dozen)


def necessary_tests(cond: Cond) -> Tests | None:
    """The equality tests every fact that satisfies `cond` passes; None: `cond` never holds.

    Only the conjunction's own `==` and `in` tests count; anything else (a disjunction, an
    order, a negation) adds no test, which only keeps more facts."""
    if isinstance(cond, Const):
        return {} if cond.value else None
    if isinstance(cond, In):
        return {cond.field: frozenset(cond.values)}
    if isinstance(cond, Cmp):
        return {cond.field: frozenset((cond.value,))} if cond.op == "eq" and cond.ref is None else {}
    if not isinstance(cond, All):
        return {}
    out: Tests = {}
    for item in cond.items:
        tests = necessary_tests(item)
        if tests is None:
            return None
        for name, values in tests.items():
            out[name] = out[name] & values if name in out else values
    return out


def _passes(value: Any, allowed: frozenset[Any]) -> bool:
    """Whether `value` may pass an equality test against `allowed` (None: absent, never)."""
    if value is None:
        return False
    try:
        if value in allowed:
            return True
    except TypeError:  # an unhashable value: the engines decide
        return True
    # a value of another type than every tested one: the engines decide (the oracle refuses it)
    text = isinstance(value, str)
    return not any(isinstance(v, str) == text for v in allowed)


class FactNeeds:
    """Per fact kind, the necessary tests of each rule; filters for facts without unknowns."""

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        self._rules = list(rules)
        self._guards: dict[str, list[Tests]] = {}
        self._shared_names: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
        self._filters: dict[tuple[Any, ...], Callable[[tuple[Any, ...]], bool] | None] = {}

    def __getstate__(self) -> dict[str, Any]:
        # the filters are closures (not pickled); all of it is rebuilt from the rules at first use
        return {"_rules": self._rules, "_guards": {}, "_shared_names": {}, "_filters": {}}

    def guards(self, kind: str) -> list[Tests]:
        found = self._guards.get(kind)
        if found is None:
            tests = (necessary_tests(rule.when) for rule in self._rules if rule.kind == kind)
            found = self._guards[kind] = [t for t in tests if t is not None]
        return found

    def complete_filter(
        self, kind: str, probe: tuple[str, ...], shared: Mapping[str, Any]
    ) -> Callable[[tuple[Any, ...]], bool] | None:
        """For facts of `kind` without unknowns whose fields `probe` vary and whose other fields
        are those of `shared` (a field not in it is absent): a test of the `probe` values, False
        when no rule can match the fact; None when every such fact may match."""
        names = self._shared_names.get((kind, probe))
        if names is None:
            tests = self.guards(kind)
            names = self._shared_names[(kind, probe)] = tuple(
                sorted({name for t in tests for name in t if name not in probe})
            )
        key = (kind, probe, *map(shared.get, names))
        try:
            return self._filters[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable shared value
            return None
        live = [
            {name: values for name, values in tests.items() if name in probe}
            for tests in self.guards(kind)
            if all(_passes(shared.get(name), values) for name, values in tests.items() if name not in probe)
        ]
        # a rule with no test left on the probe may match any such fact: no filter
        found = (_filter(live, probe) if live else _never) if all(live) else None
        return remember(self._filters, key, found, MEMO_SIZE)


def _never(values: tuple[Any, ...]) -> bool:
    return False


def _filter(live: list[Tests], probe: tuple[str, ...]) -> Callable[[tuple[Any, ...]], bool]:
    """`live` (each rule's tests on `probe` fields) as a test of the probed values, memoised."""
    tested = sorted({name for tests in live for name in tests})
    positions = [probe.index(name) for name in tested]
    pick = operator.itemgetter(*positions) if len(positions) > 1 else (lambda values: (values[positions[0]],))
    checks = [[(tested.index(name), values) for name, values in tests.items()] for tests in live]
    memo: dict[tuple[Any, ...], bool] = {}

    def may_match(values: tuple[Any, ...]) -> bool:
        key = pick(values)
        try:
            return memo[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: built, and the engines decide
            return True
        found = any(all(_passes(key[i], values) for i, values in rule) for rule in checks)
        return remember(memo, key, found, MEMO_SIZE)

    return may_match


def fact_needs(book: Any) -> FactNeeds:
    """The book's `FactNeeds`, built once per book (asked for every file)."""
    needs = book.__dict__.get("_fact_needs")
    if needs is None:
        needs = book.__dict__["_fact_needs"] = FactNeeds(book.compiled)
    return needs
