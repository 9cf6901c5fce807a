"""The engine-independent condition language (the IR) and its parser.

Rule maintainers write conditions as short strings or nested `all`/`any`/`not` lists:

    when:
      all:
        - amount > stat_max            # compare with another field of the same fact
        - served_workdays > 7
        - kind in [inspection, inquiry]
        - cert_status missing
        - amount > last_year_income * 0.5

Conditions only ever read fields of the one fact they are attached to: the derive step copies
what a rule needs onto that fact, so durable_rules never has to join facts (notes §6).

Semantics, identical in both back ends (the oracle in Python, durable_rules in C):
- a comparison whose field (or referenced field) is absent is false — `ne` included;
- `missing`/`exists` test presence; facts never carry nulls;
- `not` is pushed down to the leaves before compiling to durable_rules.

Nothing here evaluates Python: strings are parsed with a fixed grammar.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Literal

Scalar = int | float | bool | str
CmpOp = Literal["eq", "ne", "lt", "lte", "gt", "gte"]

NEGATED_OP: dict[str, str] = {"eq": "ne", "ne": "eq", "lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}
SYMBOL_OP: dict[str, CmpOp] = {"==": "eq", "!=": "ne", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
OP_SYMBOL: dict[str, str] = {v: k for k, v in SYMBOL_OP.items()}


PARAM_PREFIX = "param_"  # the fact field holding a parameter's value (evaluate/parameters.py)


def param_field(name: str) -> str:
    """The fact field a rule's `$name` reads."""
    return PARAM_PREFIX + name


@dataclass(frozen=True)
class Ref:
    """`field * times + plus` on the same fact."""

    field: str
    times: float | int = 1
    plus: float | int = 0


@dataclass(frozen=True)
class Cmp:
    field: str
    op: CmpOp
    value: Scalar | None = None
    ref: Ref | None = None


@dataclass(frozen=True)
class In:
    field: str
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class Present:
    field: str
    present: bool = True


@dataclass(frozen=True)
class All:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    item: Cond


@dataclass(frozen=True)
class Const:
    """Always true or always false (used when a dated parameter has no interval)."""

    value: bool


Cond = Cmp | In | Present | All | AnyOf | Not | Const


class ConditionError(ValueError):
    """A condition that cannot be parsed; the message is Chinese for maintainers."""


MAX_CONDITION_DEPTH = 64  # all/any/not nesting; real rules use 3-4 levels
MAX_IN_ITEMS = 1000  # values in one `in [...]` list (durable_rules expands it into an $or)


@dataclass
class Params:
    """Resolves `$name` tokens; a parameter may expand to a dated condition."""

    values: dict[str, Any] = field(default_factory=dict)


