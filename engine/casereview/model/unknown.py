"""Facts the exporter does not know, and dates known only in part.

"Unknown is not absent": a field left out of a case file means the file does not contain it
(which can be a defect of the file); a field marked unknown means the exporter does not know
it. Every field a rule reads accepts the marker:

    committed_on: 未载明                      # or: unknown
    amount: {未载明: 决定书扫描件该处模糊}       # or: {unknown: "reason"} / {unknown: true, reason: "..."}

Partial dates are values, not unknowns: ``2022-01``, ``2022年1月``, ``2022``, ``2022年`` and
month-day without a year (``1月5日``, ``--01-05``). A rule decides on a partial date only when
every day it may stand for gives the same answer (see derive/).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

UNKNOWN_WORDS = frozenset({"未载明", "未知", "不详", "unknown"})
_REASON_KEYS = ("reason", "原因")


class Unknown:
    """A fact the exporter marked as not known, with an optional reason."""

    __slots__ = ("reason",)

    def __init__(self, reason: str | None = None):
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})" if self.reason else "Unknown()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.reason == self.reason

    def __hash__(self) -> int:
        return hash(("Unknown", self.reason))

    def describe(self) -> str:
        """`未载明` or `未载明（原因）` for messages."""
        return f"未载明（{self.reason}）" if self.reason else "未载明"


def as_unknown(value: Any) -> Unknown | None:
    """The marker's meaning, or None when `value` is not an unknown marker."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str):
        return Unknown() if value.strip().lower() in UNKNOWN_WORDS else None
    if isinstance(value, dict) and value:
        keys = [k for k in value if isinstance(k, str) and k.strip().lower() in UNKNOWN_WORDS]
        if len(keys) != 1 or set(value) - {keys[0], *_REASON_KEYS}:
            return None
        flag = value[keys[0]]
        reason = next((value[k] for k in _REASON_KEYS if k in value), None)
        if isinstance(flag, str) and flag.strip():
            reason = reason or flag
        elif flag is not True and flag is not None:
            return None
        return Unknown(str(reason).strip() if reason else None)
    return None


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


# the non-ASCII marker words by their first characters, found by `str.find` of one character
# (memchr: ~10x faster than searching for the words) and compared there
_MARKER_STARTS = {
    first: tuple(w[1:] for w in sorted(UNKNOWN_WORDS) if w[0] == first)
    for first in sorted({w[0] for w in UNKNOWN_WORDS if not w.isascii()})
}


def may_hold_marker(text: str) -> bool:
    """Whether the text of a YAML or JSON file (or parsed data encoded as JSON) may hold an unknown
    marker. False only if no string parsed from it can be one: its strings are pieces of the
    text (joined by white space when folded) unless escaped, so each marker word would be in
    the text. Any spelling of "unknown" (str.lower() also folds the Kelvin sign to k) ends in
    some ASCII case of "nown", found by its "w"."""
    if "\\" in text:
        return True
    for first, rests in _MARKER_STARTS.items():
        at = text.find(first)
        while at >= 0:
            if text.startswith(rests, at + 1):
                return True
            at = text.find(first, at + 1)
    for letter in "wW":
        at = text.find(letter, 2)
        while at >= 0:
            if text[at - 2 : at + 2].lower() == "nown":
                return True
            at = text.find(letter, at + 1)
    return False


UNKNOWN_JSON_SCHEMA: dict[str, Any] = {
    "title": "未载明（导出方不掌握）",
    "description": (
        "导出方不掌握该事实：写 未载明（或 unknown），或 {未载明: 原因} / {unknown: 原因}。"
        "与「字段缺省」不同：缺省表示案卷中没有该内容（可能是案卷缺陷），未载明只生成待人工评查事项，"
        "不会据此否决或扣分。"
    ),
    "anyOf": [
        {"type": "string", "enum": sorted(UNKNOWN_WORDS)},
        {
            "type": "object",
            "properties": {
                "未载明": {"type": ["string", "boolean"]},
                "unknown": {"type": ["string", "boolean"]},
                "reason": {"type": "string"},
                "原因": {"type": "string"},
            },
            "additionalProperties": False,
            "minProperties": 1,
        },
    ],
}
_MARK = "x-casereview-unknown"


