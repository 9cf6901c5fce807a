"""Scoring semantics (研究笔记 A): vetoes → 0 and the failing grade, still listing every finding;
deductions per item capped, per category capped (扣完为止，不计负分); `review` and `warn`
findings never change the score."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..evaluate.findings import Finding, trusted
from ..memo import remember
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
_HELD = ("veto", "deduct")  # a 待人工评查 item holding such a check open makes the grade provisional


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
        description="veto or deduction checks (rules) that could not run (待人工评查: facts unknown, a "
        "certificate not verifiable, a benchmark or law not loaded …), each counted once however many items "
        "it gave; the grade holds only if a reviewer clears them. 0 on a vetoed file (the veto stands)",
    )


def score_case(
    findings: list[Finding], profile: Profile, status: str | None = None, status_reason: str | None = None
) -> Score:
    """Score and grade; `status` (未结案/无法评分) replaces the grade of a file that cannot be graded."""
    sheet = _sheet(profile)
    per_item: dict[tuple[str, str, int, int | None], int] = {}  # by (item key, category, points, cap)
    veto_set: set[str] = set()
    decided: set[str] = set()  # codes of findings the rules decided (not 待人工评查 items)
    unknown: set[str] = set()
    pending = 0
    held: set[str] = set()  # the checks held open: one per rule, however many items it gave
    for finding in findings:  # one pass: a batch scores every file
        severity, code = finding.severity, finding.code
        if severity == "deduct":
            item = sheet.items.get(code) or sheet.item(code)
            per_item[item] = per_item.get(item, 0) + item[2]
        elif severity == "veto":
            veto_set.add(code)
        elif severity == "review":
            pending += 1
        if finding.unknown:
            unknown.add(code)
        else:
            decided.add(code)
        # a veto or deduction check held open: by an unknown fact, or by a review rule standing for it
        if finding.rule_severity in _HELD:
            held.add(code)
    categories, score, grade = sheet.scored(per_item)
    veto_codes = sorted(veto_set)
    vetoed = bool(veto_codes)
    if vetoed:
        score, grade = 0.0, profile.failing_grade
    elif grade is None:  # a score below every grade's minimum fails here, as it always did
        grade = next(g.name for g in profile.grades if score >= g.min)
    provisional = 0 if vetoed else len(held)  # a veto stands whatever the open checks turn out to be
    if provisional and profile.provisional_max_grade:
        grade = _at_most(profile, grade, profile.provisional_max_grade)
    if status is not None:
        grade = status
    three = None
    rules = sheet.three_systems
    if rules:
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


class _Sheet:
    """What scoring reads of a profile, in the shapes it reads them, made once per profile (a
    batch scores every file on one sheet, which does not change while it is used)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.items: dict[str, tuple[str, str, int, int | None]] = {}  # code → its item, looked up once
        self.three_systems = frozenset(profile.three_systems_rules)
        self.ids = tuple(c.id for c in profile.categories)
        self.maxes = tuple(c.max for c in profile.categories)
        self.nothing = (0,) * len(self.ids)  # deducted in each category
        # (the categories' scores, score, grade) by the points deducted in each category (few
        # combinations recur)
        self.known: dict[tuple[int, ...], tuple[tuple[CategoryScore, ...], float, str | None]] = {}

    def item(self, code: str) -> tuple[str, str, int, int | None]:
        """(item key, category, points, cap) of a deduct finding of `code`."""
        item = self.profile.item_for(code)
        if item is None:
            entry = (f"default:{code}", self.profile.default_category, self.profile.default_deduct, None)
        else:
            entry = (item.id, item.category, item.deduct, item.cap)
        self.items[code] = entry
        return entry

    def scored(
        self, per_item: dict[tuple[str, str, int, int | None], int]
    ) -> tuple[list[CategoryScore], float, str | None]:
        """The categories' scores, the score and the grade (None: below every grade) of a file
        without a veto: deductions capped per item (its cap), then per category (扣完为止)."""
        if per_item:
            per_category = dict.fromkeys(self.ids, 0)
            for (_, category, _, cap), points in per_item.items():
                per_category[category] += min(points, cap) if cap is not None else points
            deducted = tuple(map(min, map(per_category.__getitem__, self.ids), self.maxes))
        else:
            deducted = self.nothing
        known = self.known.get(deducted)
        if known is None:
            total = self.profile.total
            score = round(float(max(0, total - sum(deducted))) * 100 / total, 1)
            grade = next((g.name for g in self.profile.grades if score >= g.min), None)
            cats = self.profile.categories
            known = (tuple(map(_category_score, cats, deducted)), score, grade)
            remember(self.known, deducted, known, 4096)
        return list(known[0]), known[1], known[2]


_SHEETS: dict[int, _Sheet] = {}  # by id of the profile, which its sheet holds (the id is not reused)


def _sheet(profile: Profile) -> _Sheet:
    sheet = _SHEETS.get(id(profile))
    if sheet is None:
        sheet = remember(_SHEETS, id(profile), _Sheet(profile), 16)
    return sheet


def _category_score(cat: Category, deducted: int) -> CategoryScore:
    """The (shared, frozen) score of a category: building a model per category of every file
    cost more than the rest of scoring."""
    return trusted(
        CategoryScore,
        {"id": cat.id, "name": cat.name, "max": cat.max, "deducted": deducted, "score": cat.max - deducted},
    )


def _at_most(profile: Profile, grade: str, cap: str) -> str:
    """The worse of `grade` and `cap` in the profile's grade order (best first)."""
    order = [g.name for g in profile.grades]
    if grade in order and cap in order:
        return order[max(order.index(grade), order.index(cap))]
    return grade
