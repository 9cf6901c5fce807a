"""Validate parsed data against the models, reporting every error at once in Chinese."""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ..model import CaseFile, Roster
from ..model.labels import LabelledEnum
from .errors import InputError, InputRejected, show_value
from .fastvalidate import data_may_be_padded, fast_validator
from .paths import FieldPath, format_path
from .source import SourceDoc

M = TypeVar("M", bound=BaseModel)

Locate = Callable[[FieldPath], tuple[int | None, int | None]]

_TYPE_NAMES = {"int": "整数", "float": "小数", "bool": "布尔值", "str": "文本", "date": "日期"}


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One validation problem before it is tied to a file position."""

    path: FieldPath  # data path (union member tags removed)
    message: str
    value: str | None
    error_type: str


def validate_case(doc: SourceDoc) -> CaseFile:
    """`CaseFile` from a parsed document, or `InputRejected` listing every problem."""
    padded = doc.padded if doc.padded is not None else data_may_be_padded(doc.data)
    return validate_model(
        CaseFile, doc.data, file=doc.path, locate=doc.locate, markers=doc.markers, padded=padded
    )


def validate_roster(doc: SourceDoc) -> Roster:
    return validate_model(Roster, doc.data, file=doc.path, locate=doc.locate)


def validate_model(
    model: type[M],
    data: Any,
    *,
    file: str,
    locate: Locate | None = None,
    markers: bool = True,
    padded: bool = True,
) -> M:
    """`model` from `data`, or `InputRejected` listing every problem; `markers`: False if the
    data is known to hold no unknown marker (`may_hold_marker`), `padded`: False if no string
    in it begins or ends with white space (`may_be_padded`)."""
    fast = fast_validator(model, markers, padded)
    if fast is not None:
        try:
            return fast.validate_python(data)
        except ValidationError:
            pass  # the model itself decides, with the errors users see
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputRejected(errors_from_validation(exc, model, file=file, locate=locate)) from None


def errors_from_validation(
    exc: ValidationError, model: type[BaseModel], *, file: str, locate: Locate | None = None
) -> list[InputError]:
    errors = []
    for detail in describe_errors(exc, model):
        line, column = locate(detail.path) if locate is not None and detail.path else (None, None)
        field = format_path(detail.path) or None
        errors.append(InputError(file, line, column, field, detail.message, detail.value))
    errors.sort(key=lambda e: (e.line or 0, e.column or 0))
    return errors


def describe_errors(exc: ValidationError, model: type[BaseModel]) -> list[ErrorDetail]:
    """Chinese messages for all errors of `exc` (raised validating `model`)."""
    details: list[ErrorDetail] = []
    union_paths: dict[FieldPath, list[str]] = {}
    for err in exc.errors(include_url=False):
        target = _walk(model, tuple(err["loc"]))
        if target.union_member is not None:
            tags = union_paths.setdefault(target.path, [])
            if not tags:
                details.append(
                    ErrorDetail(target.path, "", show_value(err.get("input")), "union")  # filled in below
                )
            tags.append(target.union_member)
            continue
        message, show = _message(err, target)
        value = show_value(err.get("input")) if show else None
        details.append(ErrorDetail(target.path, message, value, err["type"]))
    for i, d in enumerate(details):
        if d.error_type == "union":
            names = "、".join(dict.fromkeys(_TYPE_NAMES.get(t, t) for t in union_paths[d.path]))
            details[i] = ErrorDetail(d.path, f"值的类型无效，应为{names}之一", d.value, "union")
    return details


# -- resolving a pydantic loc against the model ------------------------------------------------


@dataclass
class _Target:
    path: FieldPath
    field: FieldInfo | None = None
    annotation: Any = None
    parent_model: type[BaseModel] | None = None
    union_member: str | None = None


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin is Union or origin is types.UnionType:
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _is_union(tp: Any) -> bool:
    return get_origin(tp) is Union or get_origin(tp) is types.UnionType


def _walk(model: type[BaseModel], loc: tuple[Any, ...]) -> _Target:
    target = _Target(path=())
    path: list[Any] = []
    tp: Any = model
    for i, part in enumerate(loc):
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            target.parent_model = tp
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            target.field = field
            tp = field.annotation if field is not None else None
            path.append(part)
        elif get_origin(tp) is list and isinstance(part, int):
            tp = get_args(tp)[0]
            path.append(part)
        elif get_origin(tp) is dict and isinstance(part, str):
            if part == "[key]":
                tp = None
                continue
            tp = get_args(tp)[1]
            path.append(part)
        elif _is_union(tp) and isinstance(part, str):
            target.union_member = re.sub(r"^(constrained-)?(\w+).*$", r"\2", part)
            target.path = tuple(path)
            target.annotation = tp
            return target
        else:
            path.extend(loc[i:])
            tp = None
            break
    target.path = tuple(path)
    target.annotation = _unwrap(tp) if tp is not None else None
    return target


# -- messages -----------------------------------------------------------------------------------

_QUOTE_HINT_BOOL = "（YAML 会把 yes/no/on/off/true/false 解析为布尔值，作为文本时请加引号）"
_QUOTE_HINT_NUMBER = "（编号、电话、代码等请加引号，作为文本）"


def _label(field: FieldInfo | None) -> str:
    if field is None or not field.description:
        return ""
    text = re.split(r"[，,；;]", field.description, maxsplit=1)[0].strip()
    return f"（{text}）" if text and len(text) <= 24 else ""


def _enum_options(annotation: Any, ctx: dict[str, Any] | None) -> str:
    enum_cls = annotation if isinstance(annotation, type) and issubclass(annotation, Enum) else None
    if enum_cls is None and ctx and "expected" in ctx:
        codes = set(re.findall(r"'([^']*)'", str(ctx["expected"])))
        for candidate in LabelledEnum.__subclasses__():
            if {m.value for m in candidate} == codes:
                enum_cls = candidate
                break
    if enum_cls is None:
        return str((ctx or {}).get("expected", ""))
    labels: dict[str, str] = getattr(enum_cls, "_labels", {})
    return "、".join(
        f"{m.value}（{labels[m.value]}）" if m.value in labels else str(m.value) for m in enum_cls
    )


def _is_yuan(field: FieldInfo | None) -> bool:
    return field is not None and "元" in (field.description or "")


def _message(err: Any, target: _Target) -> tuple[str, bool]:
    """(Chinese message, whether to show the offending value)."""
    kind: str = err["type"]
    ctx: dict[str, Any] = err.get("ctx") or {}
    value = err.get("input")
    field = target.field

    if kind == "missing":
        return f"缺少必填字段{_label(field)}", False
    if kind == "extra_forbidden":
        message = "未知字段（可能拼写错误）"
        if target.parent_model is not None and target.path and isinstance(target.path[-1], str):
            import difflib  # only for a misspelt field (~1 ms to import, with heapq)

            close = difflib.get_close_matches(target.path[-1], list(target.parent_model.model_fields), n=1)
            if close:
                message += f"，是否应为 {close[0]}？"
        return message, False
    if value is None and (kind.endswith("_type") or kind in ("enum", "literal_error")):
        return f"不能为空{_label(field)}", False
    if kind in ("int_type", "int_parsing", "int_from_float"):
        message = "应为整数（元）" if _is_yuan(field) else "应为整数"
        if isinstance(value, str) and "万" in value:
            message += "，请换算为元，如 2.5万 写作 25000"
        elif isinstance(value, float) or kind == "int_from_float":
            message += "，不能有小数"
        return message, True
    if kind in ("float_type", "float_parsing", "finite_number"):
        return "应为数字", True
    if kind in ("bool_type", "bool_parsing"):
        return "应为布尔值 true 或 false", True
    if kind == "string_type":
        message = "应为文本"
        if isinstance(value, bool):
            message += _QUOTE_HINT_BOOL
        elif isinstance(value, int | float):
            message += _QUOTE_HINT_NUMBER
        return message, True
    if kind == "string_too_short":
        return "不能为空", True
    if kind == "string_too_long":
        return f"过长（最多 {ctx.get('max_length')} 个字符）", True
    if kind == "string_pattern_mismatch":
        return f"格式不正确{_label(field)}，应符合 {ctx.get('pattern')}", True
    if kind == "partial_date":  # model/unknown.py: the reason is already Chinese
        return str(ctx.get("reason", "应为日期")), True
    if kind == "date_from_datetime_inexact":
        return "应为日期（YYYY-MM-DD），不能包含时间", True
    if kind.startswith("date_") or kind.startswith("datetime_"):
        return "应为日期（YYYY-MM-DD）", True
    if kind == "enum":
        return f"取值无效，可选：{_enum_options(target.annotation, ctx)}", True
    if kind == "literal_error":
        return f"取值无效，应为 {ctx.get('expected')}", True
    if kind == "greater_than_equal":
        return f"应大于或等于 {ctx.get('ge')}", True
    if kind == "greater_than":
        return f"应大于 {ctx.get('gt')}", True
    if kind == "less_than_equal":
        return f"应小于或等于 {ctx.get('le')}", True
    if kind == "less_than":
        return f"应小于 {ctx.get('lt')}", True
    if kind == "too_short":
        if ctx.get("min_length") == 1:
            return "至少需要填写 1 项", False
        return f"至少需要 {ctx.get('min_length')} 项", False
    if kind == "too_long":
        return f"最多 {ctx.get('max_length')} 项", False
    if kind == "list_type":
        return "应为列表（- 开头的多项，或 [a, b]）", True
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "应为映射（“字段: 值”的形式）", True
    if kind in ("value_error", "assertion_error"):
        error = ctx.get("error")
        text = str(error) if error is not None else re.sub(r"^(Value|Assertion) error, ", "", err["msg"])
        return text, False
    return f"取值无效（{err['msg']}）", True
