"""Cross-case analysis of a reviewed batch: 同案异罚, per-agency figures, campaign figures.

Built file by file (`BatchAnalysis`): each file's `CaseSummary` is folded into running figures
and dropped, and only what the output lists name per file stays (a ranking row, its fines'
peer-group entries, a rejection), as tuples. So a batch of 100,000 files keeps a few hundred
bytes per file in the parent, not its summary; `analyse(summaries)` is the same over a list.

同案异罚 (应急管理行政裁量权基准暂行规定（应急管理部令第12号）第五条: 同一行政区域内…同类违法行为…
裁量基准…相同或者相近的，处罚种类和幅度应当相当): fines are grouped by benchmark item, tier, target,
branch and the circumstance facts (`f_*`) the tier reads. Numeric circumstances are banded by the
tier itself, so by default only categorical ones (yes/no, labels) enter the key; a caller that knows
which facts an item's tiers read passes `tier_facts={item: {"f_x", ...}}` and exactly those are used.
"""

from __future__ import annotations

import operator
import statistics
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from types import SimpleNamespace
from typing import Any

from .memo import remember
from .packs.schema import BRANCH_LABELS
from .report.labels import status_label
from .report.location import where_of
from .review import CaseResult

_CASE_FIELDS = ("file", "status", "case_number", "title", "agency", "region", "party", "procedure")
LEGAL_BASIS_LIKE_CASES = "《应急管理行政裁量权基准暂行规定》（应急管理部令第12号）第5条"
FAILING_GRADE = "不合格"


@dataclass(slots=True)
class CaseSummary:
    """What the analysis needs of one file (`analyse`, and a result-cache hit's entry, `of_json`);
    a review folds `BatchAnalysis.entry_of(result)` instead, and its summary pages keep only
    `html.summary_row`.

    One is kept per file for the whole batch, so it is small: slots, and the strings that repeat
    across files (rule titles, agencies, grades) interned."""

    index: int
    file: str
    status: str
    page: str = ""
    case_number: str | None = None
    title: str | None = None
    agency: str | None = None
    region: str | None = None
    party: str | None = None
    procedure: str | None = None
    score: float | None = None
    grade: str | None = None
    vetoed: bool = False
    graded: bool = True  # False: 未结案 / 无法评分 (no grade; not in the pass rate)
    three_systems: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    codes: list[tuple[str, str, str]] = field(default_factory=list)  # (code, title, severity) once each
    rejection: list[str] = field(default_factory=list)
    penalties: list[dict[str, Any]] = field(default_factory=list)
    outcome: str | None = None
    fine_total: float | None = None
    benchmark_stated: bool | None = None
    deducted: float | None = None  # points deducted (sum over the profile's categories)
    status_label: str = ""  # 已评查 / 无法评查 / 无法评分 …

    @classmethod
    def of(cls, result: CaseResult, index: int, page: str = "") -> CaseSummary:
        score = result.score
        return cls._build(
            index,
            page,
            result,
            map(_CODE_TITLE_SEVERITY, result.findings),
            [f"{where_of(e)}：{e.message}" for e in result.errors],
            result.facts_digest or {},
            (
                score.score,
                score.grade,
                score.vetoed,
                score.graded,
                score.three_systems,
                sum(c.deducted for c in score.categories),
            )
            if score
            else None,
            status_label(result),
        )

    @classmethod
    def of_json(cls, data: dict[str, Any], index: int, page: str = "") -> CaseSummary:
        """`of` a result given as its JSON form (`model_dump(mode="json")`, e.g. decoded from the
        result cache): the same summary, without building the model."""
        score = data.get("score")
        view = SimpleNamespace(status=data["status"], score=SimpleNamespace(**score) if score else None)
        return cls._build(
            index,
            page,
            SimpleNamespace(**{k: data.get(k) for k in _CASE_FIELDS}),
            [(f["code"], f["title"], f["severity"]) for f in data.get("findings") or ()],
            [f"{where_of(SimpleNamespace(**e))}：{e['message']}" for e in data.get("errors") or ()],
            data.get("facts_digest") or {},
            (
                score["score"],
                score["grade"],
                score["vetoed"],
                score["graded"],
                score.get("three_systems"),
                sum(c["deducted"] for c in score["categories"]),
            )
            if score
            else None,
            status_label(view),
        )

    @classmethod
    def _build(
        cls,
        index: int,
        page: str,
        case: Any,
        findings: Iterable[tuple[str, str, str]],
        rejection: list[str],
        digest: dict[str, Any],
        score: tuple[Any, ...] | None,
        label: str,
    ) -> CaseSummary:
        """`score`: (score, grade, vetoed, graded, three_systems, points deducted) or None."""
        counts = dict.fromkeys(_COUNTED, 0)
        seen: dict[str, tuple[str, str, str]] = {}
        for code, title, severity in findings:
            if severity in counts:
                counts[severity] += 1
            if code not in seen:
                seen[code] = _code_brief(code, title, severity)
        intern = sys.intern
        penalties = [  # keys and codes interned: the unpickled copies would be kept per file
            {intern(k): intern(v) if v.__class__ is str else v for k, v in p.items()}
            for p in digest.get("penalties") or ()
        ]
        stated = _benchmark_stated(digest.get("outcome"), penalties) if case.status == "reviewed" else None
        return cls(
            index=index,
            file=case.file,
            status=_intern(case.status),
            page=page,
            case_number=case.case_number,
            title=case.title,
            agency=_intern(case.agency),
            region=_intern(case.region),
            party=case.party,
            procedure=_intern(case.procedure),
            score=score[0] if score else None,
            grade=_intern(score[1]) if score else None,
            vetoed=bool(score and score[2]),
            graded=bool(score is None or score[3]),
            three_systems=score[4] if score else None,
            counts=counts,
            codes=list(seen.values()),
            rejection=rejection,
            penalties=penalties,
            outcome=digest.get("outcome"),
            fine_total=digest.get("fine_total"),
            benchmark_stated=stated,
            deducted=score[5] if score else None,
            status_label=_intern(label),
        )

    @property
    def reviewed(self) -> bool:
        return self.status == "reviewed"

    @property
    def passed(self) -> bool:
        return self.reviewed and self.graded and not self.vetoed and self.grade != FAILING_GRADE


