"""How long each 查封/扣押 lasted, and whether the file shows it ended (行政强制法 arts. 25, 27).

A measure ends with a release (coercion_release), a handling decision on the seized things
(coercion_disposal: 没收、销毁), a transfer to the judicial organs (the seized things go with the
case, 行政强制法 art. 21), or a penalty decision that confiscates. Its length is counted in
natural days from the day after the measure to its end, a last day on a rest day rolling over
(the same count as the 90-day decision period), less the testing period the measure states
(art. 25 ¶3). The periods themselves (thirty days, thirty more when extended) are pack
parameters; derive only measures.
"""

from __future__ import annotations

from typing import Any

from ..model.case import Act
from ..model.unknown import Unknown
from .unsure import ACTS_UNKNOWN, Unsure, any_of, bounds, compare, largest, plain, unsure, why_of

MEASURES = ("seizure", "detention")
ENDS = ("coercion_release", "coercion_disposal", "transfer")


def coercion_period(ctx: Any) -> dict[str, Any]:
    """Case-fact fields for the coercion pack; none when the file records no 查封/扣押."""
    measures: list[Act] = ctx.of_kinds(*MEASURES)
    if not measures:
        return {}
    ends = [ctx.on(a) for a in ctx.of_kinds(*ENDS)]
    if ctx.decided is not None and "confiscation" in _penalty_types(ctx):
        ends.append(ctx.decided)
    lengths: list[Any] = []
    unended: list[Any] = []
    for measure in measures:
        start = ctx.on(measure)
        order = [compare(start, e, strict=False) for e in ends]
        after = [e for e, later in zip(ends, order, strict=True) if later is not False]
        if not after:
            unended.append(True)
            continue
        # ended for sure only when an end surely follows (an end known to the month may precede it)
        unended.append(False if True in order else Unsure(None, None, why_of(*order)))
        length = _less(_shortest([ctx.natural_effective(start, e) for e in after]), measure)
        if length is not None:
            lengths.append(length)
    extensions = ctx.acts_by_kind.get("coercion_extension", [])
    fields: dict[str, Any] = {
        "coercion_on": ctx.on(measures[0]),
        "coercion_unended": any_of(unended),
        "coercion_extended": any_of(
            [
                a.approved is not False
                if not isinstance(a.approved, Unknown)
                else plain(a.approved, "延长查封、扣押期限是否经负责人批准")
                for a in extensions
            ]
            + ([unsure(ACTS_UNKNOWN)] if ctx.acts_unknown else [])
        ),
    }
    if lengths:
        fields["coercion_days"] = largest(lengths)
    return fields


def _penalty_types(ctx: Any) -> set[str]:
    return {p.type._value_ for p in ctx.penalties if p.type is not None and not isinstance(p.type, Unknown)}


def _shortest(counts: list[Any]) -> Any:
    """The least of day counts, some of them intervals (the measure ends at its first end)."""
    counts = [c for c in counts if c is not None]
    if not counts:
        return None
    if not any(isinstance(c, Unsure) for c in counts):
        return min(counts)
    los = [bounds(c)[0] for c in counts]
    his = [bounds(c)[1] for c in counts]
    lo = None if any(v is None for v in los) else min(los)  # type: ignore[type-var]
    known_his = [h for h in his if h is not None]
    return Unsure(lo, min(known_his) if known_his else None, why_of(*counts))


def _less(days: Any, measure: Act) -> Any:
    """The length less the testing period the measure states (art. 25 ¶3)."""
    testing = measure.testing_days
    if testing is None or days is None:
        return days
    label = f"{measure.kind.label}的检测、检验期间（testing_days）"
    if isinstance(testing, Unknown):
        return Unsure(
            None if bounds(days)[0] is None else 0,
            bounds(days)[1],
            (*why_of(days), plain(testing, label).why[0]),
        )
    if isinstance(days, Unsure):
        lo, hi = bounds(days)
        return Unsure(
            None if lo is None else max(lo - testing, 0),
            None if hi is None else max(hi - testing, 0),
            days.why,
        )
    return max(days - testing, 0)
