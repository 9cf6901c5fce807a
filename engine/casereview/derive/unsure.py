"""Values the derive step cannot compute exactly: unknown, or known to lie in an interval.

A derived value is an exact value, None (absent: the file does not contain it), or `Unsure`
(the exporter marked an input unknown, or a date is known only in part). `settle` writes an
`Unsure` onto a fact as `<field>__unk` plus optional `__lo`/`__hi` bounds and a reason, which
is what the three-valued rule forms of packs/uncertain.py read.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..model.unknown import PartialDate, Unknown
from ..packs.uncertain import HAS_UNKNOWN, HI, LO, UNBOUNDED, UNK

WHY = "__why"
ACTS_UNKNOWN = "执法环节记录（acts）未载明"


@dataclass(frozen=True, slots=True)
class Unsure:
    lo: int | None  # None: unbounded (also used for booleans and codes: no bounds)
    hi: int | None
    why: tuple[str, ...]


def unsure(*why: str, lo: int | None = None, hi: int | None = None) -> Unsure:
    return Unsure(lo, hi, tuple(why))


def why_of(*values: Any) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        if isinstance(value, Unsure):
            out.extend(w for w in value.why if w not in out)
    return tuple(out)


def is_unsure(value: Any) -> bool:
    return isinstance(value, Unsure)


def unknown_text(label: str, value: Any) -> str:
    """`立案日期（case.opened_on）未载明（原因）` / `…未记载`."""
    if isinstance(value, Unknown):
        return f"{label}{value.describe()}"
    if isinstance(value, PartialDate):
        return f"{label}仅知「{value.text}」"
    return f"{label}未记载"


def day(value: Any, label: str) -> int | Unsure | None:
    """A date as an ordinal day; a partial date as an interval; unknown as Unsure; None absent."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.toordinal()
    if isinstance(value, PartialDate):
        span = value.span()
        if span is None:
            return unsure(unknown_text(label, value))
        return unsure(unknown_text(label, value), lo=span[0].toordinal(), hi=span[1].toordinal())
    return unsure(unknown_text(label, value))


def required(value: Any, label: str) -> Any:
    """A value that a complete record always has: absent or marked unknown → Unsure."""
    if value is None or isinstance(value, Unknown):
        return unsure(unknown_text(label, value))
    return value


def code(value: Any, label: str) -> Any:
    """An enum's code; unknown → Unsure; absent → None."""
    if value is None or isinstance(value, Unsure):
        return value
    if isinstance(value, Unknown):
        return unsure(unknown_text(label, value))
    return value._value_  # the enum member's value without the property call


def plain(value: Any, label: str) -> Any:
    """A scalar as is; unknown → Unsure (with bounds for nothing); absent → None."""
    if isinstance(value, Unknown):
        return unsure(unknown_text(label, value))
    return value


def bounds(value: Any) -> tuple[int | None, int | None]:
    if isinstance(value, Unsure):
        return value.lo, value.hi
    return value, value


def compare(left: Any, right: Any, strict: bool) -> bool | Unsure | None:
    """left < right (strict) or left <= right, three-valued; None if either is absent."""
    if left is None or right is None:
        return None
    if not isinstance(left, Unsure) and not isinstance(right, Unsure):
        return left < right if strict else left <= right
    l_lo, l_hi = bounds(left)
    r_lo, r_hi = bounds(right)
    if l_hi is not None and r_lo is not None and (l_hi < r_lo if strict else l_hi <= r_lo):
        return True
    if l_lo is not None and r_hi is not None and (l_lo >= r_hi if strict else l_lo > r_hi):
        return False
    return Unsure(None, None, why_of(left, right))


def span_count(start: Any, end: Any, count: Callable[[int, int], int | Unsure | None]) -> int | Unsure | None:
    """`count(start, end)` for a count that grows with `end` and shrinks with `start` (itself an
    interval when the calendar of some of its days is not known)."""
    if start is None or end is None:
        return None
    if not isinstance(start, Unsure) and not isinstance(end, Unsure):
        return count(start, end)
    s_lo, s_hi = bounds(start)
    e_lo, e_hi = bounds(end)
    least = count(s_hi, e_lo) if s_hi is not None and e_lo is not None else None
    most = count(s_lo, e_hi) if s_lo is not None and e_hi is not None else None
    return Unsure(bounds(least)[0], bounds(most)[1], why_of(start, end, least, most))


def any_unsure(values: Iterable[Any]) -> bool:
    """Whether one of `values` is unsure (a plain loop: cheaper than any() over a generator)."""
    for value in values:  # noqa: SIM110 - see the docstring
        if type(value) is Unsure:
            return True
    return False


