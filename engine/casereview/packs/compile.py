"""Compile a pack rule (plus its table rows) into CompiledRules over one fact kind."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..derive.vocabulary import CIRCUMSTANCE_PREFIX, DEFAULT_DATE_FIELD, KINDS, FieldSpec, fields_of
from .compiled import CompiledRule
from .conditions import (
    PARAM_PREFIX,
    All,
    AnyOf,
    Cmp,
    Cond,
    ConditionError,
    Const,
    In,
    Not,
    Present,
    Ref,
    param_field,
    parse_condition,
)
from .expanders import EXPANDERS, Tables, Variant
from .schema import Parameter, Rule


def _literal_fits(spec: FieldSpec, value: Any) -> bool:
    if spec.type in ("int", "date", "number"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if spec.type == "bool":
        return isinstance(value, bool)
    return isinstance(value, str)


def check_fields(cond: Cond, fields: dict[str, FieldSpec]) -> None:
    """Refuse unknown fields and literals of the wrong type (durable compares mixed types as strings)."""

    def spec_of(name: str) -> FieldSpec | None:
        if name.startswith(CIRCUMSTANCE_PREFIX):
            return None  # circumstance facts are typed by the tables that declare them
        if name.startswith(PARAM_PREFIX):
            return None  # a parameter's values are checked against the field it is compared with
        if name not in fields:
            raise ConditionError(f"未知字段 {name}")
        return fields[name]

    if isinstance(cond, Cmp):
        spec = spec_of(cond.field)
        if cond.ref:
            ref_spec = spec_of(cond.ref.field)
            if spec and ref_spec and (spec.type == "str") != (ref_spec.type == "str"):
                raise ConditionError(f"{cond.field} 与 {cond.ref.field} 类型不同，不能比较")
        elif spec and not _literal_fits(spec, cond.value):
            raise ConditionError(f"字段 {cond.field}（{spec.type}）不能与 {cond.value!r} 比较")
        if spec and spec.type in ("str", "bool") and cond.op not in ("eq", "ne"):
            raise ConditionError(f"字段 {cond.field}（{spec.type}）只能用 == 或 != 比较")
    elif isinstance(cond, In):
        spec = spec_of(cond.field)
        if spec and not all(_literal_fits(spec, v) for v in cond.values):
            raise ConditionError(f"字段 {cond.field} 的 in 列表含类型不符的值")
    elif isinstance(cond, Present):
        spec_of(cond.field)
    elif isinstance(cond, All | AnyOf):
        for item in cond.items:
            check_fields(item, fields)
    elif isinstance(cond, Not):
        check_fields(cond.item, fields)


def _day(value: dt.date) -> int:
    return value.toordinal()


def param_condition(param: Parameter, name: str, field_name: str, op: str, spec: FieldSpec) -> Cond:
    """`field op $name`: a comparison with the value in force for the fact, which both engines
    put on it as `param_<name>` (evaluate/parameters.py); unknown where the packs hold none."""
    for entry in param.values:
        if entry.value is not None and not _literal_fits(spec, entry.value):
            raise ConditionError(
                f"字段 {field_name}（{spec.type}）不能与参数 ${name} 的取值 {entry.value!r} 比较"
            )
    return Cmp(field_name, op, ref=Ref(param_field(name)))  # type: ignore[arg-type]


def rule_scope(rule: Rule, fields: dict[str, FieldSpec]) -> list[Cond]:
    """Conditions every variant shares: procedures and the effective period."""
    scope: list[Cond] = []
    procedures = sorted({p.value for p in rule.procedures})
    if procedures != ["general", "simple"]:
        scope.append(In("procedure", tuple(procedures)))
    date_field = rule.effective.date_field or DEFAULT_DATE_FIELD[rule.applies_to]
    if date_field not in fields or fields[date_field].type != "date":
        raise ConditionError(f"effective.date_field {date_field} 不是 {rule.applies_to} 的日期字段")
    window = effective_window(rule)
    if window is not None:
        _, first, last = window
        if first is not None:
            scope.append(Cmp(date_field, "gte", value=first))
        if last is not None:
            scope.append(Cmp(date_field, "lte", value=last))
    return scope


def effective_window(rule: Rule) -> tuple[str, int | None, int | None] | None:
    """(date field, first day, last day) the rule is in force, as ordinals (None: open); None
    when it is always in force."""
    since, until = rule.effective.since, rule.effective.until
    if since is None and until is None:
        return None
    date_field = rule.effective.date_field or DEFAULT_DATE_FIELD[rule.applies_to]
    return date_field, _day(since) if since else None, _day(until) if until else None


def compile_rule(rule: Rule, parameters: dict[str, Parameter], tables: Tables) -> list[CompiledRule]:
    if rule.applies_to not in KINDS:
        raise ValueError(f"applies_to 应为 {'/'.join(KINDS)} 之一，实际为 {rule.applies_to!r}")
    fields = fields_of(rule.applies_to)
    used_params: list[str] = []

    def resolve_param(field_name: str, op: str, name: str) -> Cond:
        if name not in parameters:
            raise ConditionError(f"未定义的参数 ${name}")
        param = parameters[name]
        if param.date_field not in fields:
            raise ConditionError(
                f"参数 ${name} 的 date_field {param.date_field} 不是 {rule.applies_to} 的字段"
            )
        if field_name not in fields:
            raise ConditionError(f"未知字段 {field_name}")
        used_params.append(name)
        return param_condition(param, name, field_name, op, fields[field_name])

    try:
        when = parse_condition(
            rule.when, is_field=lambda n: n in fields or n.startswith("f_"), resolve_param=resolve_param
        )
        check_fields(when, fields)
        scope = rule_scope(rule, fields)
    except ConditionError as exc:
        raise ValueError(f"条件错误：{exc}") from None

    variants: list[Variant]
    if rule.expand:
        if rule.expand not in EXPANDERS:
            raise ValueError(f"未知的 expand {rule.expand!r}，可用：{', '.join(sorted(EXPANDERS)) or '无'}")
        variants = EXPANDERS[rule.expand](tables)
        if not variants:
            raise ValueError(f"expand {rule.expand!r} 没有生成任何规则（相应表格缺失？）")
    else:
        variants = [Variant("", Const(True), {})]

    window = effective_window(rule)
    compiled = []
    for variant in variants:
        rule_id = rule.code + (f"#{variant.suffix}" if variant.suffix else "")
        context = {**variant.context, "_params": tuple(used_params)}
        cond = All((*scope, variant.when, when))
        used = tuple((name, parameters[name]) for name in dict.fromkeys(used_params))
        compiled.append(CompiledRule(rule_id, rule.code, rule.applies_to, cond, context, used, window))
    return compiled
