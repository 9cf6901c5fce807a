"""Which of a kind's Python-side rule forms can match a fact, found by an index, not by trying each.

A fact with unknowns meets the table variants (one per statutory clause, tier or list item:
hundreds of rules, `durable_engine.review_in_python`) in Python. Nearly every variant requires
one field to equal a constant (`basis_article == 99`); a variant whose required value the fact
does not have cannot match in any form — its definite and review forms require that equality too
(packs/uncertain.py), unless the field itself is unknown on the fact. So the variants are kept
by (field, value), and a fact is tried only against those whose value it has, those without such
a condition, and all of a field's variants when that field is unknown.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from typing import Any

from ..packs.conditions import All, Cmp, Cond
from .oracle import RulePredicates


def required_equality(cond: Cond) -> tuple[str, Any] | None:
    """A (field, constant) the condition cannot hold without: the first `field == constant`
    reached through conjunctions only."""
    if isinstance(cond, Cmp):
        return (cond.field, cond.value) if cond.op == "eq" and cond.ref is None else None
    if isinstance(cond, All):
        for item in cond.items:
            found = required_equality(item)
            if found is not None:
                return found
    return None


class VariantIndex:
    """One kind's Python-side forms, by the equality each requires."""

    def __init__(self, forms: Iterable[RulePredicates]):
        self.unindexed: list[RulePredicates] = []
        self.by_value: dict[str, dict[Any, list[RulePredicates]]] = {}
        for form in forms:
            found = required_equality(form.rule.when)
            if found is None:
                self.unindexed.append(form)
            else:
                field, value = found
                self.by_value.setdefault(field, {}).setdefault(value, []).append(form)

    def candidates(self, fact: dict[str, Any], unknown: Container[str]) -> Iterator[RulePredicates]:
        """The forms that may match `fact` (`unknown`: the names of its unknown fields)."""
        yield from self.unindexed
        for field, groups in self.by_value.items():
            if field in unknown:
                for group in groups.values():
                    yield from group
                continue
            value = fact.get(field)
            if value is not None:  # an absent field equals nothing (a dict finds 1 for 1.0: fine)
                yield from groups.get(value, ())
