"""Three-valued rules: what a condition means when some of the facts it reads are unknown.

A fact field the derive step could not compute exactly (the exporter marked an input
未载明, or a date is known only to the month) is absent from the fact and flagged
`<field>__unk`, with the interval it lies in as `<field>__lo` / `<field>__hi` (±`UNBOUNDED`
when a side is open). For an exactly known number or date, `<field>__lo` and `<field>__hi`
read the field itself (both back ends resolve them that way, see `bound_source`).

Every rule condition C is compiled into two forms of the same IR, so durable_rules and the
oracle evaluate both and agree by construction:
- `definitely(C)`: true only if C holds for every value the unknown fields may take. The
  rule's own finding (veto, deduction …) fires on this alone: an unknown fact never causes
  a veto or a deduction;
- `possibly(C)`: true if C holds for some value. Where C is possibly but not definitely
  true, the rule gives a 待人工评查 finding naming the missing facts (evaluate/findings.py).

On a fact without unknowns both equal C, so a complete case file is judged as before. The
IR's convention that a comparison on a truly absent field is false is kept: absence is not
unknown.
"""

from __future__ import annotations

import functools
import itertools
import operator

from .conditions import PARAM_PREFIX, All, AnyOf, Cmp, Cond, In, Not, Present, Ref

UNK = "__unk"
LO = "__lo"
HI = "__hi"
HAS_UNKNOWN = "has_unknown"  # on every fact with at least one uncertain field
UNBOUNDED = 10**15  # an open side of an interval (dates are ordinals ~ 7e5, money < 1e12)


def bound_source(name: str) -> str | None:
    """The field a bound reads when the fact has no explicit bound (the exact value)."""
    if name.endswith(LO) or name.endswith(HI):
        return name[: -len(LO)]
    return None


def _other(bound: str) -> str:
    return HI if bound == LO else LO


def _ref_bound(ref: Ref, bound: str) -> Ref:
    """The reference at the bound that makes `times * value + plus` lowest (LO) or highest (HI)."""
    side = bound if ref.times >= 0 else _other(bound)
    return Ref(ref.field + side, ref.times, ref.plus)


def _bounded_leaf(cond: Cmp, boundable: frozenset[str], sure: bool) -> Cond:
    """A comparison on numbers or dates, read on the bounds (sure: for all values; else: some)."""
    x, op = cond.field, cond.op
    ref = cond.ref

    def left(bound: str) -> str:
        return x + bound

    def right(bound: str) -> Ref | None:
        return _ref_bound(ref, bound) if ref is not None else None

    def cmp(bound_left: str, o: str, bound_right: str) -> Cmp:
        return Cmp(left(bound_left), o, cond.value, right(bound_right))  # type: ignore[arg-type]

    if op in ("gt", "gte"):
        return cmp(LO, op, HI) if sure else cmp(HI, op, LO)
    if op in ("lt", "lte"):
        return cmp(HI, op, LO) if sure else cmp(LO, op, HI)
    if op == "eq":
        if sure:
            return All((cmp(LO, "gte", HI), cmp(HI, "lte", LO)))
        return All((cmp(LO, "lte", HI), cmp(HI, "gte", LO)))
    # ne
    if sure:
        return AnyOf((cmp(LO, "gt", HI), cmp(HI, "lt", LO)))
    return AnyOf((cmp(LO, "lt", HI), cmp(HI, "gt", LO)))


def _fields(cond: Cmp | In | Present) -> tuple[str, ...]:
    if isinstance(cond, Cmp) and cond.ref is not None:
        return (cond.field, cond.ref.field)
    return (cond.field,)


def _scalar_leaf(cond: Cmp | In, sure: bool) -> Cond:
    """A comparison on codes, flags or text: unknown values have no bounds."""
    if sure:
        return cond
    fields = _fields(cond)
    if len(fields) == 1:
        return AnyOf((cond, unknown_flag(fields[0])))
    any_unknown = AnyOf(tuple(unknown_flag(f) for f in fields))
    each_there = tuple(AnyOf((Present(f), unknown_flag(f))) for f in fields)
    return AnyOf((cond, All((any_unknown, *each_there))))