def _benchmark_stated(outcome: str | None, penalties: list[dict[str, Any]]) -> bool | None:
    """Whether a reviewed file's penalties state their discretion benchmark (None: no penalty)."""
    if outcome != "penalty" or not penalties:
        return None
    if any("discretion_stated" in p for p in penalties):
        return all(bool(p.get("discretion_stated")) for p in penalties)
    return all(p.get("benchmark_item") and p.get("tier") for p in penalties)  # the item and tier applied


def _intern(text: str | None) -> str | None:
    return sys.intern(text) if text is not None else None


_COUNTED = ("veto", "deduct", "warn", "review")  # the severities a summary counts
_CODE_TITLE_SEVERITY = operator.attrgetter("code", "title", "severity")
_CODE_BRIEFS: dict[tuple[str, str, str], tuple[str, str, str]] = {}


def _code_brief(code: str, title: str, severity: str) -> tuple[str, str, str]:
    """(code, title, severity) interned, one tuple for all files: the summaries a worker sends
    together (pickled as one message) then carry one copy of it, kept once by the parent."""
    key = (code, title, severity)
    brief = _CODE_BRIEFS.get(key)
    if brief is None:
        brief = remember(_CODE_BRIEFS, key, (sys.intern(code), sys.intern(title), sys.intern(severity)), 4096)
    return brief


_FINDING_BRIEF = ("code", "title", "severity", "severity_label", "waiver")


def brief(data: dict[str, Any]) -> dict[str, Any]:
    """The part of a result's JSON (`model_dump(mode="json")`) that `CaseSummary.of_json` and a
    run's counts (exit code, --statistics) read: a result cache entry carries it, so a hit is
    counted without decoding the whole result."""
    out = {k: data.get(k) for k in _CASE_FIELDS}
    out["findings"] = [{k: f.get(k) for k in _FINDING_BRIEF} for f in data.get("findings") or ()]
    out["errors"] = data.get("errors") or []
    out["facts_digest"] = data.get("facts_digest")
    out["score"] = data.get("score")
    return out


# ---------------------------------------------------------------- 同案异罚