def with_unknown_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON Schema with each inlined marker replaced by `#/$defs/Unknown`."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get(_MARK):
                return {"$ref": "#/$defs/Unknown"}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out = walk(schema)
    out.setdefault("$defs", {})["Unknown"] = UNKNOWN_JSON_SCHEMA
    return out


class _UnknownAllowed:
    """Annotated metadata: the field also accepts the unknown marker (validation and schema).
    Its core schema is the one `WrapValidator(_unknown_or)` makes, without the inspection of the
    validator's signature for each of the ~90 fields at every start (~2 % of a cold check)."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_wrap_validator_function(_unknown_or, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        inner = handler(schema)
        return {"anyOf": [inner, {**UNKNOWN_JSON_SCHEMA, _MARK: True}]}


_UNKNOWN_ALLOWED = _UnknownAllowed()
_NEVER_MARKERS = frozenset({int, float, bool, list, dt.date, type(None)})


def _unknown_or(value: Any, handler: Any) -> Any:
    # called for every field that may be unknown (~200 a case file): the common types first
    cls = type(value)
    if cls is str:
        return Unknown() if value.strip().lower() in UNKNOWN_WORDS else handler(value)
    if cls in _NEVER_MARKERS:
        return handler(value)
    marker = as_unknown(value)
    return marker if marker is not None else handler(value)


def maybe(tp: Any) -> Any:
    """`tp`, or the unknown marker (an `Unknown` instance after validation)."""
    return Annotated[tp, _UNKNOWN_ALLOWED]


# -- the same in pydantic-core alone (load/fastvalidate.py) ---------------------------------------
# `_unknown_or` and `parse_day` are the reference: their errors are the ones users see. These
# schemas accept the same values with the same results without a Python call per field (Python
# runs only for a marker or an unusual date); whatever they refuse goes to the reference.

# str.strip() strips what Rust's \s matches plus U+001C..U+001F; lower() folds to the ASCII
# letters of "unknown" exactly what (?i) folds (K and the Kelvin sign): tests check every code point
_STRIPPED = r"[\s\x1c-\x1f]*"
_MARKER_WORDS = "|".join(re.escape(word) for word in sorted(UNKNOWN_WORDS))
MARKER_PATTERN = rf"^{_STRIPPED}(?i:{_MARKER_WORDS}){_STRIPPED}$"
_MARKER_KEY_PATTERN = rf"{MARKER_PATTERN}|^(?:{'|'.join(_REASON_KEYS)})$"


def _marker_word(_value: str) -> Unknown:
    return Unknown()


def _marker_mapping(value: dict[str, Any]) -> Unknown:
    marker = as_unknown(value)
    if marker is None:  # e.g. two marker keys: not a marker, the field's own type decides
        raise PydanticCustomError("not_unknown", "not an unknown marker")
    return marker


def _raw_str(pattern: str) -> core_schema.CoreSchema:
    # no stripping: the models' str_strip_whitespace must not apply before the pattern
    return core_schema.str_schema(pattern=pattern, strict=True, strip_whitespace=False)


def native_unknown_or(inner: core_schema.CoreSchema) -> core_schema.CoreSchema:
    """`_unknown_or` around `inner`: a marker word, a marker mapping, else `inner`."""
    word = core_schema.chain_schema([_raw_str(MARKER_PATTERN), _plain(_marker_word)])
    # only a mapping whose keys could all belong to a marker reaches Python
    mapping = core_schema.dict_schema(keys_schema=_raw_str(_MARKER_KEY_PATTERN), strict=True)
    marked = core_schema.chain_schema([mapping, _plain(_marker_mapping)])
    return core_schema.union_schema([word, marked, inner], mode="left_to_right")


def _plain(function: Any) -> core_schema.CoreSchema:
    return core_schema.no_info_plain_validator_function(function)


# -- partial dates -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date known only to the year, the month, or without its year."""

    year: int | None
    month: int | None
    day: int | None
    text: str

    def span(self) -> tuple[dt.date, dt.date] | None:
        """First and last day it may stand for; None without a year (any year possible)."""
        if self.year is None:
            return None
        if self.month is None:
            return dt.date(self.year, 1, 1), dt.date(self.year, 12, 31)
        last = last_day(self.year, self.month)
        if self.day is None:
            return dt.date(self.year, self.month, 1), dt.date(self.year, self.month, last)
        day = dt.date(self.year, self.month, self.day)
        return day, day

    def __str__(self) -> str:
        return self.text


