"""Cross-case analysis of a reviewed batch: 同案异罚, per-agency figures, campaign figures.

Works on small per-case summaries (`CaseSummary`) so a batch of thousands of files can be
streamed: the full `CaseResult` (findings, messages, values) is written out and dropped, only
the summary stays in memory.

同案异罚 (应急管理行政裁量权基准暂行规定（应急管理部令第12号）第五条: 同一行政区域内…同类违法行为…
裁量基准…相同或者相近的，处罚种类和幅度应当相当): fines are grouped by benchmark item, tier, target,
branch and the circumstance facts (`f_*`) the tier reads. Numeric circumstances are banded by the
tier itself, so by default only categorical ones (yes/no, labels) enter the key; a caller that knows
which facts an item's tiers read passes `tier_facts={item: {"f_x", ...}}` and exactly those are used.
"""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from .packs.tables.statute import BRANCH_LABELS
from .report.labels import status_label
from .report.location import where_of
from .review import CaseResult

LEGAL_BASIS_LIKE_CASES = "《应急管理行政裁量权基准暂行规定》（应急管理部令第12号）第5条"
FAILING_GRADE = "不合格"


@dataclass(slots=True)
class CaseSummary:
    """What the summary page, the spreadsheet summary and the analysis need of one file.

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
        counts = Counter(f.severity for f in result.findings)
        seen: dict[str, tuple[str, str, str]] = {}
        for f in result.findings:
            seen.setdefault(f.code, (_intern(f.code), _intern(f.title), _intern(f.severity)))
        rejection = []
        for e in result.errors:
            rejection.append(f"{where_of(e)}：{e.message}")
        digest = result.facts_digest or {}
        penalties = [  # keys and codes interned: the unpickled copies would be kept per file
            {sys.intern(k): _intern(v) if isinstance(v, str) else v for k, v in p.items()}
            for p in digest.get("penalties") or []
        ]
        stated = None
        if result.status == "reviewed" and digest.get("outcome") == "penalty" and penalties:
            if any("discretion_stated" in p for p in penalties):
                stated = all(bool(p.get("discretion_stated")) for p in penalties)
            else:  # the digest names the item and tier the decision applied
                stated = all(p.get("benchmark_item") and p.get("tier") for p in penalties)
        score = result.score
        return cls(
            index=index,
            file=result.file,
            status=_intern(result.status),
            page=page,
            case_number=result.case_number,
            title=result.title,
            agency=_intern(result.agency),
            region=_intern(result.region),
            party=result.party,
            procedure=_intern(result.procedure),
            score=score.score if score else None,
            grade=_intern(score.grade) if score else None,
            vetoed=bool(score and score.vetoed),
            graded=bool(score is None or score.graded),
            three_systems=score.three_systems if score else None,
            counts={s: counts.get(s, 0) for s in ("veto", "deduct", "warn", "review")},
            codes=list(seen.values()),
            rejection=rejection,
            penalties=penalties,
            outcome=digest.get("outcome"),
            fine_total=digest.get("fine_total"),
            benchmark_stated=stated,
            deducted=sum(c.deducted for c in score.categories) if score else None,
            status_label=_intern(status_label(result)),
        )

    @property
    def reviewed(self) -> bool:
        return self.status == "reviewed"

    @property
    def passed(self) -> bool:
        return self.reviewed and self.graded and not self.vetoed and self.grade != FAILING_GRADE


def _intern(text: str | None) -> str | None:
    return sys.intern(text) if text is not None else None


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
        direction = "高于" if self.amount > self.median else "低于"
        names = [p["case_number"] or p["file"] for p in self.peers if p["file"] != self.file][:10]
        peers = "、".join(names) + (
            f" 等 {self.group_size - 1} 件" if self.group_size - 1 > len(names) else ""
        )
        return (
            f"罚款 {self.amount:,.0f} 元{direction}同类案件中位数 {self.median:,.0f} 元 "
            f"{abs(self.deviation):.0%}（{describe_group(self.group)}；同组案件：{peers}），可能同案异罚"
        )


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
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for s in summaries:
        if not s.reviewed:
            continue
        for p in s.penalties:
            keyed = _group_key(p, tier_facts)
            if keyed is None:
                continue
            key, group = keyed
            entry = groups.setdefault(key, {"group": group, "members": []})
            entry["members"].append(
                {"file": s.file, "case_number": s.case_number, "agency": s.agency, "amount": p["amount"]}
            )
    outliers: list[Outlier] = []
    table: list[dict[str, Any]] = []
    for entry in groups.values():
        members = entry["members"]
        amounts = [m["amount"] for m in members]
        median = statistics.median(amounts)
        table.append(
            {
                **entry["group"],
                "label": describe_group(entry["group"]),
                "count": len(members),
                "median": median,
                "min": min(amounts),
                "max": max(amounts),
                "members": members,
            }
        )
        if len(members) < min_group or median <= 0:
            continue
        for m in members:
            deviation = (m["amount"] - median) / median
            if abs(deviation) > ratio:
                outliers.append(
                    Outlier(
                        file=m["file"],
                        case_number=m["case_number"],
                        agency=m["agency"],
                        amount=m["amount"],
                        median=median,
                        deviation=deviation,
                        group=entry["group"],
                        peers=members[:PEERS_SHOWN],  # bounded: a batch of thousands must stay linear
                        group_size=len(members),
                    )
                )
    table.sort(key=lambda g: (-g["count"], str(g["benchmark_item"]), g["tier"]))
    outliers.sort(key=lambda o: -abs(o.deviation))
    return outliers, table


# ---------------------------------------------------------------- per agency / campaign


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def agency_figures(summaries: list[CaseSummary], key: str = "agency") -> list[dict[str, Any]]:
    """Per agency (or region): counts, average score, veto rate, 零处罚 / 只检查不处罚 signals."""
    buckets: dict[str, list[CaseSummary]] = {}
    for s in summaries:
        buckets.setdefault(getattr(s, key) or "（未知）", []).append(s)
    rows = []
    for name, items in sorted(buckets.items()):
        reviewed = [s for s in items if s.reviewed]
        scores = [s.score for s in reviewed if s.score is not None]
        outcomes = Counter(s.outcome or "none" for s in reviewed)
        penalised = outcomes.get("penalty", 0)
        three = [s.three_systems for s in reviewed if s.three_systems is not None]
        stated = [s for s in reviewed if s.benchmark_stated is not None]
        not_penalised = len(reviewed) - penalised
        rows.append(
            {
                key: name,
                "files": len(items),
                "reviewed": len(reviewed),
                "rejected": len(items) - len(reviewed),
                "average_score": round(statistics.fmean(scores), 1) if scores else None,
                "veto_rate": _rate(sum(s.vetoed for s in reviewed), len(reviewed)),
                "pass_rate": _rate(sum(s.passed for s in reviewed), sum(s.graded for s in reviewed)),
                "penalty_cases": penalised,
                "no_penalty_cases": not_penalised,  # inspections / findings that ended without a penalty
                "outcomes": dict(outcomes),
                "fine_total": sum(s.fine_total or 0 for s in reviewed),
                "zero_penalty": bool(reviewed) and penalised == 0,  # 零处罚 / 只检查不处罚 signal
                "passed": sum(s.passed for s in reviewed),
                "three_systems_rate": statistics.fmean(three) if three else None,
                "benchmark_stated_rate": _rate(sum(bool(s.benchmark_stated) for s in stated), len(stated)),
            }
        )
    return rows


def campaign_figures(summaries: list[CaseSummary]) -> dict[str, Any]:
    reviewed = [s for s in summaries if s.reviewed]
    three = [s.three_systems for s in reviewed if s.three_systems is not None]
    penalty_cases = [s for s in reviewed if s.benchmark_stated is not None]
    return {
        "files": len(summaries),
        "reviewed": len(reviewed),
        "rejected": len(summaries) - len(reviewed),
        "three_systems_rate": statistics.fmean(three) if three else None,
        "pass_rate": _rate(sum(s.passed for s in reviewed), sum(s.graded for s in reviewed)),
        "penalty_cases": len(penalty_cases),
        "benchmark_stated_rate": _rate(
            sum(bool(s.benchmark_stated) for s in penalty_cases), len(penalty_cases)
        ),
        "average_score": round(statistics.fmean([s.score for s in reviewed if s.score is not None]), 1)
        if reviewed
        else None,
        "veto_rate": _rate(sum(s.vetoed for s in reviewed), len(reviewed)),
    }


def grade_distribution(summaries: list[CaseSummary]) -> dict[str, int]:
    order = ["优秀", "良好", "合格", "不合格"]
    counts = Counter(s.grade for s in summaries if s.reviewed and s.grade)
    return {g: counts[g] for g in [*order, *sorted(set(counts) - set(order))] if g in counts or g in order}


def score_histogram(summaries: list[CaseSummary], width: int = 10) -> list[dict[str, Any]]:
    bins = [0] * (100 // width)
    for s in summaries:
        if s.reviewed and s.score is not None:
            bins[min(int(s.score // width), len(bins) - 1)] += 1
    return [
        {"from": i * width, "to": (i + 1) * width if i < len(bins) - 1 else 100, "count": n}
        for i, n in enumerate(bins)
    ]


def frequent_findings(summaries: list[CaseSummary], limit: int = 15) -> list[dict[str, Any]]:
    """Rules by the number of files they fired in."""
    files: Counter[str] = Counter()
    meta: dict[str, tuple[str, str]] = {}
    for s in summaries:
        for code, title, severity in s.codes:
            files[code] += 1
            meta[code] = (title, severity)
    return [
        {"code": c, "title": meta[c][0], "severity": meta[c][1], "files": n}
        for c, n in files.most_common(limit)
    ]


def analyse(
    summaries: list[CaseSummary],
    ratio: float = 0.5,
    min_group: int = 3,
    tier_facts: dict[str, set[str]] | None = None,
) -> dict[str, Any]:
    """Everything the summary page and the JSON `analysis` key show (JSON-serialisable)."""
    outliers, groups = like_case_outliers(summaries, ratio, min_group, tier_facts)
    ranked = sorted(
        (s for s in summaries if s.reviewed),
        key=lambda s: (-(s.score or 0), s.counts.get("deduct", 0), s.file),
    )
    return {
        "campaign": campaign_figures(summaries),
        "grades": grade_distribution(summaries),
        "histogram": score_histogram(summaries),
        "frequent_findings": frequent_findings(summaries),
        "agencies": agency_figures(summaries, "agency"),
        "regions": agency_figures(summaries, "region"),
        "like_cases": {
            "basis": LEGAL_BASIS_LIKE_CASES,
            "ratio": ratio,
            "min_group": min_group,
            # a shallow view: asdict() deep-copies every peer list (a second per 1,000 outliers)
            "outliers": [
                {f.name: getattr(o, f.name) for f in fields(o)} | {"message": o.message} for o in outliers
            ],
            "groups": groups,
        },
        "ranking": [
            {
                "file": s.file,
                "case_number": s.case_number,
                "agency": s.agency,
                "score": s.score,
                "grade": s.grade,
            }
            for s in ranked
        ],
        "rejected": [{"file": s.file, "reasons": s.rejection} for s in summaries if not s.reviewed],
    }


def analyse_results(results: list[CaseResult], **kwargs: Any) -> dict[str, Any]:
    return analyse([CaseSummary.of(r, i) for i, r in enumerate(results)], **kwargs)