PEERS_SHOWN = 20


@dataclass
class Outlier:
    file: str
    case_number: str | None
    agency: str | None
    amount: float
    median: float
    deviation: float  # (amount - median) / median
    group: dict[str, Any]
    peers: list[dict[str, Any]]  # the first PEERS_SHOWN members of the peer group: file, case_number, amount
    group_size: int = 0
    basis: str = LEGAL_BASIS_LIKE_CASES

    @property
    def message(self) -> str:
        return self.message_in({})

    def message_in(self, described: dict[tuple[int, int], tuple[str, frozenset[str], str, int]]) -> str:
        """`message`, with what it says of the group and its peers worked out once per peer list
        (every outlier of a group shares one) in `described`: a batch had ~7,000 outliers in 40
        groups, and this was a third of the analysis's time."""
        key = (id(self.peers), id(self.group))
        group = described.get(key)
        if group is None:
            names = [p["case_number"] or p["file"] for p in self.peers]
            files = frozenset(p["file"] for p in self.peers)
            group = described[key] = (
                describe_group(self.group),
                files,
                "、".join(names[:10]),
                min(10, len(names)),
            )
        label, files, shown, count = group
        if self.file in files:  # the outlier is among its shown peers: named without itself
            names = [p["case_number"] or p["file"] for p in self.peers if p["file"] != self.file][:10]
            shown, count = "、".join(names), len(names)
        direction = "高于" if self.amount > self.median else "低于"
        peers = shown + (f" 等 {self.group_size - 1} 件" if self.group_size - 1 > count else "")
        return (
            f"罚款 {self.amount:,.0f} 元{direction}同类案件中位数 {self.median:,.0f} 元 "
            f"{abs(self.deviation):.0%}（{label}；同组案件：{peers}），可能同案异罚"
        )


_OUTLIER_FIELDS = tuple(f.name for f in fields(Outlier))


def describe_group(group: dict[str, Any]) -> str:
    target = {"unit": "单位", "person": "个人"}.get(group.get("target"), group.get("target"))
    branch = BRANCH_LABELS.get(group.get("branch"), group.get("branch"))
    parts = [f"裁量基准 {group.get('benchmark_item')} 第{group.get('tier')}阶次", f"对象：{target}"]
    parts.append(f"情形：{branch}")
    parts += [f"{k[2:]}={v}" for k, v in sorted(group.get("facts", {}).items())]
    return "，".join(parts)


def _group_key(
    penalty: dict[str, Any], tier_facts: dict[str, set[str]] | None
) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    item, tier, amount = penalty.get("benchmark_item"), penalty.get("tier"), penalty.get("amount")
    if not item or tier is None or amount is None:
        return None
    circumstances = {k: v for k, v in penalty.items() if k.startswith("f_")}
    if tier_facts is not None and item in tier_facts:
        facts = {k: circumstances.get(k) for k in sorted(tier_facts[item])}
    else:
        facts = {k: v for k, v in circumstances.items() if isinstance(v, (bool, str)) or v is None}
    group = {
        "benchmark_item": item,
        "tier": tier,
        "target": penalty.get("target"),
        "branch": penalty.get("branch"),
        "facts": facts,
    }
    key = (item, tier, penalty.get("target"), penalty.get("branch"), tuple(sorted(facts.items())))
    return key, group


def like_case_outliers(
    summaries: list[CaseSummary],
    ratio: float = 0.5,
    min_group: int = 3,
    tier_facts: dict[str, set[str]] | None = None,
) -> tuple[list[Outlier], list[dict[str, Any]]]:
    """Fines departing from their peer group's median by more than `ratio` (groups of ≥ min_group)."""
    batch = BatchAnalysis(ratio, min_group, tier_facts)
    for s in summaries:
        batch.add_penalties(s)
    return batch.like_cases()


# ---------------------------------------------------------------- per agency / campaign


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


