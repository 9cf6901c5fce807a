"""The parameter values a fact is judged by, put on the fact before either engine matches it.

A rule's `field op $name` compiles to a comparison with the fact field `param_<name>`
(packs/compile.py), so one rule reads the dated, regional value in force for each case. Both
engines call `ParameterValues.apply` first, with the same code, so they agree.

Where the packs hold no value for the fact — its date lies before the first `from`, the agency's
region is in no entry's `regions`, or the entry says `value: null` (the law is not verified) — the
field is unknown, its reason naming the missing value. The rule then gives a 待人工评查 item
(packs/uncertain.py): never a veto or a deduction on it, and never silence. When the date or the
region is itself unknown and the values it may select differ, the field is an interval of them
(unbounded if one of them is missing).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from typing import Any

from ..derive.unsure import WHY, flag_fields
from ..memo import remember
from ..packs.compiled import CompiledRule
from ..packs.conditions import param_field
from ..packs.schema import Parameter, ParamValue
from ..packs.uncertain import HAS_UNKNOWN, HI, LO, UNBOUNDED, UNK

MEMO_SIZE = 1024  # value sets kept per book: a batch has a few hundred distinct decision days
REGION_FIELDS = ("agency_region", "province")
_ELSEWHERE = ("", "")  # an agency in a region no entry lists

VALUE_MARK = "（参数 $"  # in a reason: a value the packs do not hold (not a fact the file lacks)
Value = tuple[str, Any, str | None]  # (field, exact value or (lo, hi) when unknown, reason when unknown)


class ParameterValues:
    """For each fact kind, the parameters its rules read; `apply` puts their values on facts."""

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        by_kind: dict[str, dict[str, Parameter]] = {}
        windows: dict[tuple[str, str], list[Any]] = {}
        for rule in rules:
            for name, param in rule.parameters:
                by_kind.setdefault(rule.kind, {})[name] = param
                windows.setdefault((rule.kind, name), []).append(rule.window)
        # when a value no rule in force reads is missing, it is not asked for: the fact stays
        # certain (a fact with an unknown is judged by the slower three-valued forms)
        self._windows = {key: None if None in found else tuple(found) for key, found in windows.items()}
        self._used = {kind: tuple(sorted(used.items())) for kind, used in by_kind.items()}
        # the fields a kind's values depend on (their dates and the region): in the memo key with
        # their bounds, and with their reasons, which an unknown value repeats (files word them apart)
        self._why = {
            kind: tuple(sorted({p.date_field for _, p in used} | set(REGION_FIELDS)))
            for kind, used in self._used.items()
        }
        self._read = {
            kind: tuple(f + suffix for f in fields for suffix in ("", UNK, LO, HI))
            for kind, fields in self._why.items()
        }
        self._memo: dict[tuple[Any, ...], tuple[Value, ...]] = {}
        # a known date and region (nearly every fact): every value is constant between two days on
        # which some period starts, so the entries are found once per such span, not per day
        self._dates = {
            kind: tuple(sorted({p.date_field for _, p in used})) for kind, used in self._used.items()
        }
        self._starts = {
            kind: sorted({v.since.toordinal() for _, p in used for v in p.values if v.since is not None})
            for kind, used in self._used.items()
        }
        # span key -> (the fields to set when every value is held, else None; the entries found)
        self._entries: dict[tuple[Any, ...], tuple[dict[str, Any] | None, tuple[Any, ...]]] = {}
        self._flags = {
            kind: {param_field(name) + UNK: False for name, _ in used} for kind, used in self._used.items()
        }

    def apply(self, facts: list[dict[str, Any]]) -> None:
        """Set the parameter fields of each fact in place, settled as derive settles a value."""
        for fact in facts:
            kind = fact["kind"]
            used = self._used.get(kind)
            if not used:
                continue
            if not fact[HAS_UNKNOWN] or not any(fact.get(f + UNK) is True for f in self._why[kind]):
                held, found = self._found(kind, fact, used)
                if held is not None:  # every value held (nearly every fact): set them at once
                    fact.update(held)
                    if fact[HAS_UNKNOWN]:
                        fact.update(self._flags[kind])
                    continue
                values = self._known(kind, fact, used, found)
            else:
                values = self._uncertain(kind, fact, used)
            _settle(fact, values)

    def _uncertain(
        self, kind: str, fact: dict[str, Any], used: tuple[tuple[str, Parameter], ...]
    ) -> tuple[Value, ...]:
        """The values on a fact whose date or region is unknown or known in part."""
        why = fact.get(WHY) or {}
        key = (kind, *map(fact.get, self._read[kind]), *map(why.get, self._why[kind]))
        try:
            return self._memo[key]
        except KeyError:
            return remember(self._memo, key, tuple(_value(n, p, fact) for n, p in used), MEMO_SIZE)
        except TypeError:  # an unhashable value
            return tuple(_value(n, p, fact) for n, p in used)

    def _found(
        self, kind: str, fact: dict[str, Any], used: tuple[tuple[str, Parameter], ...]
    ) -> tuple[dict[str, Any] | None, tuple[Any, ...]]:
        """For a fact whose dates and region are known (or absent): the entry in force of each
        parameter, and the fields to set if each of them holds a value (or there is no date)."""
        starts = self._starts[kind]
        key: tuple[Any, ...] = (kind, fact.get("province"), fact.get("agency_region"))
        for date_field in self._dates[kind]:
            day = fact.get(date_field)
            key += (bisect.bisect_right(starts, day) if isinstance(day, int) else None,)
        try:
            return self._entries[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value
            return None, tuple(_entry(p, fact) for _, p in used)
        found = tuple(_entry(p, fact) for _, p in used)
        held: dict[str, Any] | None = {}
        for (name, _), entry in zip(used, found, strict=True):
            if entry is _NO_DATE:
                continue
            if entry is None or entry.value is None:
                held = None
                break
            held[param_field(name)] = entry.value
        return remember(self._entries, key, (held, found), MEMO_SIZE)

    def _known(
        self, kind: str, fact: dict[str, Any], used: tuple[tuple[str, Parameter], ...], found: tuple[Any, ...]
    ) -> tuple[Value, ...]:
        """The values on a fact whose dates and region are known, one of them not held."""
        values = tuple(_known_value(n, p, entry, fact) for (n, p), entry in zip(used, found, strict=True))
        return tuple(
            value if value[2] is None or self._asked(kind, name, fact) else (value[0], None, None)
            for (name, _), value in zip(used, values, strict=True)
        )

    def _asked(self, kind: str, name: str, fact: dict[str, Any]) -> bool:
        """Whether a rule reading parameter `name` is in force on the fact's (known) date."""
        windows = self._windows[kind, name]
        if windows is None:
            return True
        for date_field, first, last in windows:
            day = fact.get(date_field)
            if not isinstance(day, int) or (
                (first is None or day >= first) and (last is None or day <= last)
            ):
                return True
        return False


