"""Turn matches into findings: message rendered from the fact, citation, location, values."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from pydantic import BaseModel, Field

from ..derive.vocabulary import fields_of
from ..model import enums
from ..packs.loader import RuleBook
from ..packs.schema import SEVERITY_LABELS
from .model import EvalResult

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
    values: dict[str, Any] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    waiver: WaiverNote | None = None


def display(field: str, value: Any, kind: str) -> Any:
    """A fact value as a reader expects it: dates as ISO, codes as Chinese labels."""
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


@functools.lru_cache(maxsize=4096)
def _placeholders(template: str) -> frozenset[str]:
    return frozenset(_PLACEHOLDER.findall(template))


def render(template: str, values: dict[str, Any]) -> str:
    """Substitute {name} only: no attribute access, no format spec (templates are data)."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "（未记载）")), template)


def _param_notes(
    book: RuleBook, pack_params: dict[str, Any], names: tuple[str, ...], fact: dict
) -> list[str]:
    notes = []
    for name in names:
        param = pack_params.get(name)
        if param is None:
            continue
        chosen = param.entry_for(fact)
        if chosen is None:
            continue
        cites = "、".join(b.cite() for b in chosen.basis)
        text = f"参数 {name}（{param.description}）= {chosen.value}{param.unit or ''}，依据{cites}"
        if chosen.note:
            text += f"；{chosen.note}"
        notes.append(text)
    return notes


_ACT_SELECTOR = re.compile(r"^acts\[kind=([\w|]+)\](.*)$")


def _act_selector(locate: str, facts: list[dict[str, Any]], sources: dict[str, str]) -> str:
    """`acts[kind=service|decision]`: the first act of the first kind the case has (so a finding
    points at the specific act, not at the `acts:` line); `acts` when it has none of them."""
    m = _ACT_SELECTOR.match(locate)
    if m is None:
        return locate
    for kind in m.group(1).split("|"):
        for fact in facts:
            if fact["kind"] == "act" and fact.get("act_kind") == kind and fact["fid"] in sources:
                return sources[fact["fid"]] + m.group(2)
    return "acts"


def build_findings(
    book: RuleBook,
    result: EvalResult,
    facts: list[dict[str, Any]],
    sources: dict[str, str],
    file: str,
    locate: Any,
) -> list[Finding]:
    facts_by_fid = {f["fid"]: f for f in facts}
    compiled = book.by_rule_id()
    findings: list[Finding] = []
    for match in result.sorted_matches():
        variant = compiled[match.rule_id]
        definition = book.rules[variant.code]
        rule = definition.rule
        fact = facts_by_fid[match.fid]
        kind = fact["kind"]
        context = {k: v for k, v in variant.context.items() if not k.startswith("_")}
        read = sorted(f for f in variant.fields if f in fact)
        # only the fields the message names or the rule reads are shown (display() is per field)
        wanted = _placeholders(rule.message).union(read)
        shown = {k: display(k, fact[k], kind) for k in wanted if k in fact}
        message = render(rule.message, {**shown, **context})
        source = sources.get(match.fid, match.fid)
        field_path = f"{source}.{rule.locate}" if rule.locate and source != "case" else source
        if source == "case" and rule.locate:
            field_path = _act_selector(rule.locate, facts, sources)
        line, column = locate(field_path)
        pack_params = book.parameters
        notes = _param_notes(book, pack_params, variant.context.get("_params", ()), fact)
        notes += [str(n) for n in variant.context.get("_notes", ())]
        findings.append(
            Finding.model_construct(  # built from trusted values: no validation per match
                code=rule.code,
                rule_id=match.rule_id,
                title=rule.title,
                severity=rule.severity,
                severity_label=SEVERITY_LABELS[rule.severity],
                category=rule.category,
                message=message,
                basis=[b.cite() for b in rule.basis],
                location=Location.model_construct(file=file, field=field_path, line=line, column=column),
                values={k: shown[k] for k in read},
                notes=notes,
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