class _Figures:
    """Running figures of one agency, region or the whole batch (what `row` reports)."""

    __slots__ = (
        "files",
        "fine_total",
        "graded",
        "outcomes",
        "passed",
        "reviewed",
        "scores",
        "stated",
        "stated_true",
        "three",
        "vetoed",
    )

    def __init__(self) -> None:
        self.files = self.reviewed = self.vetoed = self.passed = self.graded = 0
        self.stated = self.stated_true = 0
        self.scores: list[float] = []
        self.three: list[float] = []
        self.outcomes: Counter[str] = Counter()
        self.fine_total: float = 0

    def add(self, figures: tuple[Any, ...] | None) -> None:
        """One file's `BatchAnalysis.entry` figures (None: not reviewed)."""
        self.files += 1
        if figures is None:
            return
        score, vetoed, passed, graded, outcome, fine, three, stated = figures
        self.reviewed += 1
        if score is not None:
            self.scores.append(score)
        self.vetoed += vetoed
        self.passed += passed
        self.graded += graded
        self.outcomes[outcome] += 1
        self.fine_total = self.fine_total + fine  # the order sum() would add them in
        if three is not None:
            self.three.append(three)
        if stated is not None:
            self.stated += 1
            self.stated_true += stated

    def row(self, key: str, name: str) -> dict[str, Any]:
        """Per agency (or region): counts, average score, veto rate, 零处罚 / 只检查不处罚 signals."""
        penalised = self.outcomes.get("penalty", 0)
        return {
            key: name,
            "files": self.files,
            "reviewed": self.reviewed,
            "rejected": self.files - self.reviewed,
            "average_score": round(statistics.fmean(self.scores), 1) if self.scores else None,
            "veto_rate": _rate(self.vetoed, self.reviewed),
            "pass_rate": _rate(self.passed, self.graded),
            "penalty_cases": penalised,
            "no_penalty_cases": self.reviewed - penalised,  # inspections / findings without a penalty
            "outcomes": dict(self.outcomes),
            "fine_total": self.fine_total,
            "zero_penalty": bool(self.reviewed) and penalised == 0,  # 零处罚 / 只检查不处罚 signal
            "passed": self.passed,
            "three_systems_rate": statistics.fmean(self.three) if self.three else None,
            "benchmark_stated_rate": _rate(self.stated_true, self.stated),
        }

    def campaign(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "reviewed": self.reviewed,
            "rejected": self.files - self.reviewed,
            "three_systems_rate": statistics.fmean(self.three) if self.three else None,
            "pass_rate": _rate(self.passed, self.graded),
            "penalty_cases": self.stated,
            "benchmark_stated_rate": _rate(self.stated_true, self.stated),
            "average_score": round(statistics.fmean(self.scores), 1) if self.scores else None,
            "veto_rate": _rate(self.vetoed, self.reviewed),
        }


GRADE_ORDER = ["优秀", "良好", "合格", "不合格"]
HISTOGRAM_WIDTH = 10


