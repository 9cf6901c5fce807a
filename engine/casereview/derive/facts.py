"""Derive the facts rules match on: one flat fact per entity, denormalised.

This step does what rules should not: ordinal days, working-day gaps on the official
calendar, counts, presence flags, certificate status on each act's date, and copies of
case-level values onto child facts (so durable_rules never joins facts). It knows no legal
number: thresholds live in the rule packs.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..memo import remember
from ..model.case import Act, ActingBody, CaseFile, Discretion, LegalRef, Penalty, Performer, Violation
from ..model.enums import PerformerRole
from ..model.roster import Certificate, Roster
from ..model.unknown import Unknown
from ..packs.uncertain import HAS_UNKNOWN
from .calendar import DayCount, WorkCalendar, calendar_unknown_text, default_calendar, missing_calendar_note
from .citations import number_key, quoted_key, tier_key, tier_number, tier_text, title_key
from .coercion import coercion_period
from .identity import party_age
from .needs import FactNeeds
from .unsure import (
    ACTS_UNKNOWN,
    WHY,
    Settling,
    Unsure,
    all_of,
    any_of,
    any_unsure,
    bounds,
    code,
    compare,
    day,
    largest,
    plain,
    required,
    settle,
    span_count,
    total,
    unknown_text,
    unsure,
    why_of,
)
from .vocabulary import CIRCUMSTANCE_PREFIX, GROUND_FIELDS, PENALTY_TYPE_CODES


@dataclass
class Derived:
    facts: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    # fid → dotted source path in the case file, for locating findings
    sources: dict[str, str] = field(default_factory=dict)
    # (topic, reason) of whole areas that could not be checked (e.g. acts marked unknown)
    blocked: list[tuple[str, str]] = field(default_factory=list)
    # (kind, act) of each act of the file, in its order: findings locate `acts[kind=…]` by them
    # (an act's fact is left out when no rule can match it)
    acts: list[tuple[str, Act]] = field(default_factory=list)


@functools.lru_cache(maxsize=1024, typed=True)  # a batch cites a few laws, in a few spellings
def law_name(text: str) -> str:
    """《中华人民共和国安全生产法》 → 中华人民共和国安全生产法 (tables list the long and short names)."""
    return text.strip().strip("《》").strip()


@functools.lru_cache(maxsize=1024, typed=True)  # a batch cites a few laws, in a few spellings
def version_name(text: str | None) -> str | None:
    """'2021年修正' / '2014修正文本' → the year; a version without a year (令第88号) is kept as written."""
    if text is None:
        return None
    match = re.search(r"(19|20)\d\d", text)
    return match.group(0) if match else text.strip()


def _day(value: dt.date | None) -> int | None:
    return value.toordinal() if value else None


def _clean(fact: dict[str, Any]) -> dict[str, Any]:
    """Facts never carry nulls (durable treats null as present; notes §6.2 item 12); unsure values
    become flags, bounds and reasons (derive/unsure.py)."""
    return settle(fact)


def _code(value: Any) -> str | None:
    # `_value_`: the enum member's value without the property call (read ~200 times a case)
    return value._value_ if value is not None and not isinstance(value, Unknown) else None


DECISION_UNKNOWN = "处理决定（decision）未载明"


def _act_label(act: Act) -> str:
    return f"{act.kind.label}日期"


@dataclass(frozen=True, slots=True)
class _CertSpan:
    """A certificate's status and dates as ordinal days (compared once per performer)."""

    cert: Certificate
    role: str  # the holder's role in the roster
    status: str
    since: int | None
    valid_from: int
    valid_to: int | None
    # the days on which `status_on` gives "valid" (first > last: none), compared inline for
    # each performer (~16 a case) instead of a call
    first_valid: int = field(init=False)
    last_valid: int = field(init=False)

    def __post_init__(self) -> None:
        last = self.valid_to if self.valid_to is not None else dt.date.max.toordinal()
        if self.status != "valid":
            last = min(last, self.since - 1) if self.since is not None else self.valid_from - 1
        object.__setattr__(self, "first_valid", self.valid_from)
        object.__setattr__(self, "last_valid", last)

    def status_on(self, on: int) -> str:
        if self.status != "valid" and (self.since is None or self.since <= on):
            return self.status
        if on < self.valid_from:
            return "not_yet_valid"
        if self.valid_to is not None and on > self.valid_to:
            return "expired"
        return "valid"


class _RosterIndex:
    """The batch's certificates by number, with their spans, built once per roster."""

    last: _RosterIndex | None = None

    def __init__(self, roster: Roster) -> None:
        self.roster = roster
        self.certs = roster.by_number()
        self.spans = {
            number: _CertSpan(
                cert,
                cert.role.value,
                cert.status.value,
                _day(cert.status_since),
                cert.valid_from.toordinal(),
                _day(cert.valid_to),
            )
            for number, cert in self.certs.items()
        }

    @classmethod
    def of(cls, roster: Roster) -> _RosterIndex:
        # every case of a batch shares one roster, which is not changed once loaded
        last = cls.last
        if last is None or last.roster is not roster:
            last = cls.last = cls(roster)
        return last


class _Context:
    def __init__(self, case: CaseFile, roster: Roster | None, calendar: WorkCalendar):
        self.tables: Any = None
        self.keep_performer: Callable[[tuple[Any, ...]], bool] | None = None  # derive/needs.py
        self.keep_act: Callable[[tuple[Any, ...]], bool] | None = None  # derive/needs.py
        self.case = case
        self.roster = _RosterIndex.of(roster) if roster else None
        self.calendar = calendar
        self.missing_years: set[int] = set()
        self.acts_unknown = isinstance(case.acts, Unknown)
        self.acts = case.acts_list
        self.handlers_unknown = isinstance(case.case.handlers, Unknown)
        self.handlers = set(case.case.handlers) if not self.handlers_unknown else set()
        self.decision_unknown = isinstance(case.decision, Unknown)
        self.decision = case.decision_record
        penalties = self.decision.penalties if self.decision else []
        # a decision that states neither its outcome nor its penalties: what it imposed is unknown
        self.penalties_unknown = isinstance(penalties, Unknown) or (
            self.decision is not None
            and (self.decision.outcome is None or isinstance(self.decision.outcome, Unknown))
            and "penalties" not in self.decision.model_fields_set
        )
        self.penalties: list[Penalty] = penalties if isinstance(penalties, list) else []
        self.decided = (
            day(
                required(self.decision.decided_on, "决定日期（decision.decided_on）"),
                "决定日期（decision.decided_on）",
            )
            if self.decision
            else (unsure(DECISION_UNKNOWN) if self.decision_unknown else None)
        )
        self.opened = day(case.case.opened_on, "立案日期（case.opened_on）")
        self.bodies = {b.id: b for b in case.bodies}
        self.acts_by_kind: dict[str, list[Act]] = {}
        self.act_days: dict[int, int | Unsure] = {}
        self._of_kinds: dict[tuple[str, ...], list[Act]] = {}
        self._escalation: dict[int, bool | Unsure] = {}
        self.kinded = [(act.kind._value_, act) for act in self.acts]
        for kind, act in self.kinded:
            self.acts_by_kind.setdefault(kind, []).append(act)
            on = act.on
            self.act_days[id(act)] = (
                on.toordinal()
                if isinstance(on, dt.date)
                else (day(on, _act_label(act)) if on is not None else unsure(f"{_act_label(act)}未记载"))
            )
        # read by every violation's fact and the case's (a cached_property takes a lock per read)
        self.stop_order_refused = _stop_order_refused(self)

    def of_kinds(self, *kinds: str) -> list[Act]:
        """Acts of any of `kinds`, in the file's order (reasons and comparisons keep that order)."""
        acts = self._of_kinds.get(kinds)
        if acts is None:
            present = [kind for kind in kinds if kind in self.acts_by_kind]
            if len(present) <= 1:  # one kind's acts are already in the file's order
                acts = self.acts_by_kind[present[0]] if present else []
            else:
                acts = [a for k, a in self.kinded if k in kinds]
            self._of_kinds[kinds] = acts
        return acts

    def on(self, act: Act | None) -> int | Unsure | None:
        """An act's day (ordinal, interval or unknown); for a missing act: unknown when the
        whole record is unknown, else absent."""
        if act is None:
            return unsure(ACTS_UNKNOWN) if self.acts_unknown else None
        return self.act_days[id(act)]

    def _sort_key(self, act: Act) -> int:
        lo = bounds(self.act_days[id(act)])[0]
        return lo if lo is not None else 10**9

    def first(self, kind: str) -> Act | None:
        acts = self.acts_by_kind.get(kind)
        if not acts:
            return None
        return acts[0] if len(acts) == 1 else min(acts, key=self._sort_key)

    def first_on(self, kind: str) -> int | Unsure | None:
        """The earliest day of acts of `kind` (an interval when some of their days are unsure)."""
        acts = self.acts_by_kind.get(kind)
        if not acts:
            return self.on(None)
        days = [self.act_days[id(a)] for a in acts]
        if not any_unsure(days):
            return min(days)  # type: ignore[type-var]
        los = [bounds(d)[0] for d in days]
        his = [bounds(d)[1] for d in days]
        lo = None if any(v is None for v in los) else min(los)  # type: ignore[type-var]
        known_his = [h for h in his if h is not None]
        hi = min(known_his) if known_his else None
        return Unsure(lo, hi, why_of(*days))

    def has(self, kind: str) -> bool | Unsure:
        if kind in self.acts_by_kind:
            return True
        return unsure(ACTS_UNKNOWN) if self.acts_unknown else False

    def count(self, result: DayCount) -> int | Unsure:
        """A day count; without calendar data for some of its days, the interval every possible
        calendar of those years gives (a deadline is then decided only if all of them agree)."""
        if result.complete:
            return result.days
        self.missing_years.update(result.missing_years)
        if not (result.below or result.above):
            return result.days
        return Unsure(result.lo, result.hi, (calendar_unknown_text(result.missing_years),))

    def workdays(self, start: Any, end: Any) -> int | Unsure | None:
        if type(start) is int and type(end) is int:
            return self._workdays(start, end)
        return span_count(start, end, self._workdays)

    def _workdays(self, a: int, b: int) -> int | Unsure:
        return self.count(self.calendar.workdays_between_days(a, b))

    def natural_effective(self, start: Any, end: Any) -> int | Unsure | None:
        if type(start) is int and type(end) is int:
            return self._natural(start, end)
        return span_count(start, end, self._natural)

    def _natural(self, a: int, b: int) -> int | Unsure:
        return self.count(self.calendar.natural_days_effective_days(a, b))

    def common(self) -> dict[str, Any]:
        case = self.case
        region = case.case.agency.region
        outcome: Any = None
        if self.decision:
            outcome = code(self.decision.outcome, "处理结果（decision.outcome）")
            if self.decision.outcome is None:
                outcome = unsure("处理结果（decision.outcome）未记载")
        elif self.decision_unknown:
            outcome = unsure(DECISION_UNKNOWN)
        procedure = case.case.procedure
        return {
            "procedure": code(required(procedure, "程序类型（case.procedure）"), "程序类型（case.procedure）")
            if procedure is not None
            else unsure("程序类型（case.procedure）未记载"),
            "party_kind": code(case.party.kind, "当事人类型（party.kind）")
            if case.party.kind is not None
            else unsure("当事人类型（party.kind）未记载"),
            "sector": code(case.party.sector, "行业领域（party.sector）"),
            "decided_on": self.decided,
            "opened_on": self.opened,
            "outcome": outcome,
            "province": region[:2] if isinstance(region, str) else plain(region, "执法机关行政区划代码"),
            "agency_prefecture": region[:4]
            if isinstance(region, str)
            else plain(region, "执法机关行政区划代码"),
            "agency_region": plain(region, "执法机关行政区划代码（case.agency.region）"),
        }

    def cert_status(self, cert_no: Any, on: Any) -> tuple[Any, Certificate | None]:
        if isinstance(cert_no, Unknown):
            return unsure(f"执法证件号{cert_no.describe()}"), None
        if not cert_no:
            return "no_cert", None
        cert = self.roster.certs.get(cert_no) if self.roster is not None else None
        if cert is None:
            return "not_in_roster", None
        span = self.roster.spans[cert_no]  # type: ignore[union-attr]
        if type(on) is int:
            return span.status_on(on), cert
        lo, hi = bounds(on)
        if isinstance(on, Unsure) and (lo is None or hi is None):
            return Unsure(None, None, on.why), cert
        if lo != hi:  # a partial date: decided only when every possible day gives the same status
            first = span.status_on(lo)  # type: ignore[arg-type]
            last = span.status_on(hi)  # type: ignore[arg-type]
            if first != last:
                return Unsure(None, None, why_of(on)), cert
            return first, cert
        return span.status_on(lo), cert  # type: ignore[arg-type]


