"""Scoring semantics (研究笔记 A): vetoes → 0 and the failing grade, still listing every finding;
deductions per item capped, per category capped (扣完为止，不计负分); `review` and `warn`
findings never change the score."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..evaluate.findings import Finding, trusted
from ..model.factories import new_list
from .profile import Category, Profile


class CategoryScore(BaseModel):
    """Frozen: every result with the same points deducted in a category shares one instance."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    max: int
    deducted: int
    score: int


OPEN = "未结案"
UNGRADABLE = "无法评分"


class Score(BaseModel):
    score: float
    grade: str = Field(description="等次；案卷未结案或无法评分时为 未结案 / 无法评分（不评等次）")
    graded: bool = Field(
        True, description="False: the file is not closed or cannot be judged; grade is the status"
    )
    status: str = Field("scored", description="scored, or 未结案 / 无法评分 (then `grade` repeats it)")
    status_reason: str | None = Field(None, description="why the file is not graded")
    vetoed: bool
    categories: list[CategoryScore]
    veto_codes: list[str] = Field(default_factory=new_list)
    pending_review: int = 0
    three_systems: float | None = Field(None, description="三项制度执行率 of this file, 0..1")
    profile: str
    provisional: int = Field(
        0,
        description="veto or deduction checks that could not run because facts are unknown "
        "(待人工评查): the grade holds only if a reviewer clears them",
    )


def score_case(
    findings: list[Finding], profile: Profile, status: str | None = None, status_reason: str | None = None
) -> Score:
    """Score and grade; `status` (未结案/无法评分) replaces the grade of a file that cannot be graded."""
    per_item: dict[str, int] = {}
    item_caps = {}
    deductions = profile.deductions()
    veto_set: set[str] = set()
    decided: set[str] = set()  # codes of findings the rules decided (not 待人工评查 items)
    unknown: set[str] = set()
    provisional = pending = 0
    for finding in findings:  # one pass: a batch scores every file
        severity, code = finding.severity, finding.code
        if severity == "deduct":
            key, category, points, cap = deductions(code)
            item_caps[key] = (category, cap)
            per_item[key] = per_item.get(key, 0) + points
        elif severity == "veto":
            veto_set.add(code)
        elif severity == "review":
            pending += 1
        if finding.unknown:
            unknown.add(code)
            provisional += finding.rule_severity in ("veto", "deduct")
        else:
            decided.add(code)
    per_category: dict[str, int] = {c.id: 0 for c in profile.categories}
    for key, points in per_item.items():
        category, cap = item_caps[key]
        per_category[category] += min(points, cap) if cap is not None else points
    categories = [_category_score(cat, min(per_category[cat.id], cat.max)) for cat in profile.categories]
    veto_codes = sorted(veto_set)
    vetoed = bool(veto_codes)
    total = 0.0 if vetoed else float(max(0, profile.total - sum(c.deducted for c in categories)))
    score = round(total * 100 / profile.total, 1)
    grade = profile.failing_grade if vetoed else next(g.name for g in profile.grades if score >= g.min)
    if provisional and not vetoed and profile.provisional_max_grade:
        grade = _at_most(profile, grade, profile.provisional_max_grade)
    if status is not None:
        grade = status
    three = None
    if profile.three_systems_rules:
        rules = set(profile.three_systems_rules)
        hit = decided & rules
        if not (unknown & rules) - hit:  # a rate over checks that could not run would be a guess
            three = round(1 - len(hit) / len(rules), 4)
    return trusted(  # every value computed here, of its field's type (tests compare with validation)
        Score,
        {
            "score": score,
            "grade": grade,
            "graded": status is None,
            "status": status or "scored",
            "status_reason": status_reason,
            "vetoed": vetoed,
            "categories": categories,
            "veto_codes": veto_codes,
            "pending_review": pending,
            "three_systems": three,
            "profile": profile.id,
            "provisional": provisional,
        },
    )


_CATEGORY_SCORES: dict[tuple[str, str, int, int], CategoryScore] = {}


def _category_score(cat: Category, deducted: int) -> CategoryScore:
    """The (shared, frozen) score of a category: building a model per category of every file
    cost more than the rest of scoring."""
    key = (cat.id, cat.name, cat.max, deducted)
    score = _CATEGORY_SCORES.get(key)
    if score is None:
        if len(_CATEGORY_SCORES) > 4096:
            _CATEGORY_SCORES.clear()
        score = _CATEGORY_SCORES[key] = trusted(
            CategoryScore,
            {
                "id": cat.id,
                "name": cat.name,
                "max": cat.max,
                "deducted": deducted,
                "score": cat.max - deducted,
            },
        )
    return score


def _at_most(profile: Profile, grade: str, cap: str) -> str:
    """The worse of `grade` and `cap` in the profile's grade order (best first)."""
    order = [g.name for g in profile.grades]
    if grade in order and cap in order:
        return order[max(order.index(grade), order.index(cap))]
    return grade