_NO_DATE = object()  # the fact has no date to select a value by


def _entry(param: Parameter, fact: dict[str, Any]) -> Any:
    day = fact.get(param.date_field)
    if not isinstance(day, int):
        return _NO_DATE
    return param.entry_on(day, fact.get("province"), fact.get("agency_region"))


def _known_value(name: str, param: Parameter, entry: Any, fact: dict[str, Any]) -> Value:
    field = param_field(name)
    if entry is _NO_DATE:
        return field, None, None  # no date (e.g. no decision): no value, as no rule applies
    if entry is not None and entry.value is not None:
        return field, entry.value, None
    place = (fact.get("province"), fact.get("agency_region"))
    return field, (None, None), _missing_text(name, param, fact[param.date_field], place, entry, False)


def _value(name: str, param: Parameter, fact: dict[str, Any]) -> Value:
    field = param_field(name)
    date_field = param.date_field
    unsure_fields = []
    if fact.get(date_field + UNK) is True:
        unsure_fields.append(date_field)
        # bounds not on the fact (a fact built by hand): unbounded, as settling writes them
        days = _candidate_days(
            param, fact.get(date_field + LO, -UNBOUNDED), fact.get(date_field + HI, UNBOUNDED)
        )
    else:
        day = fact.get(date_field)
        if not isinstance(day, int):
            return field, None, None  # no date (e.g. no decision): no value, as no rule applies
        days = [day]
    region_unsure = [f for f in REGION_FIELDS if fact.get(f + UNK) is True]
    if region_unsure:
        unsure_fields.append(region_unsure[0])  # the area's reason names the field of the file
        places = _candidate_places(param)
    else:
        places = [(fact.get("province"), fact.get("agency_region"))]
    found = [(day, place, param.entry_on(day, *place)) for day in days for place in places]
    values = {entry.value if entry is not None else None for _, _, entry in found}
    if len(values) == 1 and None not in values:
        return field, values.pop(), None
    why = fact.get(WHY) or {}
    reasons = [why[f] for f in unsure_fields if f in why]
    if None in values and len(places) == 1 and days[0] > -UNBOUNDED and days[-1] < UNBOUNDED:
        # the date (exact or within known bounds) is enough to say which value is missing; an
        # unknown date or region is itself the missing fact, named by its own reason
        day, place, entry = next(item for item in found if item[2] is None or item[2].value is None)
        reasons.append(_missing_text(name, param, day, place, entry, bool(unsure_fields)))
    return field, _interval(values), "；".join(dict.fromkeys(reasons)) or "相关事实未载明"