# tests set this to check that the fast paths give exactly what settling each fact does
_GENERIC_ONLY = False


class _Facts:
    """A case's facts as they are built: each merged with the case's common fields and settled
    (`_clean`), plus where in the file each comes from."""

    def __init__(self, common: dict[str, Any]) -> None:
        self.facts: list[dict[str, Any]] = []
        self.sources: dict[str, str] = {}
        self.common = common
        # the case fields every fact carries, without nulls, settled once (not once per fact)
        self.common_unsure = any_unsure(common.values())
        self.head = {"kind": None, "fid": None, **{k: v for k, v in common.items() if v is not None}}
        self.settled_head = Settling(self.head, {}, [])  # `head` holds neither absent nor unsure values
        if self.common_unsure:
            self.settled_head = Settling({}, {}, [])
            self.settled_head.add({"kind": "", "fid": "", **common})  # placeholders keep the keys' places
        self.why: dict[str, str] | None = self.settled_head.why if self.common_unsure else None
        self.act_template = self.template("act", _ACT_FIELDS)
        self.performer_template = self.template("performer", _PERFORMER_FIELDS)
        # the same without the roster's fields: a certificate not in the roster, or none (every
        # performer when no roster is given); deleting keys keeps the others' order
        self.unlisted_template = self.performer_template
        if self.unlisted_template is not None:
            self.unlisted_template = self.unlisted_template.copy()
            for name in _ROSTER_FIELDS:
                del self.unlisted_template[name]
        # what the builders of the case, violation and penalty facts start their dict with (`add`)
        self.lead: dict[str, Any] = {"kind": None, "fid": None, **common}

    def add(self, kind: str, fid: str, source: str, fact: dict[str, Any]) -> None:
        """`fact`: `{**self.lead, <the fact's own fields>}` — merged with the common fields by the
        builder's own dict display, then one pass: absent keys deleted, or the generic path at
        the first unsure value (`merged` copied the head and stored each value in Python)."""
        self.sources[fid] = source
        fact["kind"] = kind
        fact["fid"] = fid
        if not _GENERIC_ONLY:
            absent = []
            for key, value in fact.items():
                if value is None:
                    absent.append(key)
                elif type(value) is Unsure:
                    break
            else:
                for key in absent:
                    del fact[key]
                fact[HAS_UNKNOWN] = False
                self.facts.append(fact)
                return
        self.facts.append(_clean(fact))  # what `merged` gives as well

    def merged(self, kind: str, fid: str, fact: dict[str, Any]) -> dict[str, Any]:
        """`fact` with the common fields, settled."""
        if not _GENERIC_ONLY and not self.common_unsure:
            # what `_clean` gives, keys in the same order, if no value is unsure
            out = self.head.copy()  # a copy of a built dict is cheaper than building it again
            out["kind"] = kind
            out["fid"] = fid
            for key, value in fact.items():  # one plain loop: faster than C-level scans of the values
                if value is None:
                    out.pop(key, None)
                elif type(value) is Unsure:
                    break
                else:
                    out[key] = value
            else:
                out[HAS_UNKNOWN] = False
                return out
        if not _GENERIC_ONLY and self.common.keys().isdisjoint(fact):  # common fields settled once per case
            state = self.settled_head.copy()
            state.out["kind"] = kind
            state.out["fid"] = fid
            state.add(fact)
            return state.finish()
        return _clean({"kind": kind, "fid": fid, **self.common, **fact})

    def template(self, kind: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        """A settled fact of `kind` with the defaults `fields` (each of which its builder sets),
        to copy and fill when none of a fact's values is unsure; None: settle each fact.

        Copying a built dict and setting its values is ~3x cheaper than merging two dicts (no
        resizing); a value left None is deleted, which keeps the other keys' order."""
        if _GENERIC_ONLY or not self.common.keys().isdisjoint(fields):
            return None
        return self.settled_head.template(kind, fields)

    def filled(self, fid: str, fact: dict[str, Any]) -> dict[str, Any]:
        """A fact filled from `template` (its None values deleted), finished."""
        fact["fid"] = fid
        if self.why is not None:  # each fact has its own reasons (the template's are shared)
            fact[WHY] = self.why.copy()
        return fact


def derive(
    case: CaseFile,
    roster: Roster | None = None,
    calendar: WorkCalendar | None = None,
    tables: Any = None,
    needs: FactNeeds | None = None,
) -> Derived:
    """`tables` (the rule book's loaded tables) lets combined fines carry the sum of their ranges.

    `needs` (the rule book's, `derive.needs.fact_needs`): facts no rule can match are left out
    (~97 % of performer facts with the shipped packs); without it every fact is built (tools
    that show all facts)."""
    ctx = _Context(case, roster, calendar or default_calendar())
    ctx.tables = tables
    out = _Facts(ctx.common())
    ctx.keep_performer = _performer_filter(needs, out.performer_template)
    ctx.keep_act = _act_filter(needs, out.act_template)
    derived = Derived(facts=out.facts, sources=out.sources, acts=ctx.kinded)
    add = out.add

    _add_acts(ctx, out)
    lead = out.lead
    for index, violation in enumerate(case.violations):
        add(
            "violation", f"violations[{index}]", f"violations[{index}]", _violation_fact(ctx, violation, lead)
        )
    for index in range(len(ctx.penalties)):
        path = f"decision.penalties[{index}]"
        add("penalty", path, path, _penalty_fact(ctx, index, lead))
        # a combined fine decided 分别裁量: each violation's own amount is checked as a penalty of its own
        for vindex, part in _separate_parts(case, ctx.penalties[index]):
            source = f"violations[{vindex}].discretion"
            add("penalty", f"{path}<{part.violation_ids[0]}>", source, _penalty_fact(ctx, index, lead, part))
    add("case", "case", "case", _case_fact(ctx, lead))

    if roster is None:
        derived.notes.append("未提供证件台账（--roster），执法人员证件无法核验，相关环节列为待人工评查")
    note = missing_calendar_note(sorted(ctx.missing_years))
    if note:
        derived.notes.append(note)
        for fact in derived.facts:
            if fact["kind"] == "case":
                fact["calendar_incomplete"] = True
                fact["calendar_note"] = f"（注意：{note}）"
    derived.blocked = _blocked(ctx)
    return derived


def _blocked(ctx: _Context) -> list[tuple[str, str]]:
    """Whole areas no rule could look at, with the reason (listed as checks that could not run)."""
    out: list[tuple[str, str]] = []
    if ctx.acts_unknown:
        out.append(("ACTS", f"{ACTS_UNKNOWN}：各执法环节的人员、期限、顺序无法核查"))
    if not ctx.case.violations:
        out.append(("VIOLATIONS", "案卷未记载违法行为：处罚依据、幅度、裁量、减免责清单无法核查"))
    if ctx.decision_unknown:
        out.append(("DECISION", f"{DECISION_UNKNOWN}：处罚种类、金额及决定程序无法核查"))
    elif ctx.penalties_unknown:
        out.append(("PENALTIES", "处罚内容（decision.penalties）未载明：处罚种类、金额无法核查"))
    return out


_NO_BODY: dict[str, Any] = {"body_present": False, "body_text": ""}  # shared: only ever read


def _body_facts(ctx: _Context, act: Act) -> dict[str, Any]:
    """Who performed the act when it was not the deciding agency (None fields: not recorded)."""
    body: ActingBody | None = ctx.bodies.get(act.body) if act.body else None
    if body is None:
        return _NO_BODY
    own = [a for a in ctx.acts if a.body == body.id]
    label = f"实施主体 {body.name}"
    recorded = True if body.instrument is not None else plain(body.instrument_recorded, f"{label}的书面依据")
    in_term: Any = None
    if body.valid_from or body.valid_to:
        on = ctx.on(act)
        start = day(body.valid_from, f"{label}的委托期限起")
        end = day(body.valid_to, f"{label}的委托期限止")
        in_term = all_of(
            [
                True if start is None else compare(start, on, strict=False),
                True if end is None else compare(on, end, strict=False),
            ]
        )

    def when(a: Act) -> str:
        return a.on.isoformat() if isinstance(a.on, dt.date) else (str(a.on) if a.on else "日期未载明")

    return {
        "body_present": True,
        "body_name": body.name,
        "body_text": f"{body.name}，",
        # rules about the body itself (its relation, its instrument) fire once, on its first act
        "body_first_act": act is own[0],
        "body_n_acts": len(own),
        "body_acts_text": "、".join(f"{a.kind.label}（{when(a)}）" for a in own),
        "body_kind": code(body.kind, f"{label}的类型"),
        "body_relation": code(body.relation, f"{label}与决定机关的关系"),
        "body_instrument_recorded": recorded,
        "body_instrument": _instrument_text(body.instrument),
        "body_in_scope": (act.kind in body.scope) if body.scope else None,
        "body_in_term": in_term,
        "body_in_own_name": plain(body.in_own_name, f"{label}是否以自己的名义实施"),
    }


def _instrument_text(instrument: Any) -> str | None:
    if instrument is None:
        return None
    return " ".join(x for x in (instrument.title, instrument.number) if x) or None


def _performer_role(person: Performer) -> Any:
    role = person.role
    if role is None or isinstance(role, Unknown):
        return code(role, f"执法人员{_name(person)}的身份")
    return role.value


def _name(person: Performer) -> str:
    return person.name if isinstance(person.name, str) else "（姓名未载明）"


# an act's and a performer's fields when nothing about them is unsure and the deciding agency
# did the act (`_Facts.template`); the generic path below builds the same keys in this order
_ACT_FIELDS: dict[str, Any] = {
    **dict.fromkeys(
        [
            "act_kind",
            "on",
            "n_performers",
            "n_officers",
            "n_valid_officers",
            "n_unverified_officers",
            "n_countable_officers",
            "n_non_officers",
            "recorded",
            "approved",
            "result",
            "before_opening",
            "after_decision",
        ]
    ),
    **_NO_BODY,
}
_PERFORMER_FIELDS: dict[str, Any] = {
    **dict.fromkeys(
        [
            "act_kind",
            "on",
            "name",
            "cert",
            "role",
            "roster_role",
            "cert_status",
            "cert_valid_from",
            "cert_valid_to",
            "legal_qualification",
            "is_handler",
            "name_mismatch",
        ]
    ),
    **_NO_BODY,
}
# a performer's fields from the roster's entry of its certificate
_ROSTER_FIELDS = ("roster_role", "cert_valid_from", "cert_valid_to", "legal_qualification", "name_mismatch")
# the fields a performer fact filled from its template gets, in the order `_add_acts` asks
# `FactNeeds.complete_filter` about them (the rest are the template's)
PERFORMER_PROBE = (
    "act_kind",
    "on",
    "name",
    "cert",
    "role",
    "cert_status",
    "is_handler",
    "roster_role",
    "cert_valid_from",
    "cert_valid_to",
    "legal_qualification",
    "name_mismatch",
)


def _performer_filter(
    needs: FactNeeds | None, template: dict[str, Any] | None
) -> Callable[[tuple[Any, ...]], bool] | None:
    """The rule book's test of which performer facts filled from `template` a rule may match
    (asked once per case: the template holds the case's fields)."""
    if needs is None or template is None or template[HAS_UNKNOWN]:
        return None
    return needs.complete_filter("performer", PERFORMER_PROBE, template)


# the fields an act fact filled from its template gets, in `_ACT_FIELDS`' order (the rest are the
# template's)
ACT_PROBE = tuple(name for name in _ACT_FIELDS if name not in _NO_BODY)


def _act_filter(
    needs: FactNeeds | None, template: dict[str, Any] | None
) -> Callable[[tuple[Any, ...]], bool] | None:
    """The rule book's test of which act facts filled from `template` a rule may match (~45 % of
    a generated file's acts are of kinds no act rule looks at, or fail its other tests)."""
    if needs is None or template is None or template[HAS_UNKNOWN]:
        return None
    return needs.complete_filter("act", ACT_PROBE, template)


_NO_EXTRA = dict.fromkeys(("officers", "valid", "unverified", "countable", "non"), 0)  # only ever read


def _add_acts(ctx: _Context, out: _Facts) -> None:
    """Each act's fact, then one fact per performer (one loop: the case's values read once)."""
    facts, sources = out.facts, out.sources
    handlers, handlers_unknown = ctx.handlers, ctx.handlers_unknown
    unlisted = out.unlisted_template
    why = out.why
    spans = ctx.roster.spans if ctx.roster is not None else {}
    opened, decided = ctx.opened, ctx.decided
    performer_template, keep_performer = out.performer_template, ctx.keep_performer
    act_template_, keep_act = out.act_template, ctx.keep_act
    for index, act in enumerate(ctx.acts):
        fid = f"acts[{index}]"
        sources[fid] = fid
        slot = len(facts)
        facts.append(None)  # type: ignore[arg-type]  # the act's fact, known once its performers are counted
        body = _body_facts(ctx, act) if act.body else _NO_BODY
        plain_body = body is _NO_BODY
        on = ctx.act_days[id(act)]
        day_known = type(on) is int
        kind = act.kind._value_  # the member's value without the property call (read ~200 times a case)
        # officer counts: exact part and how many more there may be (unsure role or certificate)
        officers = valid_officers = unverified = countable = non_officers = 0
        extra = _NO_EXTRA  # copied at the first unsure performer
        reasons: list[str] = []
        by_unknown = isinstance(act.by, Unknown)
        people: list[Performer] = [] if by_unknown else act.by  # type: ignore[assignment]
        template = performer_template if plain_body and day_known else None
        keep = keep_performer if template is not None else None

        for pos, person in enumerate(people):
            cert_no, role, name = person.cert, person.role, person.name
            span = None
            if day_known and type(cert_no) is str and cert_no:  # what cert_status gives, without the call
                span = spans.get(cert_no)
                if span is None:
                    status, cert = "not_in_roster", None
                else:
                    cert = span.cert
                    status = "valid" if span.first_valid <= on <= span.last_valid else span.status_on(on)  # type: ignore[operator]
            else:
                status, cert = ctx.cert_status(cert_no, on)
            role = role._value_ if type(role) is PerformerRole else _performer_role(person)
            role_unsure = type(role) is Unsure
            status_unsure = type(status) is Unsure
            if role_unsure or status_unsure:
                reasons.extend(why_of(role, status))
                if extra is _NO_EXTRA:
                    extra = dict(_NO_EXTRA)
                # an unsure certificate may be valid or unverified, and counts (it cannot be verified)
                valid = status_unsure or (
                    status == "valid" and (cert is None or cert.role._value_ == "officer")
                )
                unverifiable = status_unsure or status in ("not_in_roster", "no_cert")
                if role_unsure:
                    extra["officers"] += 1
                    extra["valid"] += valid
                    extra["unverified"] += unverifiable
                    extra["countable"] += valid or unverifiable
                    extra["non"] += 1
                elif role == "officer":  # the status is unsure
                    officers += 1
                    extra["valid"] += valid
                    extra["unverified"] += unverifiable
                    countable += valid or unverifiable
                else:
                    non_officers += 1
            elif role == "officer":  # the same counts for a sure role and status, without the flags
                officers += 1
                if status == "valid":
                    if cert is None or cert.role._value_ == "officer":
                        valid_officers += 1
                        countable += 1
                elif status == "not_in_roster" or status == "no_cert":
                    unverified += 1
                    countable += 1
            else:
                non_officers += 1
            if (
                template is not None  # the day is known: `span` is the certificate's, if it has one
                and isinstance(name, str)
                and not (role_unsure or status_unsure or handlers_unknown or isinstance(cert_no, Unknown))
            ):
                is_handler = name in handlers
                if keep is not None and not keep(
                    (kind, on, name, cert_no, role, status, is_handler, None, None, None, None, None)
                    if span is None
                    else (
                        kind,
                        on,
                        name,
                        cert_no,
                        role,
                        status,
                        is_handler,
                        span.role,
                        span.valid_from,
                        span.valid_to,
                        cert.legal_qualification,  # type: ignore[union-attr]
                        cert.holder != name,  # type: ignore[union-attr]
                    )
                ):
                    continue  # no rule can match it (derive/needs.py)
                path = f"acts[{index}].by[{pos}]"
                sources[path] = path
                fact = template.copy() if span is not None else unlisted.copy()  # type: ignore[union-attr]
                fact["fid"] = path
                fact["act_kind"] = kind
                fact["on"] = on
                fact["name"] = name
                fact["cert_status"] = status
                fact["is_handler"] = is_handler
                if cert_no is None:
                    del fact["cert"]
                else:
                    fact["cert"] = cert_no
                if role is None:
                    del fact["role"]
                else:
                    fact["role"] = role
                if span is not None:
                    fact["roster_role"] = span.role
                    fact["cert_valid_from"] = span.valid_from
                    if span.valid_to is None:
                        del fact["cert_valid_to"]
                    else:
                        fact["cert_valid_to"] = span.valid_to
                    fact["legal_qualification"] = cert.legal_qualification  # type: ignore[union-attr]
                    fact["name_mismatch"] = cert.holder != name  # type: ignore[union-attr]
                if why is not None:  # what `filled` does, inline (~16 performers a case)
                    fact[WHY] = why.copy()
                facts.append(fact)
            else:
                path = f"acts[{index}].by[{pos}]"
                sources[path] = path
                facts.append(
                    out.merged(
                        "performer", path, _performer_fact(ctx, act, person, on, body, status, cert, role)
                    )
                )

        recorded, approved, result = act.recorded, act.approved, act.result
        # what compare gives for two known days, without the call
        before_opening = (
            on < opened if day_known and type(opened) is int else compare(on, opened, strict=True)
        )  # type: ignore[operator]
        after_decision = (
            decided < on if day_known and type(decided) is int else compare(decided, on, strict=True)
        )  # type: ignore[operator]
        act_template = act_template_ if plain_body and day_known else None
        if (
            act_template is not None
            and not (by_unknown or reasons or isinstance(approved, Unknown))
            and not (isinstance(recorded, Unknown) or isinstance(result, Unknown))
            and type(before_opening) is not Unsure
            and type(after_decision) is not Unsure
        ):
            recorded = None if recorded is None else recorded._value_
            result = None if result is None else result._value_
            keep = keep_act
            if keep is not None and not keep(  # the values of ACT_PROBE, in its order
                (
                    kind,
                    on,
                    len(people),
                    officers,
                    valid_officers,
                    unverified,
                    countable,
                    non_officers,
                    recorded,
                    approved,
                    result,
                    before_opening,
                    after_decision,
                )
            ):
                del facts[slot], sources[fid]  # no rule can match it (derive/needs.py)
                continue
            fact = act_template.copy()
            fact["act_kind"] = kind
            fact["on"] = on
            fact["n_performers"] = len(people)
            fact["n_officers"] = officers
            fact["n_valid_officers"] = valid_officers
            fact["n_unverified_officers"] = unverified
            fact["n_countable_officers"] = countable
            fact["n_non_officers"] = non_officers
            # an absent value is deleted, keeping the template's key order (unrolled: ~12 acts a case)
            if recorded is None:
                del fact["recorded"]
            else:
                fact["recorded"] = recorded
            if approved is None:
                del fact["approved"]
            else:
                fact["approved"] = approved
            if result is None:
                del fact["result"]
            else:
                fact["result"] = result
            if before_opening is None:
                del fact["before_opening"]
            else:
                fact["before_opening"] = before_opening
            if after_decision is None:
                del fact["after_decision"]
            else:
                fact["after_decision"] = after_decision
            facts[slot] = out.filled(fid, fact)
        else:
            exact = dict(
                zip(extra, (officers, valid_officers, unverified, countable, non_officers), strict=True)
            )
            facts[slot] = out.merged("act", fid, _act_fact(ctx, act, body, exact, extra, reasons))


def _performer_fact(
    ctx: _Context,
    act: Act,
    person: Performer,
    on: int | Unsure,
    body: dict[str, Any],
    status: Any,
    cert: Certificate | None,
    role: Any,
) -> dict[str, Any]:
    """A performer's fact when something about it may be unsure."""
    label = act.kind.label
    name, cert_no = person.name, person.cert
    named = isinstance(name, str)
    if ctx.handlers_unknown:
        is_handler: Any = unsure("承办人（case.handlers）未载明")
    else:
        is_handler = name in ctx.handlers if named else unsure(f"{label}人员姓名未载明")
    return {
        "act_kind": act.kind._value_,
        "on": on,
        "name": name if not isinstance(name, Unknown) else plain(name, f"{label}人员姓名"),
        "cert": cert_no
        if not isinstance(cert_no, Unknown)
        else plain(cert_no, f"{label}人员{_name(person)}的执法证件号"),
        "role": role,
        "roster_role": cert.role._value_ if cert else None,
        "cert_status": status,
        "cert_valid_from": cert.valid_from.toordinal() if cert else None,
        "cert_valid_to": _day(cert.valid_to) if cert else None,
        "legal_qualification": cert.legal_qualification if cert else None,
        "is_handler": is_handler,
        "name_mismatch": (cert.holder != name)
        if cert and named
        else (unsure(f"{label}人员姓名未载明") if cert else None),
        "body_present": body["body_present"],
        "body_name": body.get("body_name"),
        "body_text": body["body_text"],
    }


def _act_fact(
    ctx: _Context,
    act: Act,
    body: dict[str, Any],
    exact: dict[str, int],
    extra: dict[str, int],
    reasons: list[str],
) -> dict[str, Any]:
    """An act's fact when something about it may be unsure (officer counts: the exact part, and
    how many more there may be for `reasons`)."""
    label = act.kind.label
    on = ctx.act_days[id(act)]
    by_unknown = isinstance(act.by, Unknown)

    def counted(name: str) -> Any:
        lo = exact[name]
        if by_unknown:
            return Unsure(lo, None, (f"{label}的实施人员（acts[].by）{act.by.describe()}",))  # type: ignore[union-attr]
        if not extra[name]:
            return lo
        return Unsure(lo, lo + extra[name], tuple(dict.fromkeys(reasons)))

    recorded, approved, result = act.recorded, act.approved, act.result
    return {
        "act_kind": act.kind._value_,
        "on": on,
        "n_performers": (
            Unsure(0, None, (f"{label}的实施人员（acts[].by）{act.by.describe()}",))  # type: ignore[union-attr]
            if by_unknown
            else len(act.by)  # type: ignore[arg-type]
        ),
        "n_officers": counted("officers"),
        "n_valid_officers": counted("valid"),
        "n_unverified_officers": counted("unverified"),
        "n_countable_officers": counted("countable"),
        "n_non_officers": counted("non"),
        "recorded": recorded._value_ if _known(recorded) else code(recorded, f"{label}的记录形式"),  # type: ignore[union-attr]
        "approved": approved
        if not isinstance(approved, Unknown)
        else plain(approved, f"{label}是否经负责人批准"),
        "result": result._value_ if _known(result) else code(result, f"{label}的结果"),  # type: ignore[union-attr]
        "before_opening": compare(on, ctx.opened, strict=True),
        "after_decision": compare(ctx.decided, on, strict=True),
        **body,
    }


def _known(value: Any) -> bool:
    return value is not None and not isinstance(value, Unknown)


def _escalation_evidence(ctx: _Context, violation: Violation) -> bool | Unsure:
    """A correction (or stop) order before a re-inspection that found it not corrected or refused
    (read by the violation's fact and its penalties' facts: settled once per violation)."""
    found = ctx._escalation.get(id(violation))
    if found is None:
        found = ctx._escalation[id(violation)] = _find_escalation(ctx, violation)
    return found


def _find_escalation(ctx: _Context, violation: Violation) -> bool | Unsure:
    orders = [a for a in ctx.of_kinds("correction_order", "stop_order") if _concerns(a, violation)]
    checks = [
        a
        for a in ctx.acts_by_kind.get("reinspection", [])
        if _concerns(a, violation) and _known(a.result) and a.result.value in ("not_corrected", "refused")  # type: ignore[union-attr]
    ]
    unsure_results = [
        a
        for a in ctx.acts_by_kind.get("reinspection", [])
        if _concerns(a, violation) and isinstance(a.result, Unknown)
    ]
    found = any_of(
        [compare(ctx.on(order), ctx.on(check), strict=True) for order in orders for check in checks]
    )
    if found is True:
        return True
    extra = [unsure(f"复查结果{a.result.describe()}") for a in unsure_results if orders]  # type: ignore[union-attr]
    if ctx.acts_unknown:
        extra.append(unsure(ACTS_UNKNOWN))
    return any_of([found, *extra])


def _concerns(act: Act, violation: Violation) -> bool:
    return not act.violation_ids or violation.id in act.violation_ids


def _penalty_fines(ctx: _Context, violation: Violation) -> list[Penalty]:
    return [
        p
        for p in ctx.penalties
        if (p.type is None or isinstance(p.type, Unknown) or p.type._value_ == "fine")
        and (violation.id in p.violation_ids or not p.violation_ids)
    ]


def _basis(violation: Violation) -> Any:
    """The violation's penalty basis, or Unsure naming why it is not known."""
    basis = violation.penalty_basis
    label = f"违法行为 {violation.id} 的处罚依据（penalty_basis）"
    if basis is None or isinstance(basis, Unknown):
        return unsure(unknown_text(label, basis))
    return basis


_BASIS_KEYS = (
    "basis_law",
    "basis_version",
    "basis_article",
    "basis_paragraph",
    "basis_item",
    "basis_version_stated",
    "basis_paragraph_stated",
    "basis_sentence",
    "basis_sentence_stated",
)
# citations' fields by what they state: a batch cites a few laws and benchmarks in a few
# spellings (10 bases and 5 benchmark/tier pairs in 10,000 generated files), each file several
# times; the fields of a citation without unknowns do not depend on whose it is
MEMO_SIZE = 1024
_basis_memo: dict[tuple[Any, ...], dict[str, Any]] = {}
_tier_memo: dict[tuple[Any, ...], dict[str, Any]] = {}


def _remember(
    memo: dict[tuple[Any, ...], dict[str, Any]], key: tuple[Any, ...], fields: dict[str, Any]
) -> None:
    """Keep `fields` for `key` unless a value of it is unknown (its reasons name the owner)."""
    for value in key:
        if isinstance(value, Unknown):
            return
    remember(memo, key, fields, MEMO_SIZE)


def _basis_fields(basis: Any, owner: str) -> dict[str, Any]:
    """The citation's fields, and what it states (clause matching treats an unstated
    version/paragraph/sentence apart); `owner` names whose basis it is. Shared by citations
    written alike: only ever read."""
    if isinstance(basis, Unsure):
        return dict.fromkeys(_BASIS_KEYS, basis)
    key = (basis.law, basis.version, basis.article, basis.paragraph, basis.item, basis.sentence)
    fields = _basis_memo.get(key)
    if fields is None:
        fields = _cited_basis(basis, f"{owner}的处罚依据")
        _remember(_basis_memo, key, fields)
    return fields


def _cited_basis(basis: LegalRef, label: str) -> dict[str, Any]:
    def stated(value: Any, what: str) -> Any:
        return (
            unsure(unknown_text(f"{label}的{what}", value))
            if isinstance(value, Unknown)
            else value is not None
        )

    return {
        "basis_version_stated": stated(basis.version, "版本"),
        "basis_paragraph_stated": stated(basis.paragraph, "款"),
        "basis_sentence": plain(basis.sentence, f"{label}的句"),
        "basis_sentence_stated": stated(basis.sentence, "句"),
        "basis_law": law_name(basis.law)
        if isinstance(basis.law, str)
        else plain(basis.law, f"{label}的法律名称"),
        "basis_version": version_name(basis.version)
        if not isinstance(basis.version, Unknown)
        else plain(basis.version, f"{label}的版本"),
        "basis_article": plain(basis.article, f"{label}的条"),
        "basis_paragraph": plain(basis.paragraph, f"{label}的款"),
        "basis_item": plain(basis.item, f"{label}的项"),
    }


def _discretion(violation: Violation) -> tuple[Any, str]:
    d = violation.discretion
    label = f"违法行为 {violation.id} 的裁量说明（discretion）"
    if isinstance(d, Unknown):
        return unsure(unknown_text(label, d)), label
    return d, label


def _violation_fact(ctx: _Context, violation: Violation, lead: dict[str, Any]) -> dict[str, Any]:
    case = ctx.case
    vlabel = f"违法行为 {violation.id}"
    basis = _basis(violation)
    committed = day(violation.committed_on, f"{vlabel}的发生日（committed_on）")
    if committed is None:
        committed = unsure(f"{vlabel}的发生日（committed_on）未记载")
    ended = day(violation.continuing_until, f"{vlabel}的终了日（continuing_until）") or committed
    discovered: Any = day(violation.discovered_on, f"{vlabel}的发现日（discovered_on）")
    if discovered is None:
        discovered = ctx.first_on("inspection") if ctx.first("inspection") else None
    if discovered is None:
        discovered = ctx.opened
    candidates = _penalty_fines(ctx, violation)
    # a penalty of unknown type or target may or may not be a fine on this target
    fines = [p for p in candidates if _code(p.type) == "fine" and _code(p.target)]
    # by identity: pydantic's == compares every field (a non-fine never equals a fine anyway)
    fine_ids = {id(p) for p in fines}
    maybe_fines = [p for p in candidates if id(p) not in fine_ids]
    unit_fines = [p for p in fines if _code(p.target) == "unit"]
    targets = [(_code(p.target), p.person_id) for p in fines]
    maybe_why = tuple(
        dict.fromkeys(
            unknown_text(f"处罚（decision.penalties）的{'种类' if _code(p.type) is None else '对象'}", p.type)
            if _code(p.type) is None
            else unknown_text("处罚（decision.penalties）的对象", p.target)
            for p in maybe_fines
        )
    )

    def widened_bool(maybe: list[Penalty]) -> Any:
        return Unsure(None, None, maybe_why) if maybe else False

    def widened(count: int) -> Any:
        return Unsure(count, count + len(maybe_fines), maybe_why) if maybe_fines else count

    discretion, dlabel = _discretion(violation)
    reinspections = [a for a in ctx.acts_by_kind.get("reinspection", []) if _concerns(a, violation)]
    coercive = [a for a in ctx.of_kinds("seizure", "detention", "stop_order") if _concerns(a, violation)]
    flags = case.party.flags
    penalties_unknown: Any = unsure("处罚内容（decision.penalties）未载明") if ctx.penalties_unknown else None
    if ctx.decision_unknown:
        penalties_unknown = unsure(DECISION_UNKNOWN)
    correction = [a for a in ctx.acts_by_kind.get("correction_order", []) if _concerns(a, violation)]
    return {
        **lead,
        "violation_id": violation.id,
        **_basis_fields(basis, vlabel),
        "committed_on": committed,
        "ended_on": ended,
        "discovered_on": discovered,
        "days_to_discovery": span_count(ended, discovered, lambda a, b: b - a),
        "months_to_discovery": span_count(
            ended, discovered, lambda a, b: _months_between(dt.date.fromordinal(a), dt.date.fromordinal(b))
        ),
        "first_offence": plain(violation.first_offence, f"{vlabel}是否初次违法"),
        "harm": code(violation.harm, f"{vlabel}的危害后果"),
        "corrected_in_time": plain(violation.corrected_in_time, f"{vlabel}是否及时改正"),
        "major_hazard": plain(violation.major_hazard, f"{vlabel}是否构成重大事故隐患"),
        "health_safety_harm": plain(
            violation.health_safety_harm, f"{vlabel}是否涉及生命健康安全且有危害后果"
        ),
        "accident_grade": code(violation.accident_grade, f"{vlabel}的事故等级"),
        "serious_dishonesty": plain(flags.serious_dishonesty, "当事人是否列入严重失信主体名单"),
        "fatal_accident_within_3y": plain(flags.fatal_accident_within_3y, "当事人三年内是否发生死亡事故"),
        "major_hazard_source": plain(flags.major_hazard_source, "当事人是否存在重大危险源"),
        "branch": code(violation.branch, f"{vlabel}的处罚情形（branch）"),
        "escalation_evidence": _escalation_evidence(ctx, violation),
        "n_fines": penalties_unknown or widened(max((targets.count(t) for t in targets), default=0)),
        "n_fines_unit": penalties_unknown or widened(len(unit_fines)),
        "fined_unit": penalties_unknown or (True if unit_fines else widened_bool(maybe_fines)),
        "fined_person": penalties_unknown
        or (True if any(_code(p.target) == "person" for p in fines) else widened_bool(maybe_fines)),
        "penalized": penalties_unknown
        or any(violation.id in p.violation_ids or not p.violation_ids for p in ctx.penalties),
        "in_combined_fine": penalties_unknown
        or any(len(p.violation_ids) > 1 and violation.id in p.violation_ids for p in fines),
        "separate_amount_stated": discretion
        if isinstance(discretion, Unsure)
        else (
            unsure(unknown_text(f"{dlabel}的 amount", discretion.amount))
            if discretion is not None and isinstance(discretion.amount, Unknown)
            else bool(discretion and discretion.amount is not None)
        ),
        "fined": penalties_unknown
        or (True if fines else (Unsure(None, None, maybe_why) if maybe_fines else False)),
        **(
            _gains(violation, vlabel, ctx.penalties, penalties_unknown)
            if violation.illegal_gains is not None
            else {}
        ),
        "adjustment": _discretion_field(discretion, "adjustment", dlabel, default="none"),
        **_grounds(discretion, dlabel),
        "party_age": party_age(case.party, committed, discovered),
        "list_item": _discretion_field(discretion, "list_item", dlabel),
        "benchmark_item": _discretion_field(discretion, "benchmark_item", dlabel),
        "has_education": ctx.has("education"),
        "has_no_penalty_decision": ctx.has("no_penalty_decision"),
        "has_commitment": ctx.has("commitment"),
        "has_correction_order": True if correction else (unsure(ACTS_UNKNOWN) if ctx.acts_unknown else False),
        "reinspection_corrected": any_of(
            [
                (a.result.value == "corrected") if _known(a.result) else plain(a.result, "复查结果")  # type: ignore[union-attr]
                for a in reinspections
            ]
            + ([unsure(ACTS_UNKNOWN)] if ctx.acts_unknown else [])
        ),
        "coercive_measure": True if coercive else (unsure(ACTS_UNKNOWN) if ctx.acts_unknown else False),
        "has_reinspection": True if reinspections else (unsure(ACTS_UNKNOWN) if ctx.acts_unknown else False),
        "transfer_present": ctx.has("transfer"),
        "stop_order_refused": ctx.stop_order_refused,
        **_circumstances(violation),
    }


def _gains(violation: Violation, vlabel: str, penalties: list[Penalty], unknown: Any) -> dict[str, Any]:
    """The violation's illegal gains and whether the decision confiscates for it (行政处罚法 art. 28 ¶2
    is read by the pack); a penalty naming no violation concerns them all."""
    concerning = [p for p in penalties if violation.id in p.violation_ids or not p.violation_ids]
    types = [_code(p.type) for p in concerning]
    if unknown is not None:
        confiscated: Any = unknown
    elif "confiscation" in types:
        confiscated = True
    elif None in types:
        confiscated = unsure(f"{vlabel}所受处罚的种类（decision.penalties[].type）未载明")
    else:
        confiscated = False
    return {
        "illegal_gains": plain(violation.illegal_gains, f"{vlabel}的违法所得（illegal_gains）"),
        "confiscated": confiscated,
        "gains_refund_due": plain(violation.gains_refund_due, f"{vlabel}的违法所得是否依法应当退赔"),
    }


def _grounds(discretion: Any, label: str) -> dict[str, Any]:
    """`ground_<code>` for each mitigation ground the decision states (no field for one it does
    not state), and their labels; every ground unsure when the grounds are unknown."""
    if discretion is None:
        return {}
    if not isinstance(discretion, Unsure) and isinstance(discretion.grounds, Unknown):
        discretion = unsure(unknown_text(f"{label}的从轻、减轻情节（grounds）", discretion.grounds))
    if isinstance(discretion, Unsure):
        return dict.fromkeys(GROUND_FIELDS.values(), discretion)
    grounds = discretion.grounds
    if not grounds:
        return {}
    return {
        **{GROUND_FIELDS[g._value_]: True for g in grounds},
        "grounds_text": "、".join(dict.fromkeys(g.label for g in grounds)),
    }


def _discretion_field(discretion: Any, name: str, label: str, default: Any = None) -> Any:
    if isinstance(discretion, Unsure):
        return discretion
    if discretion is None:
        return default
    value = getattr(discretion, name)
    if isinstance(value, Unknown):
        return unsure(unknown_text(f"{label}的 {name}", value))
    return value._value_ if isinstance(value, Enum) else value


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _add_months(day_: dt.date, months: int) -> dt.date:
    month0 = day_.month - 1 + months
    year, month = day_.year + month0 // 12, month0 % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = 29 if month == 2 and leap else _MONTH_DAYS[month - 1]  # calendar.monthrange's (imports locale)
    return dt.date(year, month, min(day_.day, last))


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
        if isinstance(value, Unknown):
            out[key] = unsure(unknown_text(f"违法行为 {violation.id} 的情节事实 {name}", value))
        else:
            out[key] = value.toordinal() if isinstance(value, dt.date) else value
    return out


def _separate_parts(case: CaseFile, penalty: Penalty) -> list[tuple[int, Penalty]]:
    """The per-violation parts of a combined fine whose violations all state their own amount."""
    if _code(penalty.type) != "fine" or len(penalty.violation_ids) < 2:
        return []
    index = {v.id: (i, v) for i, v in enumerate(case.violations)}
    found = [index[vid] for vid in penalty.violation_ids if vid in index]
    if len(found) != len(penalty.violation_ids) or any(
        not isinstance(v.discretion, Discretion) or not isinstance(v.discretion.amount, int) for _, v in found
    ):
        return []
    return [
        (
            i,
            penalty.model_copy(
                update={"violation_ids": [v.id], "amount": v.discretion.amount, "basis": None}  # type: ignore[union-attr]
            ),
        )
        for i, v in found
    ]


def _plainly_known(violation: Violation) -> bool:
    """Whether basis, dates, branch and grade are known exactly (combined_bounds reads them)."""
    basis = violation.penalty_basis
    return (
        isinstance(basis, LegalRef)
        and isinstance(basis.article, int)
        and isinstance(basis.law, str)
        and not isinstance(basis.version, Unknown)
        and not isinstance(basis.paragraph, Unknown)
        and isinstance(violation.committed_on, dt.date)
        and isinstance(violation.continuing_until, dt.date | None)
        and not isinstance(violation.branch, Unknown)
        and not isinstance(violation.accident_grade, Unknown)
    )


def _tier_fields(discretion: Any, dlabel: str) -> dict[str, Any]:
    """The benchmark and tier the decision cites (derive/citations.py normalises their spelling).
    Shared by discretions citing alike: only ever read."""
    if isinstance(discretion, Unsure):
        return dict.fromkeys(("benchmark_ref", "tier", "tier_key", "tier_stated"), discretion)
    if discretion is None:
        return {}
    key = (discretion.benchmark, discretion.tier)
    fields = _tier_memo.get(key)
    if fields is None:
        fields = _cited_tier(*key, dlabel)
        _remember(_tier_memo, key, fields)
    return fields


def _cited_tier(ref: Any, tier: Any, dlabel: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(ref, Unknown):
        missing = unsure(unknown_text(f"{dlabel}引用的裁量基准（benchmark）", ref))
        out.update(
            benchmark_ref=missing,
            benchmark_ref_number=missing,
            benchmark_ref_title=missing,
            benchmark_ref_text=missing,
        )
    else:
        out.update(
            benchmark_ref=ref,
            benchmark_ref_number=number_key(ref),
            benchmark_ref_title=quoted_key(ref),
            benchmark_ref_text=title_key(ref),
        )
    if isinstance(tier, Unknown):
        missing = unsure(unknown_text(f"{dlabel}的裁量阶次（tier）", tier))
        out.update(tier=missing, tier_key=missing, tier_stated=missing)
    else:
        out.update(tier=tier_number(tier), tier_key=tier_key(tier), tier_stated=tier_text(tier))
    return out


def _penalty_fact(
    ctx: _Context, index: int, lead: dict[str, Any], part: Penalty | None = None
) -> dict[str, Any]:
    case = ctx.case
    whole = ctx.penalties[index]
    penalty = part or whole
    plabel = f"处罚（decision.penalties[{index}]）"
    by_id = {v.id: v for v in case.violations}
    violation = by_id.get(penalty.violation_ids[0]) if penalty.violation_ids else None
    if violation is None and case.violations:
        violation = case.violations[0]
    basis: Any = penalty.basis
    if basis is None:
        basis = _basis(violation) if violation else unsure(f"{plabel}的处罚依据未记载")
    elif isinstance(basis, Unknown):
        basis = unsure(unknown_text(f"{plabel}的处罚依据（basis）", basis))
    person = next((p for p in case.persons if p.id == penalty.person_id), None)
    target = code(required(penalty.target, f"{plabel}的处罚对象（target）"), f"{plabel}的处罚对象")
    if isinstance(penalty.target, Unknown) or penalty.target is None:
        target = unsure(unknown_text(f"{plabel}的处罚对象（target）", penalty.target))
    ptype: Any = _code(penalty.type)
    if ptype is None:
        ptype = unsure(unknown_text(f"{plabel}的处罚种类（type）", penalty.type))
    amount: Any = plain(penalty.amount, f"{plabel}的罚款金额（amount）")
    if amount is None and ptype in ("fine",):
        amount = unsure(f"{plabel}的罚款金额（amount）未记载")
    if violation is not None:
        discretion, dlabel = _discretion(violation)
        committed = day(
            violation.committed_on, f"违法行为 {violation.id} 的发生日（committed_on）"
        ) or unsure(f"违法行为 {violation.id} 的发生日（committed_on）未记载")
        vfields: dict[str, Any] = {
            "branch": code(violation.branch, f"违法行为 {violation.id} 的处罚情形（branch）"),
            "escalation_evidence": _escalation_evidence(ctx, violation),
            "illegal_gains": plain(violation.illegal_gains, f"违法行为 {violation.id} 的违法所得"),
            "previously_fined": plain(
                violation.previously_fined, f"违法行为 {violation.id} 此前是否已被罚款"
            ),
            "accident_grade": code(violation.accident_grade, f"违法行为 {violation.id} 的事故等级"),
            "adjustment": _discretion_field(discretion, "adjustment", dlabel, default="none"),
            "has_mitigation_ground": (
                discretion
                if isinstance(discretion, Unsure)
                else (
                    unsure(unknown_text(f"{dlabel}的 grounds", discretion.grounds))
                    if discretion is not None and isinstance(discretion.grounds, Unknown)
                    else bool(discretion and discretion.grounds)
                )
            ),
            "benchmark_item": _discretion_field(discretion, "benchmark_item", dlabel),
            **_tier_fields(discretion, dlabel),
            "discretion_stated": _discretion_field(discretion, "stated_in_decision", dlabel, default=False),
            "committed_on": committed,
            # the law version is chosen by the day the violation ended (行政处罚法 arts. 36 ¶2, 37)
            "ended_on": day(
                violation.continuing_until, f"违法行为 {violation.id} 的终了日（continuing_until）"
            )
            or committed,
            "violation_id": violation.id,
            **_circumstances(violation),
        }
    else:
        missing = unsure(f"{plabel}对应的违法行为未记载")
        vfields = {
            "branch": missing,
            "escalation_evidence": missing,
            "adjustment": missing,
            "committed_on": missing,
        }
    basis_fields = _basis_fields(basis, plabel)
    fact = {
        **lead,
        "target": target,
        "penalty_type": ptype,
        "amount": amount,
        "person_role": code(required(person.role, f"个人 {person.id} 的身份"), f"个人 {person.id} 的身份")
        if person
        else (unsure(f"{plabel}的被处罚个人（person_id）未记载") if target == "person" else None),
        "person_income": plain(person.last_year_income, f"个人 {person.id} 的上一年年收入")
        if person
        else None,
        **basis_fields,
        **vfields,
        "n_violations": len(penalty.violation_ids),
        "combined": len(penalty.violation_ids) > 1,
        "separate_part": part is not None,
    }
    if part is None:  # what the notice said of this penalty as a whole (not of a combined fine's part)
        if penalty.notified is not None:
            fact["notified"] = plain(penalty.notified, f"{plabel}是否已在告知书中告知（notified）")
        if penalty.notified_amount is not None:
            fact["notified_amount"] = plain(
                penalty.notified_amount, f"{plabel}告知书中的拟罚数额（notified_amount）"
            )
    parts = [] if part is not None else _separate_parts(case, whole)
    if parts:
        fact["parts_amount_sum"] = sum(p.amount or 0 for _, p in parts)  # type: ignore[misc]
    if (
        len(penalty.violation_ids) > 1
        and ptype == "fine"
        and ctx.tables is not None
        and isinstance(target, str)
    ):
        from ..packs.tables.instruments import combined_bounds  # reads the loaded tables, no legal numbers

        members = [by_id[vid] for vid in penalty.violation_ids if vid in by_id]
        if all(_plainly_known(v) for v in members):
            fact.update(combined_bounds(ctx.tables, members, target))
        else:
            missing = unsure("合并处罚所涉违法行为的处罚依据未载明")
            fact.update(combined_min=missing, combined_max=missing)
    return fact


_HAS_PENALTY = tuple((f"has_penalty_{kind}", kind) for kind in PENALTY_TYPE_CODES)
# the flags of each combination of known penalty types (a batch has a few dozen)
_kinds_memo: dict[tuple[str, ...], dict[str, bool]] = {}


def _kinds_present(types: tuple[str, ...]) -> dict[str, bool]:
    """`has_penalty_<kind>` of a case whose penalties' types are `types`, all known. Shared by
    cases alike: only ever read."""
    found = _kinds_memo.get(types)
    if found is None:
        found = remember(_kinds_memo, types, {key: kind in types for key, kind in _HAS_PENALTY}, MEMO_SIZE)
    return found


def _case_fact(ctx: _Context, lead: dict[str, Any]) -> dict[str, Any]:
    case = ctx.case
    decision = ctx.decision
    decided = ctx.decided
    penalties = ctx.penalties
    pending = None
    if ctx.decision_unknown:
        pending = unsure(DECISION_UNKNOWN)
    elif ctx.penalties_unknown:
        pending = unsure("处罚内容（decision.penalties）未载明")
    types = [
        _code(p.type) or unsure(unknown_text("处罚种类（decision.penalties[].type）", p.type))
        for p in penalties
    ]
    fines = [p for p, t in zip(penalties, types, strict=True) if t == "fine" or isinstance(t, Unsure)]

    def amount(p: Penalty) -> Any:
        value = plain(p.amount, "罚款金额（decision.penalties[].amount）")
        if value is None and _code(p.type) == "fine":
            return unsure("罚款金额（decision.penalties[].amount）未记载")
        if _code(p.type) != "fine" and not isinstance(value, Unsure):
            # a penalty of unknown type may be a fine of its stated amount, or no fine at all
            return Unsure(0, value, why_of(*types)) if value else Unsure(0, None, why_of(*types))
        return value

    def target(p: Penalty) -> Any:
        return _code(p.target) or unsure(unknown_text("处罚对象（decision.penalties[].target）", p.target))

    fine_amounts = [amount(p) for p in fines]
    fine_targets = [target(p) for p in fines]
    person_fines = [a for t, a in zip(fine_targets, fine_amounts, strict=True) if t == "person"]
    unit_fines = [a for t, a in zip(fine_targets, fine_amounts, strict=True) if t == "unit"]
    unsure_target = [a for t, a in zip(fine_targets, fine_amounts, strict=True) if isinstance(t, Unsure)]
    if unsure_target:
        person_fines += [
            Unsure(0, bounds(a)[1], why_of(a, t))
            for t, a in zip(fine_targets, fine_amounts, strict=True)
            if isinstance(t, Unsure)
        ]
        unit_fines += [Unsure(0, bounds(a)[1], why_of(a)) for a in unsure_target]
    unsure_types = [t for t in types if isinstance(t, Unsure)]

    def kind_present(name: str) -> Any:
        if pending is not None:
            return pending
        if name in types:
            return True
        return Unsure(None, None, why_of(*unsure_types)) if unsure_types else False

    notice = ctx.first("notice")
    hearing = ctx.first("hearing")
    hearing_notification = ctx.first("hearing_notification")
    hearing_request = ctx.first("hearing_request")
    review = _latest(ctx, ctx.acts_by_kind.get("legal_review", []))
    discussion = ctx.first("collective_discussion")
    service = ctx.first("service")
    publicity = ctx.first("publicity")
    preservation = ctx.first("preservation")
    preservation_decision = ctx.first("preservation_decision")
    review_people = review.by if review and isinstance(review.by, list) else []
    reviewers = [p for p in review_people if _code(p.role) in ("legal_reviewer", "officer")]
    review_on = ctx.on(review) if review else None
    reviewer_certs = [ctx.cert_status(p.cert, review_on) for p in reviewers] if review else []
    reviewers_unknown = review is not None and isinstance(review.by, Unknown)
    notice_on = ctx.on(notice)
    hearing_on = ctx.on(hearing)
    service_on = ctx.on(service)

    def present(act: Act | None) -> Any:
        return True if act is not None else (unsure(ACTS_UNKNOWN) if ctx.acts_unknown else False)

    def before_decision(act: Act | None) -> Any:
        return (
            compare(ctx.on(act), decided, strict=False)
            if act
            else (unsure(ACTS_UNKNOWN) if ctx.acts_unknown and decided is not None else None)
        )

    def result_is(act: Act | None, value: str) -> Any:
        if act is None:
            return None
        if isinstance(act.result, Unknown):
            return unsure(unknown_text(f"{act.kind.label}结果", act.result))
        return _code(act.result) == value

    def handlers_hit(people: list[Performer]) -> Any:
        if ctx.handlers_unknown:
            return unsure("承办人（case.handlers）未载明")
        return any_of(
            [p.name in ctx.handlers if isinstance(p.name, str) else unsure("人员姓名未载明") for p in people]
        )

    notices = ctx.acts_by_kind.get("notice", [])
    service_after = compare(decided, service_on, strict=False) if service else None
    agency = case.case.agency
    fact: dict[str, Any] = {
        **lead,
        "agency_level": code(agency.level, "执法机关层级（case.agency.level）"),
        "agency_devolution_recorded": True
        if agency.devolution is not None
        else plain(
            agency.devolution_recorded, "承接行政处罚权的决定是否载明（case.agency.devolution_recorded）"
        ),
        "n_body_acts": sum(1 for a in ctx.acts if a.body) if not ctx.acts_unknown else unsure(ACTS_UNKNOWN),
        "headcount": plain(case.party.headcount, "从业人员人数（party.headcount）"),
        "closed_on": day(case.case.closed_on, "结案日期（case.closed_on）"),
        "has_decision": pending if ctx.decision_unknown else decision is not None,
        "n_penalties": pending or len(penalties),
        "fine_total": pending or total(fine_amounts),
        "fine_total_unit": pending or total(unit_fines),
        "fine_max_person": pending or largest(person_fines),
        "has_suspension": kind_present("suspension"),
        "has_licence_revocation": kind_present("licence_revocation"),
        "has_closure": kind_present("closure"),
        # one flag per penalty kind: which kinds are "较重" (hearing, legal review) is said in the packs
        **(
            _kinds_present(tuple(types))
            if pending is None and not unsure_types
            else {key: kind_present(kind) for key, kind in _HAS_PENALTY}
        ),
        "major_case": plain(decision.major_case, "是否认定为情节复杂或重大违法（decision.major_case）")
        if decision
        else pending,
        "hearing_right_notified": any_of(
            [plain(a.hearing_right_notified, "告知书是否告知听证权利") for a in notices]
            + ([unsure(ACTS_UNKNOWN)] if ctx.acts_unknown else [])
        ),
        "notice_day_known": present(notice),
        "notice_on": notice_on,
        "notice_before_decision": compare(notice_on, decided, strict=True) if notice else None,
        "hearing_requested": (
            (hearing_request is not None and _code(hearing_request.result) != "waived")
            if not ctx.acts_unknown
            else (True if hearing_request is not None else unsure(ACTS_UNKNOWN))
        ),
        "hearing_held": present(hearing),
        "hearing_on": hearing_on,
        "hearing_request_workdays": ctx.workdays(
            notice_on if notice else None, ctx.on(hearing_request) if hearing_request else None
        ),
        "hearing_notice_gap_workdays": (
            span_count(
                ctx.on(hearing_notification),
                hearing_on,
                lambda a, b: ctx.count(
                    ctx.calendar.gap_workdays_strict(dt.date.fromordinal(a), dt.date.fromordinal(b))
                ),
            )
            if hearing_notification and hearing
            else None
        ),
        "hearing_chair_is_investigator": (
            handlers_hit([p for p in hearing.by if _code(p.role) != "legal_reviewer"])
            if hearing and isinstance(hearing.by, list)
            else (unsure("听证人员未载明") if hearing else None)
        ),
        "decision_after_hearing": compare(hearing_on, decided, strict=True) if hearing else None,
        "legal_review_present": present(review),
        "legal_review_before_decision": before_decision(review),
        "legal_review_approved": result_is(review, "approved") if review else None,
        "legal_reviewer_is_handler": (
            (unsure("法制审核人员未载明") if reviewers_unknown else handlers_hit(reviewers))
            if review
            else None
        ),
        "legal_reviewer_unqualified": (
            (
                unsure("法制审核人员未载明")
                if reviewers_unknown
                else any_of(
                    [
                        (cert is not None and not cert.legal_qualification)
                        if not isinstance(status, Unsure)
                        else status
                        for status, cert in reviewer_certs
                    ]
                )
            )
            if review
            else None
        ),
        "legal_reviewer_unverified": (
            (
                unsure("法制审核人员未载明")
                if reviewers_unknown
                else any_of(
                    [
                        status if isinstance(status, Unsure) else status in ("not_in_roster", "no_cert")
                        for status, _ in reviewer_certs
                    ]
                )
            )
            if review
            else None
        ),
        "collective_discussion_present": present(discussion),
        "collective_discussion_before_decision": before_decision(discussion),
        "extension_approved": any_of(
            [
                a.approved is not False
                if not isinstance(a.approved, Unknown)
                else plain(a.approved, "延期是否经批准")
                for a in ctx.acts_by_kind.get("extension_approval", [])
            ]
            + ([unsure(ACTS_UNKNOWN)] if ctx.acts_unknown else [])
        ),
        "decision_natural_days": ctx.natural_effective(ctx.opened, decided),
        "service_present": present(service),
        "served_on_the_spot": (
            (code(service.method, "送达方式") == "on_the_spot")
            if service and not isinstance(service.method, Unknown)
            else (unsure(unknown_text("送达方式", service.method)) if service else None)
        ),
        "service_workdays": (
            ctx.workdays(decided, service_on)
            if service_after is True
            else (
                Unsure(0, bounds(ctx.workdays(decided, service_on))[1], why_of(service_after))
                if isinstance(service_after, Unsure)
                else None
            )
        )
        if service
        else None,
        "service_before_decision": compare(service_on, decided, strict=True) if service else None,
        "publicity_present": present(publicity),
        "publicity_workdays": ctx.workdays(decided, ctx.on(publicity) if publicity else None),
        "preservation_present": present(preservation),
        "preservation_decided": (preservation_decision is not None) if preservation else None,
        "preservation_decision_workdays": ctx.workdays(
            ctx.on(preservation) if preservation else None,
            ctx.on(preservation_decision) if preservation_decision else None,
        ),
        "decision_before_opening": compare(decided, ctx.opened, strict=True),
        "transfer_present": ctx.has("transfer"),
        "stop_order_refused": ctx.stop_order_refused,
        "major_hazard_any": any_of(
            [plain(v.major_hazard, f"违法行为 {v.id} 是否构成重大事故隐患") for v in case.violations]
        ),
        **_hazard_order_refusal(ctx),
        **coercion_period(ctx),
        **_procedure_extras(ctx, notice, hearing, hearing_request, fines, fine_amounts, target),
    }
    return fact


def _procedure_extras(
    ctx: _Context,
    notice: Act | None,
    hearing: Act | None,
    hearing_request: Act | None,
    fines: list[Penalty],
    fine_amounts: list[Any],
    target: Any,
) -> dict[str, Any]:
    """Fields for the procedure, hearing, deadline and transfer packs (additive)."""
    decided = ctx.decided
    hearing_staff = [
        p
        for p in (hearing.by if hearing and isinstance(hearing.by, list) else [])
        if _code(p.role) != "legal_reviewer"
    ]
    stop = ctx.first("stop_order")
    stop_on = ctx.on(stop) if stop else None
    refusals = [
        a
        for a in ctx.acts_by_kind.get("reinspection", [])
        if _known(a.result)
        and a.result.value in ("refused", "not_corrected")
        and stop  # type: ignore[union-attr]
        and compare(stop_on, ctx.on(a), strict=True) is True
    ]
    person_amounts = [a for p, a in zip(fines, fine_amounts, strict=True) if target(p) == "person"]
    party_kind = ctx.case.party.kind
    if party_kind is None or isinstance(party_kind, Unknown):
        citizen: list[Any] = [Unsure(0, bounds(total(fine_amounts))[1], ("当事人类型（party.kind）未载明",))]
    elif party_kind.value != "organisation":
        citizen = [total(fine_amounts)]
    else:
        citizen = []
    pending = None
    if ctx.decision_unknown:
        pending = unsure(DECISION_UNKNOWN)
    elif ctx.penalties_unknown:
        pending = unsure("处罚内容（decision.penalties）未载明")
    return {
        "decision_before_hearing": compare(decided, ctx.on(hearing), strict=True) if hearing else None,
        # every person at the hearing is on the investigation: nobody independent could chair it
        "hearing_no_independent_chair": (
            (
                unsure("承办人（case.handlers）未载明")
                if ctx.handlers_unknown
                else all_of(
                    [
                        p.name in ctx.handlers if isinstance(p.name, str) else unsure("听证人员姓名未载明")
                        for p in hearing_staff
                    ]
                )
            )
            if hearing_staff
            else (unsure("听证人员未载明") if hearing and isinstance(hearing.by, Unknown) else None)
        ),
        "hearing_waived": hearing_request is not None and _code(hearing_request.result) == "waived",
        "notice_decision_workdays": ctx.workdays(ctx.on(notice), decided) if notice else None,
        "fine_citizen_max": pending or largest(person_amounts + citizen),
        "decision_calendar_days": span_count(ctx.opened, decided, lambda a, b: b - a),
        "stop_order_on": stop_on,
        "refusal_found_on": _min_day(ctx, refusals),
        "calendar_note": "",
        **_per_party(ctx),
        "notice_same_day": _same_day(ctx.on(notice), decided) if notice else None,
        "statement_waived": any_of(
            [
                all_of(
                    [
                        (_code(a.result) == "waived")
                        if _known(a.result)
                        else plain(a.result, "陈述申辩结果"),
                        True if decided is None else compare(ctx.on(a), decided, strict=False),
                    ]
                )
                for a in ctx.acts_by_kind.get("statement", [])
            ]
            + ([unsure(ACTS_UNKNOWN)] if ctx.acts_unknown else [])
        ),
        "hearing_notice_workdays": (
            ctx.workdays(ctx.on(ctx.first("hearing_notification")), ctx.on(hearing))
            if hearing and ctx.first("hearing_notification")
            else None
        ),
    }


def _same_day(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if not isinstance(a, Unsure) and not isinstance(b, Unsure):
        return a == b
    a_lo, a_hi = bounds(a)
    b_lo, b_hi = bounds(b)
    if None not in (a_lo, a_hi, b_lo, b_hi) and (a_hi < b_lo or b_hi < a_lo):  # type: ignore[operator]
        return False
    return Unsure(None, None, why_of(a, b))


_PER_PARTY_FIELDS = (
    "fine_max_per_person",
    "fine_max_per_citizen",
    "confiscation_total_unit",
    "confiscation_citizen_max",
    "unit_penalized",
)


def _per_party(ctx: _Context) -> dict[str, Any]:
    """Amounts per party (the case's party, each fined person): limits apply per party, not summed.

    A penalty whose amount alone is unknown leaves only its own kind's total open, with the known
    part as lower bound: a fine of unknown amount does not make the confiscations unknown, and a
    known 25,000 yuan fine plus one of unknown amount is still at least 25,000."""
    why = _penalties_unsure(ctx)
    if why:
        return {
            name: Unsure(None, None, why) if name == "unit_penalized" else Unsure(0, None, why)
            for name in _PER_PARTY_FIELDS
        }
    citizen_party = ctx.case.party.kind.value != "organisation"  # type: ignore[union-attr]
    # one pass: each person's total and the party's, of fines and of confiscations
    per_person: dict[str, dict[str, _Total]] = {"fine": {}, "confiscation": {}}
    party = {"fine": _Total(), "confiscation": _Total()}
    unit_penalized = False
    for p in ctx.penalties:
        kind, target = p.type._value_, p.target._value_  # type: ignore[union-attr]
        if target == "unit":
            unit_penalized = True
            if kind in party:
                party[kind].add(p)
        elif target == "person" and p.person_id and kind in per_person:
            per_person[kind].setdefault(p.person_id, _Total()).add(p)
    fine_person = _largest(per_person["fine"].values())
    confiscation_person = _largest(per_person["confiscation"].values())
    return {
        "fine_max_per_person": fine_person.value(),
        "fine_max_per_citizen": _largest(
            [fine_person, party["fine"]] if citizen_party else [fine_person]
        ).value(),
        "confiscation_total_unit": party["confiscation"].value(),
        "confiscation_citizen_max": _largest(
            [confiscation_person, party["confiscation"]] if citizen_party else [confiscation_person]
        ).value(),
        "unit_penalized": unit_penalized,
    }


class _Total:
    """A sum of penalty amounts, some of which may be unknown (then it is at least the known part)."""

    __slots__ = ("known", "why")

    def __init__(self, known: int = 0, why: tuple[str, ...] = ()) -> None:
        self.known, self.why = known, why

    def add(self, penalty: Any) -> None:
        amount = penalty.amount
        if isinstance(amount, Unknown):
            self.why += (unknown_text("处罚（decision.penalties）的金额", amount),)
        elif amount is None and _code(penalty.type) == "fine":
            self.why += ("罚款金额（decision.penalties[].amount）未记载",)
        else:
            self.known += amount or 0

    def value(self) -> int | Unsure:
        return Unsure(self.known, None, tuple(dict.fromkeys(self.why))) if self.why else self.known


def _largest(totals: Iterable[_Total]) -> _Total:
    """The largest of several totals: at least the largest known part, open if any is open."""
    totals = list(totals)
    return _Total(max((t.known for t in totals), default=0), tuple(w for t in totals for w in t.why))


def _min_day(ctx: _Context, acts: list[Act]) -> Any:
    if not acts:
        return None
    days = [ctx.on(a) for a in acts]
    if not any_unsure(days):
        return min(days)  # type: ignore[type-var]
    los = [bounds(d)[0] for d in days]
    his = [bounds(d)[1] for d in days]
    lo = None if any(v is None for v in los) else min(los)  # type: ignore[type-var]
    known_his = [h for h in his if h is not None]
    return Unsure(lo, min(known_his) if known_his else None, why_of(*days))


def _latest(ctx: _Context, acts: Iterable[Act]) -> Act | None:
    acts = list(acts)
    return max(acts, key=lambda a: bounds(ctx.on(a))[1] or 0) if acts else None


def _penalties_unsure(ctx: _Context) -> tuple[str, ...]:
    """Why amounts per party cannot be computed exactly (empty: they can)."""
    why: list[str] = []
    if ctx.decision_unknown:
        why.append(DECISION_UNKNOWN)
    elif ctx.penalties_unknown:
        why.append("处罚内容（decision.penalties）未载明")
    kind = ctx.case.party.kind
    if kind is None or isinstance(kind, Unknown):
        why.append(unknown_text("当事人类型（party.kind）", kind))
    for p in ctx.penalties:
        for value, what in ((p.type, "种类"), (p.target, "对象")):
            if value is None or isinstance(value, Unknown):
                why.append(unknown_text(f"处罚（decision.penalties）的{what}", value))
    return tuple(dict.fromkeys(why))


def _hazard_order_refusal(ctx: _Context) -> dict[str, Any]:
    """An order on a 重大事故隐患 (stop work/use, or a correction order: 立即采取排除危险的整改措施)
    followed by a re-inspection finding it refused or not carried out (刑法 art. 134-1 (二))."""
    why = [ACTS_UNKNOWN] if ctx.acts_unknown else []
    why += [
        unknown_text(f"违法行为 {v.id} 是否构成重大事故隐患", v.major_hazard)
        for v in ctx.case.violations
        if isinstance(v.major_hazard, Unknown)
    ]
    orders = ("stop_order", "correction_order", "reinspection")
    why += [w for a in ctx.of_kinds(*orders) for w in why_of(ctx.on(a))]
    why += [
        unknown_text("复查结果", a.result)
        for a in ctx.acts_by_kind.get("reinspection", [])
        if isinstance(a.result, Unknown)
    ]
    if why:
        missing = Unsure(None, None, tuple(dict.fromkeys(why)))
        return {"hazard_order_refused": missing, "hazard_order_on": missing, "hazard_refusal_on": missing}
    hazards = [v for v in ctx.case.violations if v.major_hazard]
    pairs = []
    for order in ctx.of_kinds("stop_order", "correction_order"):
        concerned = [v for v in hazards if _concerns(order, v)]
        if not concerned:
            continue
        for check in ctx.acts_by_kind.get("reinspection", []):
            refused = check.result is not None and check.result.value in ("refused", "not_corrected")  # type: ignore[union-attr]
            if refused and check.on > order.on and any(_concerns(check, v) for v in concerned):  # type: ignore[operator]
                pairs.append((check.on, order.on))
    if not pairs:
        return {"hazard_order_refused": False}
    refusal_on, order_on = min(pairs)  # type: ignore[type-var]
    return {
        "hazard_order_refused": True,
        "hazard_order_on": order_on.toordinal(),  # type: ignore[union-attr]
        "hazard_refusal_on": refusal_on.toordinal(),  # type: ignore[union-attr]
    }


def _stop_order_refused(ctx: _Context) -> bool | Unsure:
    """A stop-work/stop-use order followed by a re-inspection finding it refused or not carried out."""
    orders = ctx.acts_by_kind.get("stop_order", [])
    checks = [
        a
        for a in ctx.acts_by_kind.get("reinspection", [])
        if _known(a.result) and a.result.value in ("refused", "not_corrected")  # type: ignore[union-attr]
    ]
    found = any_of(
        [compare(ctx.on(order), ctx.on(check), strict=True) for order in orders for check in checks]
    )
    if found is not True and ctx.acts_unknown:
        return any_of([found, unsure(ACTS_UNKNOWN)])
    return found
