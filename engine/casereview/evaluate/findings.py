"""Turn matches into findings: message rendered from the fact, citation, location, values."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from ..derive.vocabulary import fields_of
from ..memo import remember
from ..model import enums
from ..model.factories import new_dict, new_list
from ..packs.compiled import CompiledRule
from ..packs.conditions import PARAM_PREFIX
from ..packs.loader import RuleBook
from ..packs.schema import SEVERITY_LABELS
from ..packs.uncertain import HAS_UNKNOWN, HI, LO, UNBOUNDED, UNK
from .model import EvalResult
from .oracle import RulePredicates
from .parameters import VALUE_MARK

_Model = TypeVar("_Model", bound=BaseModel)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Fields whose codes are shown with their Chinese label.
_FIELD_ENUMS = {
    "act_kind": enums.ActKind,
    "role": enums.PerformerRole,
    "roster_role": enums.PerformerRole,
    "target": enums.Target,
    "penalty_type": enums.PenaltyType,
    "person_role": enums.PersonRole,
    "branch": enums.Branch,
    "adjustment": enums.Adjustment,
    "procedure": enums.Procedure,
    "party_kind": enums.PartyKind,
    "sector": enums.Sector,
    "outcome": enums.Outcome,
    "recorded": enums.Recording,
    "result": enums.ActResult,
    "harm": enums.Harm,
    "accident_grade": enums.AccidentGrade,
    "body_kind": enums.BodyKind,
    "body_relation": enums.BodyRelation,
    "agency_level": enums.AgencyLevel,
}
_CERT_STATUS = {
    "valid": "有效",
    "expired": "已过有效期",
    "not_yet_valid": "尚未生效",
    "suspended": "已暂扣",
    "revoked": "已注销或吊销",
    "not_in_roster": "证件台账中无此证件",
    "no_cert": "未记载证件号",
}


class Location(BaseModel):
    file: str
    field: str
    line: int | None = None
    column: int | None = None


class WaiverNote(BaseModel):
    """The waiver that covers a finding (see casereview/waivers.py): it stays listed, marked 已豁免."""

    reason: str
    approver: str
    expires: str
    source: str = ""  # waiver file:line


class Finding(BaseModel):
    code: str
    rule_id: str
    title: str
    severity: str
    severity_label: str
    category: str
    message: str
    basis: list[str]
    location: Location
    values: dict[str, Any] = Field(default_factory=new_dict)
    notes: list[str] = Field(default_factory=new_list)
    unknown: bool = Field(False, description="待人工评查 because facts the rule reads are unknown")
    rule_severity: str | None = Field(
        None,
        description="the severity of the check a 待人工评查 item holds open: the rule's own for an "
        "unknown-fact item, a review rule's `stands_for` (证件无法核验: veto); veto or deduct makes the "
        "grade provisional",
    )
    waiver: WaiverNote | None = None


class NotRun(BaseModel):
    """A check that could not run on this file, and why (never a silent pass)."""

    code: str = Field(description="rule code, or a topic such as ROSTER/CALENDAR/DECISION")
    title: str
    reason: str
    field: str | None = None


WHY = "__why"  # on a fact: {uncertain field: what is missing, in words} (derive/)


def missing_facts(fact: dict[str, Any], fields: Any) -> list[str]:
    """What is missing for `fields` on `fact`, in words, without repeats."""
    why = fact.get(WHY) or {}
    # a field's reason may join several missing inputs ("A；B"): each is named once
    return list(dict.fromkeys(part for f in sorted(fields) if f in why for part in why[f].split("；")))


# the review forms `_values_that_matter` evaluates, by rule (kept here, not on the book: the book is
# pickled for the cache and for workers, and a predicate is a closure); a few rules ever need one
_REVIEW_FORMS: dict[int, tuple[CompiledRule, RulePredicates]] = {}
REVIEW_FORMS_KEPT = 256


def _review_form(rule: CompiledRule) -> RulePredicates:
    kept = _REVIEW_FORMS.get(id(rule))
    if kept is None or kept[0] is not rule:  # the rule is held in the entry: its id is not reused
        kept = remember(_REVIEW_FORMS, id(rule), (rule, RulePredicates(rule)), REVIEW_FORMS_KEPT)
    return kept[1]


def _values_read(rule: CompiledRule) -> tuple[str, ...]:
    """The fields a finding quotes: those its rule reads, a parameter's value by the date that
    selects it (the value and its source are in the finding's notes)."""
    dates = {param.date_field for _, param in rule.parameters}
    return tuple(sorted({f for f in rule.fields if not f.startswith(PARAM_PREFIX)} | dates))


def _values_that_matter(
    book: RuleBook, rule_ids: list[str], fact: dict[str, Any], fields: set[str]
) -> set[str]:
    """`fields` without the missing parameter values the rule's answer does not hang on.

    A rule comparing the fine of a unit with one value and a citizen's with another reads both;
    on a case that fines only a unit, only the first is worth naming. A value matters if, were it
    absent, the rule could no longer hold on the fact; if none matters alone, all are named."""
    unknown = [f for f in fields if f.startswith(PARAM_PREFIX) and fact.get(f + UNK) is True]
    if len(unknown) < 2:
        return fields
    compiled = book.by_rule_id()
    idle = set()
    for name in unknown:
        without = {k: v for k, v in fact.items() if k not in (name + LO, name + HI)}
        without[name + UNK] = False
        for rule_id in rule_ids:
            if _review_form(compiled[rule_id]).undecided(without):
                idle.add(name)
                break
    return fields - idle if idle != set(unknown) else fields


def display(field: str, value: Any, kind: str) -> Any:
    """A fact value as a reader expects it: dates as ISO, codes as Chinese labels."""
    try:
        return _display_cached(field, value, kind)
    except TypeError:  # an unhashable value
        return _display(field, value, kind)


def _display(field: str, value: Any, kind: str) -> Any:
    spec = fields_of(kind).get(field)
    if spec and spec.type == "date" and isinstance(value, int):
        return dt.date.fromordinal(value).isoformat()
    if field == "cert_status":
        return _CERT_STATUS.get(value, value)
    enum_cls = _FIELD_ENUMS.get(field)
    if enum_cls and isinstance(value, str):
        try:
            return enum_cls(value).label
        except ValueError:
            return value
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


# the same few codes, dates and flags are shown thousands of times in a batch; `typed`: 1 and
# True (equal as keys) are shown differently
_display_cached = functools.lru_cache(maxsize=1 << 14, typed=True)(_display)


def display_uncertain(field: str, fact: dict[str, Any], kind: str) -> str:
    """An uncertain value as a reader expects it: its interval (dates as ISO), a one-sided bound
    (至少 25000: a known part of a sum), or 未载明."""
    lo, hi = fact.get(field + LO), fact.get(field + HI)
    has_lo = isinstance(lo, int) and lo > -UNBOUNDED
    has_hi = isinstance(hi, int) and hi < UNBOUNDED
    if has_lo and has_hi:
        return f"{display(field, lo, kind)}～{display(field, hi, kind)}"
    is_date = _is_date(field, kind)
    if has_lo and (lo > 0 or is_date):
        return f"{'不早于' if is_date else '至少'} {display(field, lo, kind)}"
    if has_hi:
        return f"{'不晚于' if is_date else '至多'} {display(field, hi, kind)}"
    return "未载明"


def _is_date(field: str, kind: str) -> bool:
    spec = fields_of(kind).get(field)
    return bool(spec and spec.type == "date")


@functools.lru_cache(maxsize=4096)
def _placeholders(template: str) -> frozenset[str]:
    return frozenset(_PLACEHOLDER.findall(template))


@functools.lru_cache(maxsize=4096)
def _template(template: str) -> tuple[str, ...]:
    """Text and placeholder names alternating: text, name, text, …, text."""
    return tuple(_PLACEHOLDER.split(template))


def render(template: str, values: dict[str, Any]) -> str:
    """Substitute {name} only: no attribute access, no format spec (templates are data)."""
    pieces = list(_template(template))
    for i in range(1, len(pieces), 2):
        pieces[i] = str(values.get(pieces[i], "（未记载）"))
    return "".join(pieces)


PARAM_NOTES_KEPT = 1 << 14  # notes remembered per book (a batch's dates and regions repeat)


def _param_notes(
    book: RuleBook, pack_params: dict[str, Any], names: tuple[str, ...], fact: dict
) -> list[str]:
    notes = []
    kept = book.__dict__.setdefault("_param_notes", {})
    for name in names:
        param = pack_params.get(name)
        if param is None:
            continue
        # what `entry_for` reads: the fact's date and region
        key = (name, fact.get(param.date_field), fact.get("province"), fact.get("agency_region"))
        try:
            text = kept[key]
        except KeyError:
            text = remember(kept, key, _param_note(book, name, param, fact), PARAM_NOTES_KEPT)
        except TypeError:  # an unhashable value
            text = _param_note(book, name, param, fact)
        if text is not None:
            notes.append(text)
    return notes


def _param_note(book: RuleBook, name: str, param: Any, fact: dict) -> str | None:
    """The note of the value in force for `fact`, written once per value (dates vary from case to
    case, the values in force do not)."""
    chosen = param.entry_for(fact)
    if chosen is None:
        return None
    written = book.__dict__.setdefault("_param_note_texts", {})
    entry = written.get((name, id(chosen)))
    if entry is None or entry[0] is not chosen:
        cites = "、".join(b.cite() for b in chosen.basis)
        text = f"参数 {name}（{param.description}）= {chosen.value}{param.unit or ''}，依据{cites}"
        if chosen.note:
            text += f"；{chosen.note}"
        entry = written[(name, id(chosen))] = (chosen, text)
    return entry[1]


_ACT_SELECTOR = re.compile(r"^acts\[kind=([\w|]+)\](.*)$")


def _act_selector(locate: str, acts: Sequence[tuple[str, Any]]) -> str:
    """`acts[kind=service|decision]`: the first act of the first kind the case has (so a finding
    points at the specific act, not at the `acts:` line); `acts` when it has none of them.
    `acts`: (kind, act) of each act of the file, in its order (`Derived.acts`)."""
    selector = _act_kinds(locate)
    if selector is None:
        return locate
    kinds, rest = selector
    for kind in kinds:
        for index, (act_kind, _act) in enumerate(acts):
            if act_kind == kind:
                return f"acts[{index}]{rest}"
    return "acts"


@functools.lru_cache(maxsize=256)
def _act_kinds(locate: str) -> tuple[tuple[str, ...], str] | None:
    """(act kinds, the path after the selector) of `acts[kind=…]…`, read once per rule's locator."""
    m = _ACT_SELECTOR.match(locate)
    return None if m is None else (tuple(m.group(1).split("|")), m.group(2))


@dataclass(frozen=True, slots=True)
class _Parts:
    """What every finding of one compiled rule shares, computed once per book."""

    code: str
    title: str
    severity: str
    severity_label: str
    category: str
    message: str
    basis: tuple[str, ...]
    context: dict[str, Any]  # variant constants the message may quote
    shown: tuple[str, ...]  # fields the message names or the rule reads (display() is per field)
    kind: str  # of the facts the rule matches
    coded: tuple[str, ...]  # shown fields whose display is not the value (dates, codes, statuses)
    plain: tuple[str, ...]  # the other shown fields: the value (是/否 for a flag)
    pieces: tuple[str, ...]  # the message: text and placeholder names alternating (`_template`)
    read: tuple[str, ...]  # fields the rule reads, sorted: the finding's values
    locate: str | None
    params: tuple[str, ...]
    notes: tuple[str, ...]
    stands_for: str | None  # the severity of the check a review rule's item holds open (`Rule.stands_for`)


def _parts(book: RuleBook, rule_id: str) -> _Parts:
    cache = book.__dict__.setdefault("_finding_parts", {})
    parts = cache.get(rule_id)
    if parts is None:
        variant = book.by_rule_id()[rule_id]
        rule = book.rules[variant.code].rule
        read = _values_read(variant)
        shown = tuple(sorted(_placeholders(rule.message).union(variant.fields, read)))
        parts = cache[rule_id] = _Parts(
            code=rule.code,
            title=rule.title,
            severity=rule.severity,
            severity_label=SEVERITY_LABELS[rule.severity],
            category=rule.category,
            message=rule.message,
            basis=tuple(b.cite() for b in rule.basis),
            context={k: v for k, v in variant.context.items() if not k.startswith("_")},
            shown=shown,
            kind=variant.kind,
            coded=tuple(k for k in shown if _coded(k, variant.kind)),
            plain=tuple(k for k in shown if not _coded(k, variant.kind)),
            pieces=_template(rule.message),
            read=read,
            locate=rule.locate,
            params=tuple(variant.context.get("_params", ())),
            notes=tuple(str(n) for n in variant.context.get("_notes", ())),
            stands_for=rule.stands_for,
        )
    return parts


def _coded(field: str, kind: str) -> bool:
    """Whether `display` may show a value of `field` other than as itself or 是/否 (see `_display`)."""
    spec = fields_of(kind).get(field)
    return bool(spec and spec.type == "date") or field == "cert_status" or field in _FIELD_ENUMS


_YES_NO = {True: "是", False: "否"}
_FID = operator.itemgetter("fid")
# the setters of the four slots every pydantic model has: called directly, they skip the
# attribute lookup `object.__setattr__` makes on each call (~16 models a file)
_SET_DICT = BaseModel.__dict__["__dict__"].__set__
_SET_FIELDS_SET = BaseModel.__pydantic_fields_set__.__set__  # type: ignore[attr-defined]
_SET_EXTRA = BaseModel.__pydantic_extra__.__set__  # type: ignore[attr-defined]
_SET_PRIVATE = BaseModel.__pydantic_private__.__set__  # type: ignore[attr-defined]


def trusted(cls: type[_Model], values: dict[str, Any]) -> _Model:
    """`cls.model_construct(**values)` for values already of the field types, every field given
    in declaration order: findings are built from the rule book and validated facts, and
    pydantic's per-field loop in `model_construct` cost more than the rest of a finding.

    Models given every field share one set of set fields (building a set of ~14 names per model
    was most of the cost): it holds every field, so setting an attribute (which adds its name)
    leaves it as it is."""
    model = cls.__new__(cls)
    _SET_DICT(model, values)
    every = _EVERY_FIELD.get(cls)
    if every is None:
        every = _EVERY_FIELD[cls] = set(cls.model_fields)
    _SET_FIELDS_SET(model, every if len(values) == len(every) else set(values))
    _SET_EXTRA(model, None)
    _SET_PRIVATE(model, None)
    return model


_EVERY_FIELD: dict[type, set[str]] = {}


def _shown(parts: _Parts, fact: dict[str, Any], kind: str) -> dict[str, Any]:
    """The shown fields of a fact of the rule's kind as `display` shows them."""
    try:
        shown = {k: _display_cached(k, fact[k], kind) for k in parts.coded if k in fact}
    except TypeError:  # an unhashable value
        shown = {k: display(k, fact[k], kind) for k in parts.coded if k in fact}
    for k in parts.plain:
        if k in fact:
            value = fact[k]
            shown[k] = _YES_NO[value] if value.__class__ is bool else value
    return shown


def build_findings(
    book: RuleBook,
    result: EvalResult,
    facts: list[dict[str, Any]],
    sources: dict[str, str],
    file: str,
    locate: Any,
    not_run: list[NotRun] | None = None,
    *,
    acts: Sequence[tuple[str, Any]],
) -> list[Finding]:
    """`acts`: (kind, act) of each act of the file, in its order (`Derived.acts`)."""
    facts_by_fid = dict(zip(map(_FID, facts), facts, strict=True))
    findings: list[Finding] = []
    matches = result.sorted_matches()
    if any(m.undecided for m in matches):
        matches = _undecided_findings(book, matches, facts_by_fid, sources, file, locate, findings, not_run)
    known = book.__dict__.get("_finding_parts", {})
    for match in matches:
        parts = known.get(match.rule_id) or _parts(book, match.rule_id)
        fact = facts_by_fid[match.fid]
        kind = fact["kind"]
        if kind == parts.kind:
            shown = _shown(parts, fact, kind)
        else:  # not a fact of the rule's kind: every field through `display`
            shown = {k: display(k, fact[k], kind) for k in parts.shown if k in fact}
        if fact.get(HAS_UNKNOWN):
            shown.update(
                {k: display_uncertain(k, fact, kind) for k in parts.shown if fact.get(k + UNK) is True}
            )
        pieces = list(parts.pieces)  # `render`, its template split once per rule
        quoted = {**shown, **parts.context} if parts.context else shown
        for i in range(1, len(pieces), 2):
            pieces[i] = str(quoted.get(pieces[i], "（未记载）"))
        message = "".join(pieces)
        source = sources.get(match.fid, match.fid)
        if not parts.locate:
            field_path = source
        elif source == "case":
            field_path = _act_selector(parts.locate, acts)
        else:
            field_path = f"{source}.{parts.locate}"
        line, column = locate(field_path)
        notes = _param_notes(book, book.parameters, parts.params, fact) if parts.params else []
        notes += parts.notes
        findings.append(
            trusted(
                Finding,
                {
                    "code": parts.code,
                    "rule_id": match.rule_id,
                    "title": parts.title,
                    "severity": parts.severity,
                    "severity_label": parts.severity_label,
                    "category": parts.category,
                    "message": message,
                    "basis": list(parts.basis),
                    "location": trusted(
                        Location, {"file": file, "field": field_path, "line": line, "column": column}
                    ),
                    "values": {k: shown[k] for k in parts.read if k in fact},
                    "notes": notes,
                    "unknown": False,
                    "rule_severity": parts.stands_for,
                    "waiver": None,
                },
            )
        )
    for error in result.errors:
        findings.append(
            Finding.model_construct(  # built from trusted values: no validation per match
                code="ENGINE-ERR",
                rule_id="ENGINE-ERR",
                title="规则执行出错",
                severity="review",
                severity_label=SEVERITY_LABELS["review"],
                category="engine",
                message=f"规则执行出错，需人工评查：{error}",
                basis=[],
                location=Location.model_construct(file=file, field=""),
            )
        )
    return findings


def _undecided_findings(
    book: RuleBook,
    matches: list[Any],
    facts_by_fid: dict[str, dict[str, Any]],
    sources: dict[str, str],
    file: str,
    locate: Any,
    findings: list[Finding],
    not_run: list[NotRun] | None,
) -> list[Any]:
    """One 待人工评查 finding (or not-run entry) per rule and fact whose answer hangs on unknown
    facts, unless the rule decided on that fact anyway; returns the decided matches."""
    compiled = book.by_rule_id()
    decided = [m for m in matches if not m.undecided]
    decided_keys = {(compiled[m.rule_id].code, m.fid) for m in decided}
    fields_by_key: dict[tuple[str, str], set[str]] = {}
    variants_by_key: dict[tuple[str, str], list[str]] = {}
    for match in matches:
        if not match.undecided:
            continue
        key = (compiled[match.rule_id].code, match.fid)
        if key not in decided_keys:
            fields_by_key.setdefault(key, set()).update(compiled[match.rule_id].fields)
            variants_by_key.setdefault(key, []).append(match.rule_id)
    for (code, fid), fields in fields_by_key.items():
        definition = book.rules[code]
        rule, spec = definition.rule, definition.unknown
        fact = facts_by_fid[fid]
        fields = _values_that_matter(book, variants_by_key[code, fid], fact, fields)
        missing = missing_facts(fact, fields)
        # a value the packs do not hold is always needed: the rule cannot be judged without it
        value_fields = [f for f in fields if f.startswith(PARAM_PREFIX)]
        needed = missing_facts(fact, [*spec.needs, *value_fields]) if spec.needs is not None else missing
        source = sources.get(fid, fid)
        reason = "；".join(missing) or "相关事实未载明"
        if spec.mode == "note" or not needed:
            if not_run is not None:
                not_run.append(NotRun(code=code, title=rule.title, reason=reason, field=source))
            continue
        kind = fact["kind"]
        quoted = set().union(*(_values_read(compiled[rule_id]) for rule_id in variants_by_key[code, fid]))
        read = sorted(f for f in quoted if f in fact)
        shown = {
            k: display(k, fact[k], kind) for k in _placeholders(spec.message or "").union(read) if k in fact
        }
        message = render(spec.message or "", {**shown, "missing": "；".join(needed), "title": rule.title})
        line, column = locate(source if source != "case" else "case")
        if not_run is not None:
            not_run.append(NotRun(code=code, title=rule.title, reason=reason, field=source))
        findings.append(
            Finding.model_construct(
                code=rule.code,
                rule_id=rule.code,
                title=rule.title,
                severity="review",
                severity_label=SEVERITY_LABELS["review"],
                category=rule.category,
                message=message,
                basis=[b.cite() for b in rule.basis],
                location=Location.model_construct(file=file, field=source, line=line, column=column),
                values={k: shown[k] for k in read},
                notes=[
                    ("规则库未载入所需取值或事实未载明：" if VALUE_MARK in reason else "事实未载明：")
                    + reason
                ],
                unknown=True,
                rule_severity=rule.stands_for or rule.severity,  # what a review rule's item holds open
            )
        )
    return decided