_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_YEAR_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_YEAR = re.compile(r"^(\d{4})\s*年?$")
_MONTH_DAY = re.compile(r"^(?:--)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONTH = re.compile(r"^(\d{1,2})\s*月$")


def last_day(year: int, month: int) -> int:
    """The month's number of days, `calendar.monthrange(year, month)[1]` (the calendar module
    imports locale: ~1.4 ms at every start)."""
    return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day


def _check(year: int | None, month: int | None, day: int | None, text: str) -> None:
    if year is not None and not 1900 <= year <= 2100:
        raise ValueError(f"年份 {year} 超出范围（1900–2100）")
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"月份 {month} 无效")
    if day is not None:
        last = last_day(year or 2000, month or 1)  # 2000: a leap year, 2月29日 allowed
        if not 1 <= day <= last:
            raise ValueError(f"日期 {text} 无效")


def parse_day(value: Any) -> dt.date | PartialDate:
    """A full date, or a partial one; raises a `partial_date` error with a Chinese reason otherwise."""
    try:
        return _parse_day(value)
    except ValueError as exc:
        raise PydanticCustomError("partial_date", "{reason}", {"reason": str(exc)}) from None


def _parse_day(value: Any) -> dt.date | PartialDate:
    if isinstance(value, dt.datetime):
        raise ValueError("应为日期（YYYY-MM-DD），不能包含时间")
    if isinstance(value, dt.date | PartialDate):
        return value
    if isinstance(value, bool):
        raise ValueError("应为日期（YYYY-MM-DD、YYYY-MM、YYYY 或 YYYY年M月D日）")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("应为日期（YYYY-MM-DD、YYYY-MM、YYYY 或 YYYY年M月D日）")
    text = value.strip()
    if m := _FULL.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        _check(year, month, day, text)
        return dt.date(year, month, day)
    parts: tuple[int | None, int | None, int | None] | None = None
    if m := _YEAR_MONTH.match(text):
        parts = int(m[1]), int(m[2]), None
    elif m := _YEAR.match(text):
        parts = int(m[1]), None, None
    elif m := _MONTH_DAY.match(text):
        parts = None, int(m[1]), int(m[2])
    elif m := _MONTH.match(text):
        parts = None, int(m[1]), None
    if parts is None:
        raise ValueError(
            f"无法识别的日期 {text!r}：应为 YYYY-MM-DD，或只知部分时写 YYYY-MM、YYYY、M月D日，"
            "不知道时写 未载明"
        )
    _check(*parts, text)
    return PartialDate(*parts, text=text)


def native_day() -> core_schema.CoreSchema:
    """`parse_day`: a date as it is, YYYY-MM-DD in 1900..2100 parsed natively, else `parse_day`."""
    iso = core_schema.chain_schema(
        [
            _raw_str(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
            core_schema.date_schema(ge=dt.date(1900, 1, 1), le=dt.date(2100, 12, 31)),
        ]
    )
    # strict: a datetime is not taken as its date (parse_day refuses it)
    choices = [core_schema.date_schema(strict=True), iso, _plain(parse_day)]
    return core_schema.union_schema(choices, mode="left_to_right")


def _day_schema(_handler: Any = None) -> core_schema.CoreSchema:
    return core_schema.no_info_plain_validator_function(
        parse_day,
        json_schema_input_schema=core_schema.union_schema(
            [core_schema.date_schema(), core_schema.str_schema(), core_schema.int_schema()]
        ),
    )


class _DaySchema:
    def __get_pydantic_core_schema__(self, _source: Any, _handler: Any) -> core_schema.CoreSchema:
        return _day_schema()

    def __get_pydantic_json_schema__(
        self, _schema: core_schema.CoreSchema, _handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return {
            "title": "日期",
            "description": "YYYY-MM-DD；只知部分时写 YYYY-MM、YYYY、YYYY年M月、M月D日",
            "anyOf": [
                {"type": "string", "format": "date"},
                {
                    "type": "string",
                    "pattern": r"^\d{4}(-\d{1,2})?$|^\d{4}年(\d{1,2}月)?$|^\d{1,2}月(\d{1,2}日)?$",
                },
                {"type": "integer", "minimum": 1900, "maximum": 2100, "description": "只知年份"},
            ],
        }


Day = Annotated[dt.date | PartialDate, _DaySchema()]
