"""Review one case file: load → validate → derive → evaluate → findings → score.

Never raises for bad input: a file that cannot be reviewed comes back `rejected` with its
Chinese errors, so a batch always accounts for every file.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from .derive.calendar import WorkCalendar, default_calendar
from .derive.facts import derive
from .evaluate.findings import Finding, build_findings
from .evaluate.model import EvalResult
from .load import InputError, InputRejected, load_case
from .load.facttypes import check_fact_types, declared_fact_types
from .load.source import SourceDoc
from .model.case import CaseFile
from .model.roster import Roster
from .packs.loader import RuleBook
from .score.profile import Profile
from .score.scoring import Score, score_case

RESULT_SCHEMA_VERSION = (
    "1.1"  # 1.1: Finding.waiver; document head fail_on, campaign, generated, skipped, waivers
)


class Engine(Protocol):
    name: str

    def evaluate(self, facts: list[dict[str, Any]]) -> EvalResult: ...


class RejectedInput(BaseModel):
    file: str
    line: int | None = None
    column: int | None = None
    field: str | None = None
    message: str


class CaseResult(BaseModel):
    file: str
    status: Literal["reviewed", "rejected"]
    case_number: str | None = None
    title: str | None = None
    agency: str | None = None
    region: str | None = None
    party: str | None = None
    procedure: str | None = None
    score: Score | None = None
    findings: list[Finding] = Field(default_factory=list)
    errors: list[RejectedInput] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    engine: str | None = None
    benchmark_items: list[str] = Field(default_factory=list)
    facts_digest: dict[str, Any] = Field(default_factory=dict, description="inputs for cross-case analysis")

    @property
    def pending_review(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "review"]


@dataclass
class ReviewContext:
    book: RuleBook
    profile: Profile
    engine: Engine
    roster: Roster | None = None
    calendar: WorkCalendar = field(default_factory=default_calendar)
    cache: Any = None  # a cache.ResultCache, or None


def rejected(path: Path | str, errors: list[RejectedInput], notes: list[str] | None = None) -> CaseResult:
    return CaseResult(file=str(path), status="rejected", errors=errors, notes=notes or [])


def review_file(path: Path, ctx: ReviewContext) -> CaseResult:
    try:
        case, source = load_case(path)
    except InputRejected as exc:
        return rejected(
            path,
            [
                RejectedInput(file=e.file, line=e.line, column=e.column, field=e.field, message=e.message)
                for e in exc.errors
            ],
        )
    except Exception as exc:  # a loader bug must not stop the batch either
        return rejected(path, [RejectedInput(file=str(path), message=f"读取失败（内部错误）：{exc}")])
    try:
        return _review_case(path, case, source, ctx)
    except Exception as exc:  # a bug in any later stage rejects this file, never the batch
        detail = traceback.format_exception_only(exc)[-1].strip()
        return rejected(path, [RejectedInput(file=str(path), message=f"评查失败（内部错误）：{detail}")])


def _review_case(path: Path, case: CaseFile, source: SourceDoc, ctx: ReviewContext) -> CaseResult:
    problems = check_fact_types(case, str(path), declared_fact_types(ctx.book), source.locate)
    if problems:  # a tier must never be chosen on text, NaN or a number typed as a string
        return rejected(
            path,
            [
                RejectedInput(file=e.file, line=e.line, column=e.column, field=e.field, message=_message(e))
                for e in problems
            ],
        )
    derived = derive(case, ctx.roster, ctx.calendar, ctx.book.tables)
    result = ctx.engine.evaluate(derived.facts)
    findings = build_findings(ctx.book, result, derived.facts, derived.sources, str(path), source.locate)
    findings.sort(key=lambda f: (-_rank(f.severity), f.code, f.location.field))
    items = sorted(
        {v.discretion.benchmark_item for v in case.violations if v.discretion and v.discretion.benchmark_item}
    )
    return CaseResult(
        file=str(path),
        status="reviewed",
        case_number=case.case.number,
        title=case.case.title,
        agency=case.case.agency.name,
        region=case.case.agency.region,
        party=case.party.name,
        procedure=case.case.procedure.label,
        score=score_case(findings, ctx.profile),
        findings=findings,
        notes=[*source.notes, *derived.notes, *result.notes],
        engine=result.engine,
        benchmark_items=items,
        facts_digest=_digest(derived.facts),
    )


def _message(error: InputError) -> str:
    return f"{error.message}，实际为 {error.value}" if error.value is not None else error.message


def _rank(severity: str) -> int:
    from .packs.schema import SEVERITY_RANK

    return SEVERITY_RANK[severity]


def _digest(facts: list[dict[str, Any]]) -> dict[str, Any]:
    """The few facts cross-case analysis needs (kept small: results are streamed)."""
    penalties = [
        {
            k: f.get(k)
            for k in (
                "benchmark_item",
                "tier",
                "amount",
                "target",
                "branch",
                "basis_article",
                "discretion_stated",
            )
        }
        | {k: v for k, v in f.items() if k.startswith("f_")}
        for f in facts
        if f["kind"] == "penalty" and f.get("penalty_type") == "fine"
    ]
    case = next(f for f in facts if f["kind"] == "case")
    return {"penalties": penalties, "outcome": case.get("outcome"), "fine_total": case.get("fine_total")}
