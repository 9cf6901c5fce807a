"""The certificate roster as CSV, as exported from a certificate system.

The header row may use the model's English field names or the usual Chinese headers
(证件号, 持证人, 有效期起, …). Dates may be written 2024-01-31, 2024/1/31, 2024.1.31 or
2024年1月31日; 法律职业资格 takes 是/否; enums take codes or Chinese labels. An empty
cell means "not given" (the field's default, or None). "长期"/"长期有效" in 有效期止 means
no end date. Each bad cell is reported with its line and column header.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from pydantic import ValidationError

from ..model import Certificate, Roster
from .errors import InputError, InputRejected, show_value
from .validate import describe_errors

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("证件号", "证号", "证件号码", "证件编号", "执法证号", "执法证件号", "执法证件号码"),
    "holder": ("持证人", "姓名", "持证人姓名"),
    "kind": ("证件类型", "证件种类", "证件类别"),
    "issuer": ("发证机关", "发证单位"),
    "valid_from": ("有效期起", "有效期自", "有效期开始", "有效期起始", "起始日期", "发证日期"),
    "valid_to": ("有效期止", "有效期至", "有效期截止", "截止日期", "到期日期", "有效期结束"),
    "status": ("状态", "证件状态"),
    "status_since": ("状态日期", "状态生效日", "状态生效日期", "状态变更日期"),
    "role": ("人员类别", "身份", "人员身份", "持证人身份"),
    "legal_qualification": ("法律职业资格", "是否取得法律职业资格", "取得法律职业资格"),
}
IGNORED_HEADERS = frozenset({"序号", "备注"})
REQUIRED = ("number", "holder", "valid_from")
DATE_FIELDS = frozenset({"valid_from", "valid_to", "status_since"})
NO_END = frozenset({"长期", "长期有效", "无固定期限"})

_ALIAS_TO_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0{1,2}:00(?::00)?)?$")
_TRUE = frozenset({"是", "有", "true", "yes", "y", "1", "√"})
_FALSE = frozenset({"否", "无", "false", "no", "n", "0", "×"})


def parse_roster_csv(text: str, file: str) -> Roster:
    """Parse decoded CSV text into a `Roster`, or raise `InputRejected` listing every bad cell."""
    import csv  # only for a CSV roster

    lines = text.split("\n", 1)
    delimiter = "\t" if "\t" in lines[0] and "," not in lines[0] else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    errors: list[InputError] = []

    try:
        header = next(reader)
    except StopIteration:
        raise InputRejected([InputError(file, None, None, None, "文件为空（没有表头行）")]) from None
    columns: list[str | None] = []
    seen: dict[str, str] = {}
    for raw in header:
        title = raw.strip().lstrip("\ufeff")
        name = _header_field(title)
        if name is None:
            if title and _normalise(title) not in IGNORED_HEADERS:
                known = "、".join(a[0] for a in HEADER_ALIASES.values())
                errors.append(
                    InputError(file, 1, None, title, f"无法识别的列名（可用：{known}，或对应的英文字段名）")
                )
            columns.append(None)
            continue
        if name in seen:
            errors.append(InputError(file, 1, None, title, f"列重复：与「{seen[name]}」是同一字段"))
            columns.append(None)
            continue
        seen[name] = title
        columns.append(name)
    for name in REQUIRED:
        if name not in seen:
            errors.append(
                InputError(file, 1, None, None, f"缺少必需的列「{HEADER_ALIASES[name][0]}」（{name}）")
            )
    if errors:
        raise InputRejected(errors)

    certificates: list[Certificate] = []
    line = reader.line_num + 1  # the line the next row starts on
    try:
        for row in reader:
            row_line, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            cert = _row(row, row_line, columns, seen, file, errors)
            if cert is not None:
                certificates.append(cert)
    except csv.Error as exc:
        errors.append(InputError(file, reader.line_num, None, None, f"CSV 格式错误：{exc}"))
    if errors:
        raise InputRejected(errors)
    return Roster(certificates=certificates)


def _normalise(title: str) -> str:
    title = re.sub(r"\s+|\*|＊", "", title)
    return re.sub(r"[（(][^）)]*[）)]$", "", title)


def _header_field(title: str) -> str | None:
    if title in Certificate.model_fields:
        return title
    lowered = title.lower()
    if lowered in Certificate.model_fields:
        return lowered
    return _ALIAS_TO_FIELD.get(_normalise(title))


def _row(
    row: list[str],
    line: int,
    columns: list[str | None],
    titles: dict[str, str],
    file: str,
    errors: list[InputError],
) -> Certificate | None:
    values: dict[str, Any] = {}
    bad_cells: set[str] = set()
    for index, cell in enumerate(row):
        name = columns[index] if index < len(columns) else None
        cell = cell.strip()
        if name is None:
            if cell and index >= len(columns):
                errors.append(
                    InputError(file, line, None, None, f"第 {index + 1} 列没有表头", show_value(cell))
                )
            continue
        if not cell:
            continue  # empty cell: not given
        try:
            values[name] = _convert(name, cell)
        except ValueError as exc:
            errors.append(InputError(file, line, None, titles[name], str(exc), show_value(cell)))
            bad_cells.add(name)
    try:
        return Certificate.model_validate(values)
    except ValidationError as exc:
        for detail in describe_errors(exc, Certificate):
            name = detail.path[0] if detail.path else None
            if name in bad_cells:
                continue  # already reported with a CSV-specific message
            title = titles.get(name, str(name)) if isinstance(name, str) else None
            message = "不能为空（必填）" if detail.error_type == "missing" else detail.message
            errors.append(InputError(file, line, None, title, message, detail.value))
        return None


def _convert(name: str, cell: str) -> Any:
    if name in DATE_FIELDS:
        if name == "valid_to" and cell in NO_END:
            return None
        match = _DATE.match(cell)
        if match is None:
            raise ValueError("应为日期（如 2024-01-31 或 2024/1/31）")
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise ValueError("日期不存在（月或日超出范围）") from None
    if name == "legal_qualification":
        lowered = cell.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("应为 是 或 否")
    return cell
