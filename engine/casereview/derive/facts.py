"""Derive the facts rules match on: one flat fact per entity, denormalised.

This step does what rules should not: ordinal days, working-day gaps on the official
calendar, counts, presence flags, certificate status on each act's date, and copies of
case-level values onto child facts (so durable_rules never joins facts). It knows no legal
number: thresholds live in the rule packs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..model.case import Act, ActingBody, CaseFile, Penalty, Violation
from ..model.roster import Certificate, Roster
from .calendar import DayCount, WorkCalendar, default_calendar, missing_calendar_note
from .citations import number_key, quoted_key, tier_key, tier_number, tier_text, title_key
from .vocabulary import CIRCUMSTANCE_PREFIX, PENALTY_TYPE_CODES


@dataclass
class Derived:
    facts: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    # fid → dotted source path in the case file, for locating findings
    sources: dict[str, str] = field(default_factory=dict)


def law_name(text: str) -> str:
    """《中华人民共和国安全生产法》 → 中华人民共和国安全生产法 (tables list the long and short names)."""
    return text.strip().strip("《》").strip()


def version_name(text: str | None) -> str | None:
    """'2021年修正' / '2014修正文本' → the year; a version without a year (令第88号) is kept as written."""
    if text is None:
        return None
    match = re.search(r"(19|20)\d\d", text)
    return match.group(0) if match else text.strip()


def _day(value: dt.date | None) -> int | None:
    return value.toordinal() if value else None


def _clean(fact: dict[str, Any]) -> dict[str, Any]:
    """Facts never carry nulls (durable treats null as present; notes §6.2 item 12)."""
    return {k: v for k, v in fact.items() if v is not None}


def _code(value: Any) -> str | None:
    return value.value if value is not None else None


class _Context:
    def __init__(self, case: CaseFile, roster: Roster | None, calendar: WorkCalendar):
        self.tables: Any = None
        self.case = case
        self.roster = roster.by_number() if roster else None
        self.calendar = calendar
        self.missing_years: set[int] = set()
        self.handlers = set(case.case.handlers)
        self.decided = case.decision.decided_on if case.decision else None
        self.opened = case.case.opened_on
        self.bodies = {b.id: b for b in case.bodies}
        self.acts_by_kind: dict[str, list[Act]] = {}
        for act in case.acts:
            self.acts_by_kind.setdefault(act.kind.value, []).append(act)

    def first(self, kind: str) -> Act | None:
        acts = self.acts_by_kind.get(kind)
        return min(acts, key=lambda a: a.on) if acts else None

    def has(self, kind: str) -> bool:
        return kind in self.acts_by_kind

    def count(self, result: DayCount) -> int:
        if not result.complete:
            self.missing_years.update(result.missing_years)
        return result.days

    def workdays(self, start: dt.date | None, end: dt.date | None) -> int | None:
        if start is None or end is None:
            return None
        return self.count(self.calendar.workdays_between(start, end))

    def common(self) -> dict[str, Any]:
        case = self.case
        return {
            "procedure": case.case.procedure.value,
            "party_kind": case.party.kind.value,
            "sector": _code(case.party.sector),
            "decided_on": _day(self.decided),
            "opened_on": _day(self.opened),
            "outcome": _code(case.decision.outcome) if case.decision else None,
            "province": case.case.agency.region[:2] if case.case.agency.region else None,
            "agency_prefecture": case.case.agency.region[:4] if case.case.agency.region else None,
            "agency_region": case.case.agency.region,
        }

    def cert_status(self, cert_no: str | None, on: dt.date) -> tuple[str, Certificate | None]:
        if not cert_no:
            return "no_cert", None
        if self.roster is None or cert_no not in self.roster:
            return "not_in_roster", None
        cert = self.roster[cert_no]
        if cert.status.value != "valid" and (cert.status_since is None or cert.status_since <= on):
            return cert.status.value, cert
        if on < cert.valid_from:
            return "not_yet_valid", cert
        if cert.valid_to is not None and on > cert.valid_to:
            return "expired", cert
        return "valid", cert


def derive(
    case: CaseFile,
    roster: Roster | None = None,
    calendar: WorkCalendar | None = None,
    tables: Any = None,
) -> Derived:
    """`tables` (the rule book's loaded tables) lets combined fines carry the sum of their ranges."""
    ctx = _Context(case, roster, calendar or default_calendar())
    ctx.tables = tables
    common = ctx.common()
    derived = Derived(facts=[])

    def add(kind: str, fid: str, source: str, fact: dict[str, Any]) -> None:
        derived.facts.append(_clean({"kind": kind, "fid": fid, **common, **fact}))
        derived.sources[fid] = source

    for index, act in enumerate(case.acts):
        act_fact, performers = _act_facts(ctx, act)
        add("act", f"acts[{index}]", f"acts[{index}]", act_fact)
        for pos, performer in enumerate(performers):
            path = f"acts[{index}].by[{pos}]"
            add("performer", path, path, performer)
    for index, violation in enumerate(case.violations):
        add("violation", f"violations[{index}]", f"violations[{index}]", _violation_fact(ctx, violation))
    if case.decision:
        for index in range(len(case.decision.penalties)):
            path = f"decision.penalties[{index}]"
            add("penalty", path, path, _penalty_fact(ctx, index))
            # a combined fine decided 分别裁量: each violation's own amount is checked as a penalty of its own
            for vindex, part in _separate_parts(case, case.decision.penalties[index]):
                source = f"violations[{vindex}].discretion"
                add("penalty", f"{path}<{part.violation_ids[0]}>", source, _penalty_fact(ctx, index, part))
    add("case", "case", "case", _case_fact(ctx))

    if roster is None:
        derived.notes.append("未提供证件台账（--roster），执法人员证件无法核验，相关环节列为待人工评查")
    note = missing_calendar_note(sorted(ctx.missing_years))
    if note:
        derived.notes.append(note)
        for fact in derived.facts:
            if fact["kind"] == "case":
                fact["calendar_incomplete"] = True
                fact["calendar_note"] = f"（注意：{note}）"
    return derived


def _body_facts(ctx: _Context, act: Act) -> dict[str, Any]:
    """Who performed the act when it was not the deciding agency (None fields: not recorded)."""
    body: ActingBody | None = ctx.bodies.get(act.body) if act.body else None
    if body is None:
        return {"body_present": False, "body_text": ""}
    own = [a for a in ctx.case.acts if a.body == body.id]
    recorded = True if body.instrument is not None else body.instrument_recorded
    in_term = None
    if body.valid_from or body.valid_to:
        in_term = (body.valid_from is None or act.on >= body.valid_from) and (
            body.valid_to is None or act.on <= body.valid_to
        )
    return {
        "body_present": True,
        "body_name": body.name,
        "body_text": f"{body.name}，",
        # rules about the body itself (its relation, its instrument) fire once, on its first act
        "body_first_act": act is own[0],
        "body_n_acts": len(own),
        "body_acts_text": "、".join(f"{a.kind.label}（{a.on.isoformat()}）" for a in own),
        "body_kind": _code(body.kind),
        "body_relation": _code(body.relation),
        "body_instrument_recorded": recorded,
        "body_instrument": _instrument_text(body.instrument),
        "body_in_scope": (act.kind in body.scope) if body.scope else None,
        "body_in_term": in_term,
        "body_in_own_name": body.in_own_name,
    }


def _instrument_text(instrument: Any) -> str | None:
    if instrument is None:
        return None
    return " ".join(x for x in (instrument.title, instrument.number) if x) or None


def _act_facts(ctx: _Context, act: Act) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    performers = []
    body = _body_facts(ctx, act)
    n_officers = n_valid = n_unverified = 0
    for person in act.by:
        status, cert = ctx.cert_status(person.cert, act.on)
        role = person.role.value
        if role == "officer":
            n_officers += 1
            n_valid += status == "valid" and (cert is None or cert.role.value == "officer")
            n_unverified += status in ("not_in_roster", "no_cert")
        performers.append(
            {
                "act_kind": act.kind.value,
                "on": act.on.toordinal(),
                "name": person.name,
                "cert": person.cert,
                "role": role,
                "roster_role": _code(cert.role) if cert else None,
                "cert_status": status,
                "cert_valid_from": _day(cert.valid_from) if cert else None,
                "cert_valid_to": _day(cert.valid_to) if cert else None,
                "legal_qualification": cert.legal_qualification if cert else None,
                "is_handler": person.name in ctx.handlers,
                "name_mismatch": (cert.holder != person.name) if cert else None,
                "body_present": body["body_present"],
                "body_name": body.get("body_name"),
                "body_text": body["body_text"],
            }
        )
    fact = {
        "act_kind": act.kind.value,
        "on": act.on.toordinal(),
        "n_performers": len(act.by),
        "n_officers": n_officers,
        "n_valid_officers": n_valid,
        "n_unverified_officers": n_unverified,
        "n_countable_officers": n_valid + n_unverified,
        "n_non_officers": len(act.by) - n_officers,
        "recorded": _code(act.recorded),
        "approved": act.approved,
        "result": _code(act.result),
        "before_opening": (act.on < ctx.opened) if ctx.opened else None,
        "after_decision": (act.on > ctx.decided) if ctx.decided else None,
        **body,
    }
    return fact, performers


def _escalation_evidence(ctx: _Context, violation: Violation) -> bool:
    """A correction (or stop) order before a re-inspection that found it not corrected or refused."""
    orders = [
        a
        for a in ctx.case.acts
        if a.kind.value in ("correction_order", "stop_order") and _concerns(a, violation)
    ]
    checks = [
        a
        for a in ctx.acts_by_kind.get("reinspection", [])
        if _concerns(a, violation) and a.result is not None and a.result.value in ("not_corrected", "refused")
    ]
    return any(check.on > order.on for order in orders for check in checks)


def _concerns(act: Act, violation: Violation) -> bool:
    return not act.violation_ids or violation.id in act.violation_ids


def _violation_fact(ctx: _Context, violation: Violation) -> dict[str, Any]:
    case = ctx.case
    basis = violation.penalty_basis
    ended = violation.continuing_until or violation.committed_on
    inspection = ctx.first("inspection")
    discovered = violation.discovered_on or (inspection.on if inspection else None) or ctx.opened
    fines = [
        p
        for p in (case.decision.penalties if case.decision else [])
        if p.type.value == "fine" and (violation.id in p.violation_ids or not p.violation_ids)
    ]
    unit_fines = [p for p in fines if p.target.value == "unit"]
    targets = [(p.target.value, p.person_id) for p in fines]
    discretion = violation.discretion
    reinspections = [a for a in ctx.acts_by_kind.get("reinspection", []) if _concerns(a, violation)]
    coercive = [
        a
        for a in case.acts
        if a.kind.value in ("seizure", "detention", "stop_order") and _concerns(a, violation)
    ]
    return {
        "violation_id": violation.id,
        "basis_law": law_name(basis.law),
        "basis_version": version_name(basis.version),
        "basis_article": basis.article,
        "basis_paragraph": basis.paragraph,
        "basis_item": basis.item,
        **_basis_stated(basis),
        "fined_unit": bool(unit_fines),
        "fined_person": any(p.target.value == "person" for p in fines),
        "penalized": any(
            violation.id in p.violation_ids or not p.violation_ids
            for p in (case.decision.penalties if case.decision else [])
        ),
        "committed_on": violation.committed_on.toordinal(),
        "ended_on": ended.toordinal(),
        "discovered_on": _day(discovered),
        "days_to_discovery": (discovered - ended).days if discovered else None,
        "months_to_discovery": _months_between(ended, discovered) if discovered else None,
        "first_offence": violation.first_offence,
        "harm": _code(violation.harm),
        "corrected_in_time": violation.corrected_in_time,
        "major_hazard": violation.major_hazard,
        "health_safety_harm": violation.health_safety_harm,
        "serious_dishonesty": case.party.flags.serious_dishonesty,
        "fatal_accident_within_3y": case.party.flags.fatal_accident_within_3y,
        "major_hazard_source": case.party.flags.major_hazard_source,
        "branch": violation.branch.value,
        "escalation_evidence": _escalation_evidence(ctx, violation),
        "n_fines": max((targets.count(t) for t in targets), default=0),
        "n_fines_unit": len(unit_fines),
        "in_combined_fine": any(len(p.violation_ids) > 1 and violation.id in p.violation_ids for p in fines),
        "separate_amount_stated": bool(discretion and discretion.amount is not None),
        "fined": bool(fines),
        "adjustment": discretion.adjustment.value if discretion else "none",
        "list_item": discretion.list_item if discretion else None,
        "benchmark_item": discretion.benchmark_item if discretion else None,
        "has_education": ctx.has("education"),
        "has_no_penalty_decision": ctx.has("no_penalty_decision"),
        "has_commitment": ctx.has("commitment"),
        "has_correction_order": any(
            _concerns(a, violation) for a in ctx.acts_by_kind.get("correction_order", [])
        ),
        "reinspection_corrected": any(
            a.result is not None and a.result.value == "corrected" for a in reinspections
        ),
        "coercive_measure": bool(coercive),
        "has_reinspection": bool(reinspections),
        "transfer_present": ctx.has("transfer"),
        "stop_order_refused": _stop_order_refused(ctx),
        **_circumstances(violation),
    }


def _basis_stated(basis: Any) -> dict[str, Any]:
    """What the citation states: clause matching treats an unstated version/paragraph/sentence apart."""
    return {
        "basis_version_stated": basis.version is not None,
        "basis_paragraph_stated": basis.paragraph is not None,
        "basis_sentence": getattr(basis, "sentence", None),
        "basis_sentence_stated": getattr(basis, "sentence", None) is not None,
    }


def _add_months(day: dt.date, months: int) -> dt.date:
    import calendar

    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months_between(start: dt.date, end: dt.date) -> int:
    """The smallest m with end <= start + m months (0 when end <= start): 二年内 = m <= 24."""
    if end <= start:
        return 0
    months = max((end.year - start.year) * 12 + end.month - start.month - 1, 0)
    while _add_months(start, months) < end:
        months += 1
    return months


def _circumstances(violation: Violation) -> dict[str, Any]:
    """Circumstance facts benchmark tiers read, prefixed; dates become ordinal days."""
    out: dict[str, Any] = {}
    for name, value in violation.facts.items():
        key = CIRCUMSTANCE_PREFIX + name
        out[key] = value.toordinal() if isinstance(value, dt.date) else value
    return out


def _separate_parts(case: CaseFile, penalty: Penalty) -> list[tuple[int, Penalty]]:
    """The per-violation parts of a combined fine whose violations all state their own amount."""
    if penalty.type.value != "fine" or len(penalty.violation_ids) < 2:
        return []
    index = {v.id: (i, v) for i, v in enumerate(case.violations)}
    found = [index[vid] for vid in penalty.violation_ids if vid in index]
    if len(found) != len(penalty.violation_ids) or any(
        v.discretion is None or v.discretion.amount is None for _, v in found
    ):
        return []
    return [
        (
            i,
            penalty.model_copy(
                update={"violation_ids": [v.id], "amount": v.discretion.amount, "basis": None}
            ),
        )
        for i, v in found
    ]


def _penalty_fact(ctx: _Context, index: int, part: Penalty | None = None) -> dict[str, Any]:
    case = ctx.case
    assert case.decision is not None
    whole = case.decision.penalties[index]
    penalty = part or whole
    by_id = {v.id: v for v in case.violations}
    violation = by_id.get(penalty.violation_ids[0]) if penalty.violation_ids else case.violations[0]
    violation = violation or case.violations[0]
    basis = penalty.basis or violation.penalty_basis
    person = next((p for p in case.persons if p.id == penalty.person_id), None)
    discretion = violation.discretion
    fact = {
        "target": penalty.target.value,
        "penalty_type": penalty.type.value,
        "amount": penalty.amount,
        "person_role": person.role.value if person else None,
        "person_income": person.last_year_income if person else None,
        "basis_law": law_name(basis.law),
        "basis_version": version_name(basis.version),
        "basis_article": basis.article,
        "basis_paragraph": basis.paragraph,
        "basis_item": basis.item,
        **_basis_stated(basis),
        "branch": violation.branch.value,
        "escalation_evidence": _escalation_evidence(ctx, violation),
        "illegal_gains": violation.illegal_gains,
        "previously_fined": violation.previously_fined,
        "accident_grade": _code(violation.accident_grade),
        "adjustment": discretion.adjustment.value if discretion else "none",
        "has_mitigation_ground": bool(discretion and discretion.grounds),
        "benchmark_item": discretion.benchmark_item if discretion else None,
        "benchmark_ref": discretion.benchmark if discretion else None,
        "benchmark_ref_number": number_key(discretion.benchmark) if discretion else None,
        "benchmark_ref_title": quoted_key(discretion.benchmark) if discretion else None,
        "benchmark_ref_text": title_key(discretion.benchmark) if discretion else None,
        "tier": tier_number(discretion.tier) if discretion else None,
        "tier_key": tier_key(discretion.tier) if discretion else None,
        "tier_stated": tier_text(discretion.tier) if discretion else None,
        "discretion_stated": discretion.stated_in_decision if discretion else False,
        "committed_on": violation.committed_on.toordinal(),
        # the law version is chosen by the day the violation ended (行政处罚法 arts. 36 ¶2, 37)
        "ended_on": (violation.continuing_until or violation.committed_on).toordinal(),
        "violation_id": violation.id,
        "n_violations": len(penalty.violation_ids),
        "combined": len(penalty.violation_ids) > 1,
        "separate_part": part is not None,
        **_circumstances(violation),
    }
    parts = [] if part is not None else _separate_parts(case, whole)
    if parts:
        fact["parts_amount_sum"] = sum(p.amount or 0 for _, p in parts)
    if len(penalty.violation_ids) > 1 and penalty.type.value == "fine" and ctx.tables is not None:
        from ..packs.tables.instruments import (
            combined_bounds,
        )  # reads the loaded tables, no legal numbers here

        parts = [by_id[vid] for vid in penalty.violation_ids if vid in by_id]
        fact.update(combined_bounds(ctx.tables, parts, penalty.target.value))
    return fact


def _case_fact(ctx: _Context) -> dict[str, Any]:
    case = ctx.case
    decision = case.decision
    decided = ctx.decided
    penalties = decision.penalties if decision else []
    fines = [p for p in penalties if p.type.value == "fine"]
    person_fines = [p.amount or 0 for p in fines if p.target.value == "person"]
    types = {p.type.value for p in penalties}

    notice = ctx.first("notice")
    hearing = ctx.first("hearing")
    hearing_notification = ctx.first("hearing_notification")
    hearing_request = ctx.first("hearing_request")
    review = _latest(ctx.acts_by_kind.get("legal_review", []))
    discussion = ctx.first("collective_discussion")
    service = ctx.first("service")
    publicity = ctx.first("publicity")
    preservation = ctx.first("preservation")
    preservation_decision = ctx.first("preservation_decision")
    reviewers = [p for p in (review.by if review else []) if p.role.value in ("legal_reviewer", "officer")]
    reviewer_certs = [ctx.cert_status(p.cert, review.on) for p in reviewers] if review else []

    def before_decision(act: Act | None) -> bool | None:
        return (act.on <= decided) if act and decided else None

    agency = case.case.agency
    fact: dict[str, Any] = {
        "agency_level": _code(agency.level),
        "agency_devolution_recorded": True if agency.devolution is not None else agency.devolution_recorded,
        "n_body_acts": sum(1 for a in case.acts if a.body),
        "headcount": case.party.headcount,
        "closed_on": _day(case.case.closed_on),
        "has_decision": decision is not None,
        "n_penalties": len(penalties),
        "fine_total": sum(p.amount or 0 for p in fines),
        "fine_total_unit": sum(p.amount or 0 for p in fines if p.target.value == "unit"),
        "fine_max_person": max(person_fines, default=0),
        "has_suspension": "suspension" in types,
        "has_licence_revocation": "licence_revocation" in types,
        "has_closure": "closure" in types,
        # one flag per penalty kind: which kinds are "较重" (hearing, legal review) is said in the packs
        **{f"has_penalty_{code}": code in types for code in PENALTY_TYPE_CODES},
        "major_case": decision.major_case if decision else None,
        "hearing_right_notified": any(a.hearing_right_notified for a in ctx.acts_by_kind.get("notice", [])),
        "notice_day_known": notice is not None,
        "notice_on": _day(notice.on) if notice else None,
        "notice_before_decision": (notice.on < decided) if notice and decided else None,
        "hearing_requested": hearing_request is not None and _code(hearing_request.result) != "waived",
        "hearing_held": hearing is not None,
        "hearing_on": _day(hearing.on) if hearing else None,
        "hearing_request_workdays": ctx.workdays(notice.on if notice else None, _on(hearing_request)),
        "hearing_notice_gap_workdays": (
            ctx.count(ctx.calendar.gap_workdays_strict(hearing_notification.on, hearing.on))
            if hearing_notification and hearing
            else None
        ),
        "hearing_chair_is_investigator": (
            any(p.name in ctx.handlers for p in hearing.by if p.role.value != "legal_reviewer")
            if hearing
            else None
        ),
        "decision_after_hearing": (decided > hearing.on) if hearing and decided else None,
        "legal_review_present": review is not None,
        "legal_review_before_decision": before_decision(review),
        "legal_review_approved": (_code(review.result) == "approved") if review else None,
        "legal_reviewer_is_handler": any(p.name in ctx.handlers for p in reviewers) if review else None,
        "legal_reviewer_unqualified": (
            any(cert is not None and not cert.legal_qualification for _, cert in reviewer_certs)
            if review
            else None
        ),
        "legal_reviewer_unverified": (
            any(status in ("not_in_roster", "no_cert") for status, _ in reviewer_certs) if review else None
        ),
        "collective_discussion_present": discussion is not None,
        "collective_discussion_before_decision": before_decision(discussion),
        "extension_approved": any(
            a.approved is not False for a in ctx.acts_by_kind.get("extension_approval", [])
        ),
        "decision_natural_days": (
            ctx.count(ctx.calendar.natural_days_effective(ctx.opened, decided))
            if ctx.opened and decided
            else None
        ),
        "service_present": service is not None,
        "served_on_the_spot": (_code(service.method) == "on_the_spot") if service else None,
        "service_workdays": ctx.workdays(decided, _on(service))
        if service and service.on >= decided
        else None,
        "service_before_decision": (service.on < decided) if service and decided else None,
        "publicity_present": publicity is not None,
        "publicity_workdays": ctx.workdays(decided, _on(publicity)),
        "preservation_present": preservation is not None,
        "preservation_decided": preservation_decision is not None if preservation else None,
        "preservation_decision_workdays": ctx.workdays(_on(preservation), _on(preservation_decision)),
        "decision_before_opening": (decided < ctx.opened) if decided and ctx.opened else None,
        "transfer_present": ctx.has("transfer"),
        "stop_order_refused": _stop_order_refused(ctx),
        "major_hazard_any": any(v.major_hazard for v in case.violations),
        **_hazard_order_refusal(ctx),
        **_procedure_extras(ctx, notice, hearing, hearing_request),
    }
    return fact


def _procedure_extras(
    ctx: _Context, notice: Act | None, hearing: Act | None, hearing_request: Act | None
) -> dict[str, Any]:
    """Fields for the procedure, hearing, deadline and transfer packs (additive)."""
    decided = ctx.decided
    fines = [p for p in (ctx.case.decision.penalties if ctx.case.decision else []) if p.type.value == "fine"]
    hearing_staff = [p for p in (hearing.by if hearing else []) if p.role.value != "legal_reviewer"]
    stop = ctx.first("stop_order")
    refusals = [
        a
        for a in ctx.acts_by_kind.get("reinspection", [])
        if a.result is not None and a.result.value in ("refused", "not_corrected") and stop and a.on > stop.on
    ]
    return {
        "decision_before_hearing": (decided < hearing.on) if hearing and decided else None,
        # every person at the hearing is on the investigation: nobody independent could chair it
        "hearing_no_independent_chair": (
            all(p.name in ctx.handlers for p in hearing_staff) if hearing_staff else None
        ),
        "hearing_waived": hearing_request is not None and _code(hearing_request.result) == "waived",
        "notice_decision_workdays": ctx.workdays(notice.on, decided) if notice and decided else None,
        "fine_citizen_max": max(
            [p.amount or 0 for p in fines if p.target.value == "person"]
            + ([sum(p.amount or 0 for p in fines)] if ctx.case.party.kind.value != "organisation" else []),
            default=0,
        ),
        "decision_calendar_days": (decided - ctx.opened).days if decided and ctx.opened else None,
        "stop_order_on": _day(stop.on) if stop else None,
        "refusal_found_on": _day(min(a.on for a in refusals)) if refusals else None,
        "calendar_note": "",
        **_per_party(ctx),
        "notice_same_day": (notice.on == decided) if notice and decided else None,
        "statement_waived": any(
            _code(a.result) == "waived" and (decided is None or a.on <= decided)
            for a in ctx.acts_by_kind.get("statement", [])
        ),
        "hearing_notice_workdays": (
            ctx.workdays(ctx.first("hearing_notification").on, hearing.on)  # type: ignore[union-attr]
            if hearing and ctx.first("hearing_notification")
            else None
        ),
    }


def _per_party(ctx: _Context) -> dict[str, Any]:
    """Amounts per party (the case's party, each fined person): limits apply per party, not summed."""
    penalties = ctx.case.decision.penalties if ctx.case.decision else []
    citizen_party = ctx.case.party.kind.value != "organisation"

    def per_person(kind: str) -> int:
        totals: dict[str, int] = {}
        for p in penalties:
            if p.type.value == kind and p.target.value == "person" and p.person_id:
                totals[p.person_id] = totals.get(p.person_id, 0) + (p.amount or 0)
        return max(totals.values(), default=0)

    def party_total(kind: str) -> int:
        return sum(p.amount or 0 for p in penalties if p.type.value == kind and p.target.value == "unit")

    return {
        "fine_max_per_person": per_person("fine"),
        "fine_max_per_citizen": max(per_person("fine"), party_total("fine") if citizen_party else 0),
        "confiscation_total_unit": party_total("confiscation"),
        "confiscation_citizen_max": max(
            per_person("confiscation"), party_total("confiscation") if citizen_party else 0
        ),
        "unit_penalized": any(p.target.value == "unit" for p in penalties),
    }


def _on(act: Act | None) -> dt.date | None:
    return act.on if act else None


def _latest(acts: Iterable[Act]) -> Act | None:
    acts = list(acts)
    return max(acts, key=lambda a: a.on) if acts else None


def _hazard_order_refusal(ctx: _Context) -> dict[str, Any]:
    """An order on a 重大事故隐患 (stop work/use, or a correction order: 立即采取排除危险的整改措施)
    followed by a re-inspection finding it refused or not carried out (刑法 art. 134-1 (二))."""
    hazards = [v for v in ctx.case.violations if v.major_hazard]
    pairs = []
    for order in ctx.case.acts:
        if order.kind.value not in ("stop_order", "correction_order"):
            continue
        concerned = [v for v in hazards if _concerns(order, v)]
        if not concerned:
            continue
        for check in ctx.acts_by_kind.get("reinspection", []):
            refused = check.result is not None and check.result.value in ("refused", "not_corrected")
            if refused and check.on > order.on and any(_concerns(check, v) for v in concerned):
                pairs.append((check.on, order.on))
    if not pairs:
        return {"hazard_order_refused": False}
    refusal_on, order_on = min(pairs)
    return {
        "hazard_order_refused": True,
        "hazard_order_on": order_on.toordinal(),
        "hazard_refusal_on": refusal_on.toordinal(),
    }


def _stop_order_refused(ctx: _Context) -> bool:
    """A stop-work/stop-use order followed by a re-inspection finding it refused or not carried out."""
    orders = ctx.acts_by_kind.get("stop_order", [])
    checks = [
        a
        for a in ctx.acts_by_kind.get("reinspection", [])
        if a.result is not None and a.result.value in ("refused", "not_corrected")
    ]
    return any(check.on > order.on for order in orders for check in checks)
