"""Review one case file: load → validate → derive → evaluate → findings → score.

Never raises for bad input: a file that cannot be reviewed comes back `rejected` with its
Chinese errors, so a batch always accounts for every file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

from pydantic import BaseModel, Field

from .derive.calendar import WorkCalendar, default_calendar
from .derive.facts import derive
from .derive.needs import fact_needs
from .evaluate.findings import Finding, Location, NotRun, WaiverNote, build_findings, trusted
from .evaluate.model import EvalResult
from .fastjson import orjson
from .load import InputError, InputRejected, load_case
from .load.facttypes import check_fact_types, declared_fact_types
from .load.source import SourceDoc
from .model.case import CaseFile, Discretion
from .model.factories import new_dict, new_list
from .model.roster import Roster
from .model.unknown import Unknown
from .packs.loader import RuleBook
from .packs.schema import SEVERITY_RANK
from .score.profile import Profile
from .score.scoring import OPEN, UNGRADABLE, CategoryScore, Score, score_case

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
    findings: list[Finding] = Field(default_factory=new_list)
    errors: list[RejectedInput] = Field(default_factory=new_list)
    notes: list[str] = Field(default_factory=new_list)
    not_run: list[NotRun] = Field(
        default_factory=new_list,
        description="检查未能进行的事项及原因（事实未载明、未提供证件台账、日历缺失等）",
    )
    engine: str | None = None
    benchmark_items: list[str] = Field(default_factory=new_list)
    facts_digest: dict[str, Any] = Field(
        default_factory=new_dict, description="inputs for cross-case analysis"
    )

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


def _encoded_as(model: type[BaseModel]) -> tuple[int, tuple[str, ...]]:
    """How many fields `model` has, and which of them are floats."""
    fields = model.model_fields
    floats = tuple(n for n, f in fields.items() if float in (f.annotation, *get_args(f.annotation)))
    return len(fields), floats


# The result's models (their field counts and float fields): orjson writes a model as its fields
# (`__dict__`, in declaration order), as pydantic's serializer does, except that pydantic writes an
# int held by a float field as a float (85 → 85.0). Types orjson would encode otherwise than
# pydantic (datetimes, dataclasses, subclasses of str, int, list or dict) reach `_fields` too.
_RESULT_MODELS = {
    model: _encoded_as(model)
    for model in (CaseResult, RejectedInput, Finding, Location, WaiverNote, NotRun, Score, CategoryScore)
}
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
    if orjson is not None
    else 0
)
_FLOAT_OR_NONE = (float, type(None))


def result_json(result: CaseResult) -> bytes:
    """`result.model_dump_json()` as UTF-8 bytes (the result's JSON line), the same bytes in ~2/3
    of the time: pydantic's serializer infers the type of every `Any` value (a finding's values,
    the facts digest), orjson encodes the models' fields as they are. Anything orjson would not
    encode exactly as pydantic does (an integer beyond 64 bits, a set, a date, a model of another
    class …) makes it give up, and pydantic encodes the whole result (tested on both)."""
    if orjson is not None:
        try:
            return orjson.dumps(result, default=_fields, option=_ORJSON_OPTIONS)
        except TypeError:
            pass
    return result.__pydantic_serializer__.to_json(result)


def _fields(value: Any) -> dict[str, Any]:
    """A result model's fields for orjson; any other value orjson does not encode is refused."""
    shape = _RESULT_MODELS.get(value.__class__)
    fields = value.__dict__ if shape is not None else None
    if fields is None or len(fields) != shape[0]:
        raise TypeError(f"not encoded by orjson: {value.__class__.__name__}")
    for name in shape[1]:
        if fields[name].__class__ not in _FLOAT_OR_NONE:
            raise TypeError(f"{name}: not a float")
    return fields


def rejected(path: Path | str, errors: list[RejectedInput], notes: list[str] | None = None) -> CaseResult:
    return CaseResult(file=str(path), status="rejected", errors=errors, notes=notes or [])


def review_file(path: Path, ctx: ReviewContext, data: bytes | None = None) -> CaseResult:
    """`data`: the file's bytes, when the caller has read them already (the result cache hashes
    exactly the bytes reviewed)."""
    return review_files([path], ctx, [data])[0]