def total(values: list[Any]) -> int | Unsure:
    """Sum of amounts some of which may be unknown (lower bound: the known ones)."""
    if not any_unsure(values):
        return sum(v or 0 for v in values)
    lo = sum((bounds(v)[0] or 0) for v in values)
    his = [bounds(v)[1] for v in values]
    hi = None if any(h is None for h in his) else sum(his)  # type: ignore[arg-type]
    return Unsure(lo, hi, why_of(*values))


def largest(values: list[Any], default: int = 0) -> int | Unsure:
    if not any_unsure(values):
        return max((v or 0 for v in values), default=default)
    lo = max(((bounds(v)[0] or 0) for v in values), default=default)
    his = [bounds(v)[1] for v in values]
    hi = None if any(h is None for h in his) else max(his, default=default)  # type: ignore[type-var]
    return Unsure(lo, hi, why_of(*values))


def any_of(values: list[Any]) -> bool | Unsure:
    """Three-valued any(): True if one is True; unsure if none True and one unsure."""
    return _decided_by(values, True)


def all_of(values: list[Any]) -> bool | Unsure:
    """Three-valued all(): False if one is False; unsure if none False and one unsure."""
    return _decided_by(values, False)


def _decided_by(values: list[Any], decisive: bool) -> bool | Unsure:
    """`decisive` if a value is it; else unsure if a value is unsure; else the other truth value."""
    found = False
    for value in values:
        if value is decisive:
            return decisive
        if type(value) is Unsure:
            found = True
    return Unsure(None, None, why_of(*values)) if found else not decisive


def negate(value: Any) -> Any:
    if isinstance(value, Unsure) or value is None:
        return value
    return not value


def settle(fact: dict[str, Any], head: Settling | None = None) -> dict[str, Any]:
    """Drop absent values; write unsure ones as flags, bounds and reasons (facts never carry nulls).

    `head`: the fields before `fact`'s, already settled (a case's common fields, settled once
    for all its facts); the result is what settling `{**head fields, **fact}` gives."""
    state = head.copy() if head is not None else Settling({}, {}, [])
    state.add(fact)
    return state.finish()


@dataclass(slots=True)
class Settling:
    """A fact being settled: its fields so far, the reasons of the unsure ones, and its
    circumstance fields (f_*), which each say whether they are unknown."""

    out: dict[str, Any]
    why: dict[str, str]
    circumstances: list[str]

    def copy(self) -> Settling:
        return Settling(self.out.copy(), self.why.copy(), self.circumstances.copy())

    def add(self, fields: dict[str, Any]) -> None:
        out, why = self.out, self.why
        for key, value in fields.items():
            if value is None:
                continue
            if key.startswith("f_") and not key.endswith(_SUFFIXES):
                self.circumstances.append(key)
            if type(value) is Unsure:
                if value.lo is not None and value.lo == value.hi:
                    out[key] = value.lo
                    continue
                out[key + UNK] = True
                out[key + LO] = value.lo if value.lo is not None else -UNBOUNDED
                out[key + HI] = value.hi if value.hi is not None else UNBOUNDED
                why[key] = "；".join(value.why) or "相关事实未载明"
                continue
            out[key] = value

    def template(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        """What adding `fields` of a `kind` fact and finishing give when none of them is unsure
        or absent (a None is kept: a placeholder its filler sets or deletes). The reasons are
        this state's, shared: a fact made from the template gets its own copy."""
        return Settling({**self.out, "kind": kind, **fields}, self.why, self.circumstances).finish()

    def finish(self) -> dict[str, Any]:
        out, why = self.out, self.why
        if why:
            out[HAS_UNKNOWN] = True
            out[WHY] = why
            # every field says whether it is unknown: all flags set False at once (C-level), then
            # the unknown ones, whose flags were already set in place earlier, put back to True
            flags = flag_fields(out["kind"])
            out.update(flags)
            for name in why:
                if name + UNK in flags:
                    out[name + UNK] = True
            for name in self.circumstances:
                if name not in why:
                    out[name + UNK] = False
        else:
            out[HAS_UNKNOWN] = False
        return out


_SUFFIXES = (UNK, LO, HI)


@functools.cache
def flag_fields(kind: str) -> dict[str, bool]:
    """The unknown flag of each field of `kind`, False (only ever read)."""
    from .vocabulary import fields_of

    try:
        return {name + UNK: False for name in fields_of(kind)}
    except KeyError:
        return {}