def _leaf(cond: Cmp, boundable: frozenset[str], sure: bool) -> Cond:
    numeric = cond.field in boundable and not isinstance(cond.value, bool | str)
    # a parameter compared with a number or date is one (packs/compile.py checks its values)
    if numeric and (
        cond.ref is None or cond.ref.field in boundable or cond.ref.field.startswith(PARAM_PREFIX)
    ):
        return _bounded_leaf(cond, boundable, sure)
    return _scalar_leaf(cond, sure)


def definitely(cond: Cond, boundable: frozenset[str]) -> Cond:
    """True only where `cond` holds whatever the unknown fields are."""
    if isinstance(cond, Cmp):
        return _leaf(cond, boundable, sure=True)
    if isinstance(cond, In):
        return cond
    if isinstance(cond, Present):
        if cond.present:
            return cond
        return All((cond, unknown_flag(cond.field, False)))
    if isinstance(cond, All):
        return All(tuple(definitely(i, boundable) for i in cond.items))
    if isinstance(cond, AnyOf):
        return AnyOf(tuple(definitely(i, boundable) for i in cond.items))
    if isinstance(cond, Not):
        return Not(possibly(cond.item, boundable))
    return cond


def possibly(cond: Cond, boundable: frozenset[str]) -> Cond:
    """True where `cond` holds for some value of the unknown fields."""
    if isinstance(cond, Cmp):
        return _leaf(cond, boundable, sure=False)
    if isinstance(cond, In):
        return _scalar_leaf(cond, sure=False)
    if isinstance(cond, Present):
        if cond.present:
            return AnyOf((cond, unknown_flag(cond.field)))
        return cond
    if isinstance(cond, All):
        return All(tuple(possibly(i, boundable) for i in cond.items))
    if isinstance(cond, AnyOf):
        return AnyOf(tuple(possibly(i, boundable) for i in cond.items))
    if isinstance(cond, Not):
        return Not(definitely(cond.item, boundable))
    return cond


def unknown_flag(name: str, value: bool = True) -> Cmp:
    """`<field>__unk == value`: a fact with unknowns carries the flag for every field (true or
    false), so no form needs a "missing" test (durable_rules pushes every unmatched `$nex` node
    on a 64-entry stack per fact: error 303 with the shipped packs)."""
    return Cmp(name + UNK, "eq", value=value)


def not_even_partly_known(name: str) -> Cond:
    """`name` (a number or date) is absent, or unknown without a bound: a date known to the
    month lies in that month, so it is not "unknown" for a rule that asks whether it is known."""
    return All((Present(name, False), Not(Cmp(name + LO, "gt", value=-UNBOUNDED))))


def complete_form(cond: Cond) -> Cond:
    """`cond` on a fact without unknowns (exactly the rule as written)."""
    return All((Cmp(HAS_UNKNOWN, "eq", value=False), cond))


def definite_form(cond: Cond, boundable: frozenset[str]) -> Cond:
    """`cond` for every value the unknown facts of a fact with unknowns may take."""
    return All((Cmp(HAS_UNKNOWN, "eq", value=True), definitely(cond, boundable)))


def decided(cond: Cond, boundable: frozenset[str]) -> Cond:
    """The rule's own finding: the complete form or, on a fact with unknowns, the definite form."""
    return AnyOf((complete_form(cond), definite_form(cond, boundable)))


def undecided(cond: Cond, boundable: frozenset[str]) -> Cond:
    """The review form: the fact has unknowns and `cond` may hold (findings drop it where the
    definite form matched the same fact)."""
    return All((Cmp(HAS_UNKNOWN, "eq", value=True), possibly(cond, boundable)))


@functools.cache
def boundable_fields(kind: str) -> frozenset[str]:
    """Fields of a fact kind that are numbers or dates (read on their bounds)."""
    from ..derive.vocabulary import fields_of

    try:
        fields = fields_of(kind)
    except KeyError:
        return frozenset()
    return frozenset(name for name, spec in fields.items() if spec.type in ("int", "number", "date"))


def flagged(facts: list[dict]) -> list[dict]:
    """Facts as the rule forms read them: a fact built without `has_unknown` (by hand, in tests
    or tools) has no unknowns."""
    if all(map(operator.contains, facts, itertools.repeat(HAS_UNKNOWN))):
        return facts
    return [fact if HAS_UNKNOWN in fact else {**fact, HAS_UNKNOWN: False} for fact in facts]