def review_files(
    paths: list[Path], ctx: ReviewContext, data: list[bytes | None] | None = None
) -> list[CaseResult]:
    """`review_file` of each path (`data`: their bytes, or None each), stage by stage across the
    files: every file loaded, then every case's facts derived, then every case evaluated, then
    every result built. A file's result does not depend on the others', but the CPU caches do:
    each stage's code and data (durable_rules touches ~1 MB of its nodes a case) stay in them from
    one file to the next instead of being evicted by the other stages (measured in one process:
    evaluate −20–28 %, a file −10–30 % under load). At most `STAGED_FILES` files are in the stages
    at a time (each holds its case, text and facts)."""
    data = data or [None] * len(paths)
    out: list[CaseResult] = []
    for first in range(0, len(paths), STAGED_FILES):
        group = range(first, min(first + STAGED_FILES, len(paths)))
        cases = [_loaded(paths[i], data[i]) for i in group]
        for stage in (_derive, _evaluate, _finish):
            for i, case in enumerate(cases):
                if isinstance(case, _Case):
                    cases[i] = _guarded(stage, case, ctx)
        out += cases  # type: ignore[arg-type]  # every _Case was finished
    return out


STAGED_FILES = 16  # measured at 10,000 files: 8 less fast, 64 as fast with +21 MB a worker


@dataclass(slots=True)
class _Case:
    """A file on its way through the stages."""

    path: Path
    case: CaseFile
    source: SourceDoc
    derived: Any = None
    result: EvalResult | None = None


def _loaded(path: Path, data: bytes | None) -> _Case | CaseResult:
    """The file read and validated, or its rejection."""
    try:
        case, source = load_case(path, data=data)
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
    return _Case(path, case, source)


def _guarded(stage: Any, case: _Case, ctx: ReviewContext) -> _Case | CaseResult:
    try:
        return stage(case, ctx)
    except Exception as exc:  # a bug in any later stage rejects this file, never the batch
        import traceback  # only for an internal error

        detail = traceback.format_exception_only(exc)[-1].strip()
        return rejected(
            case.path, [RejectedInput(file=str(case.path), message=f"评查失败（内部错误）：{detail}")]
        )


def _review_case(path: Path, case: CaseFile, source: SourceDoc, ctx: ReviewContext) -> CaseResult:
    """The stages after loading, for one file."""
    item = _derive(_Case(path, case, source), ctx)
    return item if isinstance(item, CaseResult) else _finish(_evaluate(item, ctx), ctx)


def _derive(item: _Case, ctx: ReviewContext) -> _Case | CaseResult:
    case, source, path = item.case, item.source, item.path
    problems = check_fact_types(case, str(path), declared_fact_types(ctx.book), source.locate)
    if problems:  # a tier must never be chosen on text, NaN or a number typed as a string
        return rejected(
            path,
            [
                RejectedInput(file=e.file, line=e.line, column=e.column, field=e.field, message=_message(e))
                for e in problems
            ],
        )
    item.derived = derive(case, ctx.roster, ctx.calendar, ctx.book.tables, fact_needs(ctx.book))
    return item


def _evaluate(item: _Case, ctx: ReviewContext) -> _Case:
    item.result = ctx.engine.evaluate(item.derived.facts)
    return item


def _finish(item: _Case, ctx: ReviewContext) -> CaseResult:
    path, case, source, derived, result = item.path, item.case, item.source, item.derived, item.result
    assert result is not None
    not_run: list[NotRun] = []
    findings = build_findings(
        ctx.book, result, derived.facts, derived.sources, str(path), source.locate, not_run, acts=derived.acts
    )
    not_run = [*_blocked_checks(ctx, derived), *not_run, *_rules_not_run(ctx, findings)]
    status, status_reason = grading_status(case)
    if status is not None:
        not_run.insert(0, _not_run("GRADE", f"案卷{status}", status_reason))
    findings.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.code, f.location.field))
    items = sorted(
        {
            v.discretion.benchmark_item
            for v in case.violations
            if isinstance(v.discretion, Discretion) and isinstance(v.discretion.benchmark_item, str)
        }
    )
    texts = (
        case.case.label,
        _text(case.case.title),
        case.case.agency.name,
        _text(case.case.agency.region),
        _text(case.party.name),
        _label(case.case.procedure),
    )
    values = {
        "file": str(path),
        "status": "reviewed",
        "case_number": texts[0],
        "title": texts[1],
        "agency": texts[2],
        "region": texts[3],
        "party": texts[4],
        "procedure": texts[5],
        "score": score_case(findings, ctx.profile, status, status_reason),
        "findings": findings,
        "errors": [],
        "notes": [*source.notes, *derived.notes, *result.notes],
        "not_run": not_run,
        "engine": result.engine,
        "benchmark_items": items,
        "facts_digest": _digest(derived.facts),
    }
    if all(text is None or text.__class__ is str for text in texts):
        # every other value is made by the review itself, of its field's type (tested against
        # validation); a text of the case file that is not one is validated, as before
        return trusted(CaseResult, values)
    return CaseResult(**values)


