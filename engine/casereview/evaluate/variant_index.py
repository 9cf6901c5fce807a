"""Which of a kind's Python-side rule forms can match a fact, found by an index, not by trying each.

A fact with unknowns meets the table variants (one per statutory clause, tier or list item:
hundreds of rules, `durable_engine.review_in_python`) in Python. Nearly every variant makes
equality tests (`basis_article == 99`: derive/needs.py `necessary_tests`) that a fact must pass
in every form — the definite and review forms (packs/uncertain.py) require them too — unless the
tested field is itself unknown on the fact. So the variants are kept by the value of their most
discriminating tested field, and a fact is tried only against those whose value it has, those
without such a test, and all of a field's variants when that field is unknown.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from typing import Any

from ..derive.needs import necessary_tests
from .oracle import RulePredicates


class VariantIndex:
    """One kind's Python-side forms, by the value of one field each tests for equality."""

    def __init__(self, forms: Iterable[RulePredicates]):
        tested = [(form, necessary_tests(form.rule.when)) for form in forms]
        # the field telling most variants apart (basis_article, not penalty_type) keeps groups small
        spread: dict[str, set[Any]] = {}
        for _form, tests in tested:
            for name, values in (tests or {}).items():
                spread.setdefault(name, set()).update(values)
        self.unindexed: list[RulePredicates] = []
        self.by_value: dict[str, dict[Any, list[RulePredicates]]] = {}
        for form, tests in tested:
            if not tests:  # no equality test (or none it can pass: kept, the forms decide)
                self.unindexed.append(form)
                continue
            name = max(tests, key=lambda n: (len(spread[n]), n))
            groups = self.by_value.setdefault(name, {})
            for value in tests[name]:
                groups.setdefault(value, []).append(form)

    def candidates(self, fact: dict[str, Any], unknown: Container[str]) -> Iterator[RulePredicates]:
        """The forms that may match `fact` (`unknown`: the names of its unknown fields)."""
        yield from self.unindexed
        for name, groups in self.by_value.items():
            if name in unknown:
                seen: set[int] = set()  # a variant testing `in [a, b]` sits in two groups
                for group in groups.values():
                    for form in group:
                        if id(form) not in seen:
                            seen.add(id(form))
                            yield form
                continue
            value = fact.get(name)
            if value is not None:  # an absent field equals nothing (a dict finds 1 for 1.0: fine)
                yield from groups.get(value, ())