class BatchAnalysis:
    """The cross-case analysis of a batch, built one `CaseSummary` at a time (`add`), so a caller
    streaming results keeps no summary; `result()` gives everything the summary page and the JSON
    `analysis` key show (JSON-serialisable), exactly as `analyse` over the same summaries in order.

    Kept per file: a ranking row or a rejection, and one peer-group entry per fine, as tuples that
    share the file's strings; everything else is a running figure."""

    def __init__(
        self, ratio: float = 0.5, min_group: int = 3, tier_facts: dict[str, set[str]] | None = None
    ) -> None:
        self.ratio, self.min_group, self.tier_facts = ratio, min_group, tier_facts
        self.all = _Figures()
        self.agencies: dict[str, _Figures] = {}
        self.regions: dict[str, _Figures] = {}
        self.grades: Counter[str] = Counter()
        self.bins = [0] * (100 // HISTOGRAM_WIDTH)
        self.finding_files: Counter[str] = Counter()
        self.finding_meta: dict[str, tuple[str, str]] = {}
        # peer-group key -> (group, [(file, case_number, agency, amount), ...]) in first-seen order
        self.groups: dict[tuple[Any, ...], tuple[dict[str, Any], list[tuple[Any, ...]]]] = {}
        self.ranked: list[tuple[Any, ...]] = []  # (sort key ..., file, case_number, agency, score, grade)
        self.rejected: list[tuple[str, list[str]]] = []

    def add(self, s: CaseSummary) -> None:
        self.add_entry(self.entry(s))

    def entry(self, s: CaseSummary) -> tuple[Any, ...]:
        """What `add_entry` folds in of one file, worked out from its summary alone: flat, so it is
        quicker to send from the worker that reviewed the file and to fold in than the summary."""
        if not s.reviewed:
            return s.agency, s.region, s.codes, None, (s.file, s.rejection)
        score, graded = s.score, s.graded
        figures = (
            score if score is not None and graded else None,  # an ungraded file's score is for reference only
            s.vetoed,
            s.passed,
            graded,
            s.outcome or "none",
            s.fine_total or 0,
            s.three_systems,
            None if s.benchmark_stated is None else bool(s.benchmark_stated),
        )
        row = (-(score or 0), s.counts.get("deduct", 0), s.file, s.case_number, score, s.grade)
        return s.agency, s.region, s.codes, figures, (row, self._fines(s.penalties))

    def entry_of(self, result: CaseResult) -> tuple[Any, ...]:
        """`entry(CaseSummary.of(result, …))`, worked out from the result itself: a review needs
        no summary (~6 µs a file instead of ~24; the summary pages take `html.summary_row`). The
        test suite holds the two to the same tuple on every kind of result."""
        seen: dict[str, tuple[str, str, str]] = {}
        deducts = 0
        for code, title, severity in map(_CODE_TITLE_SEVERITY, result.findings):
            if severity == "deduct":
                deducts += 1
            if code not in seen:
                seen[code] = _code_brief(code, title, severity)
        agency, region, codes = _intern(result.agency), _intern(result.region), list(seen.values())
        if result.status != "reviewed":
            rejection = [f"{where_of(e)}：{e.message}" for e in result.errors]
            return agency, region, codes, None, (result.file, rejection)
        digest = result.facts_digest or {}
        penalties = digest.get("penalties") or []
        outcome = digest.get("outcome")
        score = result.score
        value, grade = (score.score, _intern(score.grade)) if score else (None, None)
        vetoed, graded = bool(score and score.vetoed), bool(score is None or score.graded)
        figures = (
            value if value is not None and graded else None,
            vetoed,
            graded and not vetoed and grade != FAILING_GRADE,
            graded,
            outcome or "none",
            digest.get("fine_total") or 0,
            score.three_systems if score else None,
            _benchmark_stated(outcome, penalties),
        )
        row = (-(value or 0), deducts, result.file, result.case_number, value, grade)
        return agency, region, codes, figures, (row, self._fines(penalties))

    def _fines(self, penalties: list[dict[str, Any]]) -> list[tuple[Any, dict[str, Any], Any]]:
        """(peer-group key, group, amount) of each of a file's penalties that has a peer group."""
        fines = []
        for p in penalties:
            keyed = _group_key(p, self.tier_facts)
            if keyed is not None:
                fines.append((*keyed, p["amount"]))
        return fines

    def _add_fines(
        self, fines: list[tuple[Any, dict[str, Any], Any]], file: str, number: Any, agency: Any
    ) -> None:
        for key, group, amount in fines:
            entry = self.groups.get(key)
            if entry is None:
                entry = self.groups[key] = (group, [])
            entry[1].append((file, number, agency, amount))

    def add_entry(self, entry: tuple[Any, ...]) -> None:
        """One file's `entry` folded in; only its ranking row or rejection and its fines' peer-group
        entries are kept, sharing the file's strings."""
        agency, region, codes, figures, kept = entry
        # kept per file below; an entry made in a worker process arrives with its own copies
        agency = _intern(agency)
        self.all.add(figures)
        for buckets, name in ((self.agencies, agency), (self.regions, region)):
            bucket = buckets.get(name or "（未知）")
            if bucket is None:
                bucket = buckets[name or "（未知）"] = _Figures()
            bucket.add(figures)
        for code, title, severity in codes:
            self.finding_files[code] += 1
            self.finding_meta[code] = (title, severity)
        if figures is None:
            self.rejected.append(kept)  # (file, reasons)
            return
        (score, deducts, file, number, shown, grade), fines = kept
        grade = _intern(grade)
        if grade:
            self.grades[grade] += 1
        if figures[0] is not None:  # as the averages: reference scores are not counted
            self.bins[min(int(figures[0] // HISTOGRAM_WIDTH), len(self.bins) - 1)] += 1
        self.ranked.append((score, deducts, file, number, agency, shown, grade))
        self._add_fines(fines, file, number, agency)

    def add_penalties(self, s: CaseSummary) -> None:
        if s.reviewed:
            self._add_fines(self._fines(s.penalties), s.file, s.case_number, s.agency)

    def like_cases(self) -> tuple[list[Outlier], list[dict[str, Any]]]:
        outliers: list[Outlier] = []
        table: list[dict[str, Any]] = []
        for group, entries in self.groups.values():
            members = [
                {"file": file, "case_number": number, "agency": agency, "amount": amount}
                for file, number, agency, amount in entries
            ]
            amounts = [m["amount"] for m in members]
            median = statistics.median(amounts)
            table.append(
                {
                    **group,
                    "label": describe_group(group),
                    "count": len(members),
                    "median": median,
                    "min": min(amounts),
                    "max": max(amounts),
                    "members": members,
                }
            )
            if len(members) < self.min_group or median <= 0:
                continue
            peers = members[:PEERS_SHOWN]  # bounded, and one list per group shared by its outliers
            for m in members:
                deviation = (m["amount"] - median) / median
                if abs(deviation) > self.ratio:
                    outliers.append(
                        Outlier(
                            file=m["file"],
                            case_number=m["case_number"],
                            agency=m["agency"],
                            amount=m["amount"],
                            median=median,
                            deviation=deviation,
                            group=group,
                            peers=peers,
                            group_size=len(members),
                        )
                    )
        table.sort(key=lambda g: (-g["count"], str(g["benchmark_item"]), g["tier"]))
        outliers.sort(key=lambda o: -abs(o.deviation))
        return outliers, table

    def result(self) -> dict[str, Any]:
        outliers, groups = self.like_cases()
        counts = self.grades
        grades = {g: counts[g] for g in [*GRADE_ORDER, *sorted(set(counts) - set(GRADE_ORDER))]}
        last = len(self.bins) - 1
        histogram = [
            {"from": i * HISTOGRAM_WIDTH, "to": (i + 1) * HISTOGRAM_WIDTH if i < last else 100, "count": n}
            for i, n in enumerate(self.bins)
        ]
        meta = self.finding_meta
        described: dict[tuple[int, int], tuple[str, frozenset[str], str, int]] = {}
        self.ranked.sort(key=lambda row: row[:3])  # stable: equal keys keep the batch order
        return {
            "campaign": self.all.campaign(),
            "grades": grades,
            "histogram": histogram,
            "frequent_findings": [
                {"code": c, "title": meta[c][0], "severity": meta[c][1], "files": n}
                for c, n in self.finding_files.most_common(15)
            ],
            "agencies": [f.row("agency", name) for name, f in sorted(self.agencies.items())],
            "regions": [f.row("region", name) for name, f in sorted(self.regions.items())],
            "like_cases": {
                "basis": LEGAL_BASIS_LIKE_CASES,
                "ratio": self.ratio,
                "min_group": self.min_group,
                # a shallow view: asdict() deep-copies every peer list (a second per 1,000 outliers)
                "outliers": [
                    {name: getattr(o, name) for name in _OUTLIER_FIELDS}
                    | {"message": o.message_in(described)}
                    for o in outliers
                ],
                "groups": groups,
            },
            "ranking": [
                {"file": file, "case_number": number, "agency": agency, "score": score, "grade": grade}
                for _, _, file, number, agency, score, grade in self.ranked
            ],
            "rejected": [{"file": file, "reasons": reasons} for file, reasons in self.rejected],
        }


def analyse(
    summaries: list[CaseSummary],
    ratio: float = 0.5,
    min_group: int = 3,
    tier_facts: dict[str, set[str]] | None = None,
) -> dict[str, Any]:
    """Everything the summary page and the JSON `analysis` key show (JSON-serialisable)."""
    batch = BatchAnalysis(ratio, min_group, tier_facts)
    for s in summaries:
        batch.add(s)
    return batch.result()


def analyse_results(results: list[CaseResult], **kwargs: Any) -> dict[str, Any]:
    return analyse([CaseSummary.of(r, i) for i, r in enumerate(results)], **kwargs)
