"""Dated parameters check themselves: a value whose basis quotes state numbers in the parameter's
unit must be one of those numbers (三千元 → 3000 元, 九十日 → 90 日, 二年 → 24 月, 七个工作日 → 7,
十四周岁 → 14 周岁).

Runs at pack load and in `rules lint`. A value whose quotes state no number in its unit is not
checked here (its boundary probes in the tests pin it); a value that deliberately differs from its
quote (an interpretation, a proxy) carries `text_waiver` with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..maintain.amounts import _money_tokens, cn_to_int, normalise
from .schema import Parameter

_NUM = r"([零〇一二两三四五六七八九十百千万]+|\d+(?:\.\d+)?)"
_PERIOD = re.compile(_NUM + r"(个工作日|工作日|日|天|个月|月|年|周岁)")


def _number(text: str) -> float:
    return float(text) if text[0].isdigit() else float(cn_to_int(text))


def stated_numbers(quote: str, unit: str | None) -> set[float]:
    """Numbers the quote states in `unit` (元 / 日 / 个工作日 / 月 / 周岁)."""
    unit = (unit or "").strip()
    if unit == "元":
        return {v for _s, _e, v, has_unit in _money_tokens(normalise(quote)) if has_unit and v is not None}
    out: set[float] = set()
    for num, word in _PERIOD.findall(quote):
        value = _number(num)
        if unit in ("日", "天", "个工作日", "工作日") and word in ("日", "天", "个工作日", "工作日"):
            out.add(value)
        elif unit in ("月", "个月"):
            if word in ("月", "个月"):
                out.add(value)
            elif word == "年":
                out.add(value * 12)
        elif unit == word == "周岁":
            out.add(value)
    return out


@dataclass
class ParamProblem:
    name: str
    since: str
    message: str
    waived: str | None = None


def parameter_text_problems(name: str, param: Parameter) -> list[ParamProblem]:
    out: list[ParamProblem] = []
    for value in param.values:
        if not isinstance(value.value, int | float) or isinstance(value.value, bool):
            continue
        stated: set[float] = set()
        quotes = [b.quote for b in value.basis if b.quote]
        for quote in quotes:
            stated |= stated_numbers(quote, param.unit)
        if not stated or float(value.value) in stated:
            continue
        shown = "、".join(f"{v:g}" for v in sorted(stated))
        out.append(
            ParamProblem(
                name,
                str(value.since or "—"),
                f"参数 {name}（{value.since or '—'}起）取值 {value.value}{param.unit or ''}，"
                f"而其依据引文写的是 {shown}{param.unit or ''}",
                getattr(value, "text_waiver", None),
            )
        )
    return out
