"""A citizen party's age when the violation was committed (行政处罚法 art. 30 reads it).

The age comes from the file's `party.age` (stated as the age at the violation), its
`party.born_on` (a date known only to the month or year is an interval), or the birth date
inside a resident identity number (GB 11643-1999: 18 characters, birth date at
positions 7–14; the old 15-digit form has YYMMDD of the 1900s). The check character is not
verified: anonymised files often alter other digits, and the birth date is what the file records.
Real exports often mask the number (`360102********1234`): then the birth date is unknown, with
the reason, never guessed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..model.unknown import PartialDate, Unknown
from .unsure import Unsure, bounds, unknown_text, unsure

AGE_LABEL = "当事人违法行为发生时的年龄（party.age、出生日期 party.born_on 或身份证号码 party.id_number）"


def birth_date(id_number: str) -> tuple[dt.date | None, str]:
    """The birth date a resident identity number states, or None and why it states none."""
    text = id_number.strip().upper()
    if len(text) == 18:
        digits = text[6:14]  # a number masked elsewhere (36011120070601****) still states it
        if not digits.isdigit():
            return None, "身份证号码的出生日期部分已脱敏或含非数字字符，无法读取出生日期"
    elif len(text) == 15:
        digits = "19" + text[6:12]
        if not digits.isdigit():
            return None, "身份证号码的出生日期部分已脱敏或含非数字字符，无法读取出生日期"
    else:
        return None, f"身份证号码位数（{len(text)} 位）不是 18 位或 15 位，无法读取出生日期"
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])), ""
    except ValueError:
        return None, "身份证号码中的出生日期不是有效日期，无法据以确定年龄"


def _age_on(born: dt.date, ordinal: int) -> int | Unsure:
    """Whole years of age on a day. On a birthday itself the age is either: whether 周岁 are
    reached on the birthday or the day after is not a rule the packs hold (never guessed)."""
    day = dt.date.fromordinal(ordinal)
    years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if (day.month, day.day) == (born.month, born.day) and years > 0:
        return unsure(
            f"违法行为发生日（{day.isoformat()}）恰为当事人满 {years} 周岁的生日，"
            "周岁自生日当日还是次日起算的规定未载入规则库",
            lo=years - 1,
            hi=years,
        )
    return years


def _births(party: Any) -> tuple[dt.date, dt.date] | str:
    """The earliest and latest birth date the file allows (`party.born_on`, else the identity
    number), or why it states none."""
    born_on = party.born_on
    if isinstance(born_on, dt.date):
        return born_on, born_on
    if isinstance(born_on, PartialDate) and (span := born_on.span()) is not None:
        return span
    id_number = party.id_number
    if id_number is None or isinstance(id_number, Unknown):
        if born_on is not None:
            return unknown_text(f"{AGE_LABEL}：出生日期（party.born_on）", born_on)
        return f"{AGE_LABEL}未载明"
    born, why = birth_date(id_number)
    return (born, born) if born is not None else f"{AGE_LABEL}：{why}"


def party_age(party: Any, committed: Any, latest: Any) -> int | Unsure | None:
    """The party's age on the day the violation was committed (`committed`: an ordinal day or
    an Unsure interval); `latest`, the last day it can have been committed (its discovery),
    bounds an unknown date. None for an organisation."""
    kind = party.kind
    if kind is not None and not isinstance(kind, Unknown) and kind.value == "organisation":
        return None
    if isinstance(party.age, Unknown):
        return unsure(unknown_text("当事人违法行为发生时的年龄（party.age）", party.age))
    if party.age is not None:
        return party.age
    births = _births(party)
    if isinstance(births, str):
        return unsure(births)
    earliest, last = births
    if committed is not None and not isinstance(committed, Unsure) and earliest == last:
        return _age_on(earliest, committed)
    lo_day, hi_day = bounds(committed) if committed is not None else (None, None)
    if hi_day is None:
        hi_day = bounds(latest)[1] if latest is not None else None
    reasons: list[str] = []
    if isinstance(committed, Unsure) or committed is None:
        reasons += committed.why if isinstance(committed, Unsure) else ("违法行为发生日未记载",)
    if earliest != last:
        reasons.append(unknown_text("出生日期（party.born_on）", party.born_on))
    lo = bounds(_age_on(last, lo_day))[0] if lo_day is not None else None
    hi = bounds(_age_on(earliest, hi_day))[1] if hi_day is not None else None
    if lo is not None and lo == hi:
        return lo  # every day the dates allow gives the same age
    return Unsure(lo, hi, tuple(f"{AGE_LABEL}：{why}" for why in reasons))