_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_NUMBER = r"-?\d+(?:\.\d+)?"
_LEAF = re.compile(
    rf"^\s*(?P<field>{_IDENT})\s*(?:"
    rf"(?P<op>==|!=|<=|>=|<|>)\s*(?P<rhs>.+)"
    rf"|\s(?P<inop>in|not\s+in)\s*\[(?P<list>.*)\]"
    rf"|\s(?P<pres>exists|missing)"
    rf")\s*$"
)
_REF = re.compile(
    rf"^(?P<ref>{_IDENT})(?:\s*\*\s*(?P<times>{_NUMBER}))?(?:\s*(?P<sign>[+-])\s*(?P<plus>{_NUMBER}))?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEYWORDS = {"true": True, "false": False}


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def parse_literal(text: str) -> Scalar:
    """A literal on the right-hand side: number, true/false, date, 'quoted' or bare word."""
    text = text.strip()
    if re.fullmatch(_NUMBER, text):
        return _number(text)
    if text in _KEYWORDS:
        return _KEYWORDS[text]
    if _DATE.fullmatch(text):
        # dates compare as ordinal days on facts (durable_rules has no date type)
        return dt.date.fromisoformat(text).toordinal()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if re.fullmatch(r"[^\s,\[\]]+", text):
        return text
    raise ConditionError(f"无法识别的取值：{text!r}")


def parse_leaf(text: str, is_field: Any = None, resolve_param: Any = None) -> Cond:
    """Parse `field op rhs`. `is_field(name)` says whether a bare word names a field;
    `resolve_param(field, op, name)` expands `field op $name` (a dated parameter)."""
    match = _LEAF.match(text)
    if not match:
        raise ConditionError(
            f"无法解析条件 {text!r}：应为「字段 比较符 值」，比较符为 == != < <= > >= in [..] exists missing"
        )
    name = match["field"]
    if match["pres"]:
        return Present(name, match["pres"] == "exists")
    if match["inop"]:
        items = [s for s in (p.strip() for p in match["list"].split(",")) if s]
        if not items:
            raise ConditionError(f"{text!r}：in 列表不能为空")
        if len(items) > MAX_IN_ITEMS:
            raise ConditionError(
                f"{name} 的 in 列表有 {len(items)} 项，超过上限 {MAX_IN_ITEMS} 项；"
                "请改用表格（tables）或派生字段"
            )
        cond: Cond = In(name, tuple(parse_literal(s) for s in items))
        return Not(cond) if match["inop"].startswith("not") else cond
    op = SYMBOL_OP[match["op"]]
    rhs = match["rhs"].strip()
    if rhs.startswith("$"):
        if resolve_param is None:
            raise ConditionError(f"{text!r}：此处不能使用参数 {rhs}")
        return resolve_param(name, op, rhs[1:])
    ref_match = _REF.match(rhs)
    if ref_match and rhs not in _KEYWORDS and (is_field is None or is_field(ref_match["ref"])):
        plus = _number(ref_match["plus"]) if ref_match["plus"] else 0
        if ref_match["sign"] == "-":
            plus = -plus
        times = _number(ref_match["times"]) if ref_match["times"] else 1
        return Cmp(name, op, ref=Ref(ref_match["ref"], times, plus))
    return Cmp(name, op, value=parse_literal(rhs))


def parse_condition(
    node: Any,
    is_field: Any = None,
    params: dict[str, Cond] | None = None,
    resolve_param: Any = None,
    _depth: int = 0,
) -> Cond:
    """Parse YAML data (string, or mapping with all/any/not) into the IR.

    Nesting deeper than `MAX_CONDITION_DEPTH` is refused (a clear error, not RecursionError)."""
    if _depth > MAX_CONDITION_DEPTH:
        raise ConditionError(f"条件嵌套超过 {MAX_CONDITION_DEPTH} 层（all/any/not），请拆分或简化条件")
    params = params or {}
    if isinstance(node, bool):
        return Const(node)
    if isinstance(node, str):
        text = node.strip()
        if text.startswith("$"):
            if text[1:] not in params:
                raise ConditionError(f"未定义的条件参数 {text}")
            return params[text[1:]]
        return parse_leaf(text, is_field, resolve_param)
    if isinstance(node, dict) and len(node) == 1:
        (key, value), *_ = node.items()
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ConditionError(f"{key} 必须是非空列表")
            items = tuple(parse_condition(v, is_field, params, resolve_param, _depth + 1) for v in value)
            return All(items) if key == "all" else AnyOf(items)
        if key == "not":
            return Not(parse_condition(value, is_field, params, resolve_param, _depth + 1))
    raise ConditionError(f"无法解析条件：{node!r}（应为字符串，或 all/any/not 之一）")


def fields_read(cond: Cond) -> set[str]:
    """Every field a condition reads (for validation and for explaining findings)."""
    if isinstance(cond, Cmp):
        return {cond.field} | ({cond.ref.field} if cond.ref else set())
    if isinstance(cond, In | Present):
        return {cond.field}
    if isinstance(cond, All | AnyOf):
        out: set[str] = set()
        for item in cond.items:
            out |= fields_read(item)
        return out
    if isinstance(cond, Not):
        return fields_read(cond.item)
    return set()


def describe(cond: Cond) -> str:
    """The condition in words, for `explain` and rule documentation."""
    if isinstance(cond, Cmp):
        rhs = _describe_ref(cond.ref) if cond.ref else repr(cond.value)
        return f"{cond.field} {OP_SYMBOL[cond.op]} {rhs}"
    if isinstance(cond, In):
        return f"{cond.field} in [{', '.join(map(str, cond.values))}]"
    if isinstance(cond, Present):
        return f"{cond.field} {'exists' if cond.present else 'missing'}"
    if isinstance(cond, All):
        return "(" + " 且 ".join(describe(i) for i in cond.items) + ")"
    if isinstance(cond, AnyOf):
        return "(" + " 或 ".join(describe(i) for i in cond.items) + ")"
    if isinstance(cond, Not):
        return f"非 {describe(cond.item)}"
    return "恒真" if cond.value else "恒假"


def _describe_ref(ref: Ref) -> str:
    text = "$" + ref.field.removeprefix(PARAM_PREFIX) if ref.field.startswith(PARAM_PREFIX) else ref.field
    if ref.times != 1:
        text += f" * {ref.times}"
    if ref.plus:
        text += f" {'+' if ref.plus > 0 else '-'} {abs(ref.plus)}"
    return text