def _candidate_days(param: Parameter, lo: int, hi: int) -> list[int]:
    """A day of each period that meets [lo, hi]: a value can change only where a period starts."""
    starts = sorted({v.since.toordinal() for v in param.values if v.since is not None})
    return [lo, *(start for start in starts if lo < start <= hi)]


def _candidate_places(param: Parameter) -> list[tuple[str, str]]:
    """An agency in each region an entry lists, and one in a region none lists."""
    places = {_ELSEWHERE}
    for entry in param.values:
        for region in entry.regions or ():
            places.add((region[:2], region if len(region) == 6 else ""))
    return sorted(places)


def _interval(values: set[Any]) -> tuple[Any, Any]:
    """The bounds of the values a fact may be judged by: none if one is missing or not a number."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if None in values or len(numbers) != len(values):
        return (None, None)
    return (min(numbers), max(numbers))


def _missing_text(
    name: str, param: Parameter, day: int, place: tuple[Any, Any], entry: ParamValue | None, uncertain: bool
) -> str:
    what = f"「{param.description}」{VALUE_MARK}{name}）"
    if uncertain:
        return f"{what}：规则库没有其中部分日期（如 {dt.date.fromordinal(day).isoformat()}）适用的取值"
    province, area = place
    where = f"执法机关所在地区（{area or province}）"
    on = dt.date.fromordinal(day).isoformat()
    if entry is not None:
        note = f"（{entry.note}）" if entry.note else ""
        return f"{what}：{where}{on}适用的数额未经核实，规则库未载入{note}"
    here = [e for e in param.values if not e.regions or province in e.regions or area in e.regions]
    if here:
        first = min((e.since for e in here if e.since is not None), default=None)
        return f"{what}：规则库只载入了{first}起适用的取值，没有{on}适用的"
    listed = "、".join(sorted({r for e in param.values for r in e.regions or ()}))
    if not (area or province):
        return f"{what}：执法机关行政区划未载明，无法确定适用的取值（规则库只载入了地区代码 {listed} 的取值）"
    return f"{what}：规则库只载入了地区代码 {listed} 的取值，没有{where}的"


def _settle(fact: dict[str, Any], values: tuple[Value, ...]) -> None:
    """As derive's `Settling` writes a value: exact on the field; unknown as flag, bounds, reason."""
    for field, value, reason in values:
        if reason is None:
            if value is not None:
                fact[field] = value
            continue
        if not fact[HAS_UNKNOWN]:  # this fact's first unknown: every field now says whether it is
            fact[HAS_UNKNOWN] = True
            fact[WHY] = {}
            fact.update(flag_fields(fact["kind"]))
        lo, hi = value
        fact[field + UNK] = True
        fact[field + LO] = lo if lo is not None else -UNBOUNDED
        fact[field + HI] = hi if hi is not None else UNBOUNDED
        fact[WHY] = {**fact[WHY], field: reason}  # a fact's reasons may be shared with others
    if fact[HAS_UNKNOWN]:
        for field, _value, reason in values:
            if reason is None:
                fact[field + UNK] = False