def grading_status(case: CaseFile) -> tuple[str | None, str]:
    """(None, "") when the file can be graded; else the status that replaces its grade.

    A file without a decision and without a no-penalty decision is not closed: nothing in it
    can be judged as the outcome of a case, so it is never 优秀. A decision marked unknown
    cannot be judged either."""
    if isinstance(case.decision, Unknown):
        return UNGRADABLE, f"处理决定（decision）{case.decision.describe()}，无法评定等次"
    if isinstance(case.acts, Unknown):
        return UNGRADABLE, f"执法环节记录（acts）{case.acts.describe()}：办案程序无法评查，不评定等次"
    if case.decision is None:
        acts = case.acts_list
        if any(a.kind.value == "no_penalty_decision" for a in acts):
            return None, ""
        return OPEN, "案卷没有行政处罚决定，也没有不予行政处罚决定：未结案，不评定等次"
    decision = case.decision
    outcome_known = decision.outcome is not None and not isinstance(decision.outcome, Unknown)
    if not outcome_known and (
        isinstance(decision.penalties, Unknown) or "penalties" not in decision.model_fields_set
    ):
        return UNGRADABLE, "处理决定未载明处理结果和处罚内容，无法评定等次"
    if outcome_known and decision.outcome.value == "penalty" and not decision.penalties:
        # a penalty decision whose penalties the export leaves out: kind, amount and basis unjudgeable
        return UNGRADABLE, "处罚决定未载明处罚种类和金额（decision.penalties），无法评定等次"
    return None, ""


def _rules_not_run(ctx: ReviewContext, findings: list[Finding]) -> list[NotRun]:
    """Findings of rules that report a check that could not run (`not_run: true` in the pack)."""
    codes = _not_run_codes(ctx.book)
    return [
        _not_run(f.code, f.title, f.message, f.location.field)
        for f in findings
        if f.code in codes and not f.unknown
    ]


def _not_run_codes(book: RuleBook) -> frozenset[str]:
    """The codes of the book's `not_run` rules, found once per book (asked for every file)."""
    codes = book.__dict__.get("_not_run_codes")
    if codes is None:
        codes = book.__dict__["_not_run_codes"] = frozenset(
            code for code, definition in book.rules.items() if definition.rule.not_run
        )
    return codes


def _blocked_checks(ctx: ReviewContext, derived: Any) -> list[NotRun]:
    """Whole areas that could not be checked: no roster, calendar data missing, records unknown."""
    out = [_not_run(topic, "案卷记录未载明", reason) for topic, reason in derived.blocked]
    if ctx.roster is None:
        out.append(
            _not_run("ROSTER", "执法证件核验", "未提供证件台账（--roster）：执法人员证件是否有效无法核验")
        )
    for note in derived.notes:
        if note.startswith("日历数据缺失"):
            out.append(_not_run("CALENDAR", "工作日期限", f"{note}：工作日期限按估算日历计算"))
    return out


def _not_run(code: str, title: str, reason: str, field: str | None = None) -> NotRun:
    """`NotRun(code=…, title=…, reason=…, field=…)` of texts the review made (validation, ~5 µs,
    was most of the cost of a not-run entry; the result's test compares them with validation)."""
    return trusted(NotRun, {"code": code, "title": title, "reason": reason, "field": field})


def _text(value: Any) -> str | None:
    """A descriptive value for display: unknown shows as 未载明."""
    if isinstance(value, Unknown):
        return value.describe()
    return value


def _label(value: Any) -> str | None:
    if isinstance(value, Unknown):
        return value.describe()
    return value.label if value is not None else None


def _message(error: InputError) -> str:
    return f"{error.message}，实际为 {error.value}" if error.value is not None else error.message


_DIGESTED = ("benchmark_item", "tier", "amount", "target", "branch", "basis_article", "discretion_stated")


@functools.lru_cache(maxsize=256)
def _circumstances(fields: tuple[str, ...]) -> tuple[str, ...]:
    """The circumstance facts (`f_…`) among a fact's fields, found once per shape of fact."""
    return tuple(k for k in fields if k.startswith("f_"))


def _digest(facts: list[dict[str, Any]]) -> dict[str, Any]:
    """The few facts cross-case analysis needs (kept small: results are streamed)."""
    penalties = [
        dict(zip(_DIGESTED, map(f.get, _DIGESTED), strict=True)) | {k: f[k] for k in _circumstances(tuple(f))}
        for f in facts
        if f["kind"] == "penalty" and f.get("penalty_type") == "fine"
    ]
    case = next(f for f in facts if f["kind"] == "case")
    return {"penalties": penalties, "outcome": case.get("outcome"), "fine_total": case.get("fine_total")}
