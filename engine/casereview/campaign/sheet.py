"""Scoring one reviewer's sheet: the machine findings as confirmed or overridden, the human items
scored, findings added from the sheet's list — under the profile's veto gate, per-item caps,
category maxima (扣完为止，不计负分) and grade lines.

Semantics (what a reviewer expects):
- a machine `veto`/`deduct` finding counts until a reviewer overrides it (with a reason);
- a `review` finding (待人工评查) counts only when a reviewer confirms it: as the veto item that
  links its rule (or its code) when it holds a veto open, else as a deduction of its sheet item
  (or the default deduction);
- `warn` findings never change the score;
- human items start at full marks; a reviewer's deduction is at most the item's cap;
- an added finding deducts its item's points (capped with the rest of the item), or vetoes;
- a file the machine could not grade (无法评查: unreadable; 未结案; 无法评分: its decision or its
  procedure record not known) gets that status instead of a grade: a sheet built on findings the
  machine could not make must not grade the file 优秀. The score is kept for reference only. A
  corrected export (a new version) is reviewed and graded again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..score.profile import Profile, VetoItem
from ..score.scoring import OPEN, UNGRADABLE

FINDING, ITEM, ADDED = "finding", "item", "added"
SCORED = "scored"
UNREVIEWABLE = "无法评查"  # the machine could not read the file (a rejected result)
UNGRADED = (UNREVIEWABLE, OPEN, UNGRADABLE)  # grades that say the file was not graded


def machine_status(result: dict[str, Any]) -> str:
    """Whether the machine result lets a sheet grade the file: `scored`, or the status that
    replaces the grade (无法评查, or the result's own 未结案 / 无法评分)."""
    if result.get("status") != "reviewed" or not result.get("score"):
        return UNREVIEWABLE
    return result["score"].get("status") or SCORED


def finding_keys(findings: list[dict[str, Any]]) -> list[str]:
    """A stable key per machine finding: code@field, numbered when a file has several alike."""
    seen: dict[str, int] = {}
    keys = []
    for f in findings:
        base = f"{f['code']}@{f['location']['field']}"
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys


@dataclass
class CurrentDecision:
    action: str  # confirm | override | score | veto | clear | add | withdraw
    points: int | None = None
    reason: str | None = None
    revision: int = 0
    author: str = ""
    at: str = ""


@dataclass
class SheetScore:
    score: float
    grade: str
    vetoed: bool
    vetoes: list[str]  # veto item ids (or rule codes without an item)
    categories: list[dict[str, Any]]
    undecided: list[str]  # finding keys still awaiting a reviewer's decision
    deductions: dict[str, int] = field(default_factory=dict)  # item id → points after the item cap
    status: str = SCORED  # or the machine status that replaces the grade (see `machine_status`)

    @property
    def complete(self) -> bool:
        return not self.undecided

    @property
    def graded(self) -> bool:
        return self.status == SCORED

    @property
    def shown(self) -> str:
        """The score as a reviewer sees it: a dash when the file is not graded."""
        return f"{self.score:g}" if self.graded else "—"

    @property
    def summary(self) -> str:
        if self.graded:
            return f"得分 {self.score:g}，等次 {self.grade}"
        return f"{self.grade}，不评定等次（参考得分 {self.score:g}）"


def score_sheet(
    profile: Profile,
    findings: list[dict[str, Any]],
    decisions: dict[tuple[str, str], CurrentDecision],
    status: str = SCORED,
) -> SheetScore:
    """`findings`: the machine result's findings (JSON); `decisions`: (kind, target) → current;
    `status`: `machine_status` of that result (anything but `scored` replaces the grade)."""
    raw: dict[str, int] = {}  # item id (or default:<code>) → points before the item cap
    vetoes: set[str] = set()
    undecided: list[str] = []

    def deduct_for(code: str) -> None:
        item = profile.item_for(code)
        key = item.id if item else f"default:{code}"
        raw[key] = raw.get(key, 0) + (item.deduct if item else profile.default_deduct)

    for key, f in zip(finding_keys(findings), findings, strict=True):
        severity, code = f["severity"], f["code"]
        decision = decisions.get((FINDING, key))
        action = decision.action if decision else None
        if severity in ("veto", "deduct", "review") and action is None:
            undecided.append(key)
        if action == "override" or severity == "warn":
            continue
        if severity == "veto":
            veto = profile.veto_for(code)
            vetoes.add(veto.id if veto else code)
        elif severity == "deduct":
            deduct_for(code)
        elif severity == "review" and action == "confirm":
            # a confirmed item holding a veto open (an unknown fact of a veto rule, or a review rule
            # standing for one) vetoes, whether or not the profile names the rule in a veto item
            veto = profile.veto_for(code)
            if veto is not None or f.get("rule_severity") == "veto":
                vetoes.add(veto.id if veto else code)
            else:
                deduct_for(code)

    for (kind, target), decision in decisions.items():
        item = profile.item(target)
        if item is None:
            continue
        if kind == ITEM:
            if isinstance(item, VetoItem):
                if decision.action == "veto":
                    vetoes.add(item.id)
            elif decision.action == "score" and decision.points:
                raw[item.id] = raw.get(item.id, 0) + decision.points
        elif kind == ADDED and decision.action == "add":
            if isinstance(item, VetoItem):
                vetoes.add(item.id)
            else:
                raw[item.id] = raw.get(item.id, 0) + item.deduct

    per_category = {c.id: 0 for c in profile.categories}
    capped: dict[str, int] = {}
    for key, points in raw.items():
        item = profile.item(key) if not key.startswith("default:") else None
        if item is not None and not isinstance(item, VetoItem):
            points = min(points, item.cap) if item.cap is not None else points
            per_category[item.category] += points
        else:
            per_category[profile.default_category] += points
        capped[key] = points
    categories = []
    for cat in profile.categories:
        deducted = min(per_category[cat.id], cat.max)
        categories.append(
            {
                "id": cat.id,
                "name": cat.name,
                "max": cat.max,
                "deducted": deducted,
                "score": cat.max - deducted,
            }
        )
    vetoed = bool(vetoes)
    total = 0.0 if vetoed else float(max(0, profile.total - sum(c["deducted"] for c in categories)))
    score = round(total * 100 / profile.total, 1)
    grade = profile.failing_grade if vetoed else next(g.name for g in profile.grades if score >= g.min)
    if status != SCORED:
        grade = status
    return SheetScore(score, grade, vetoed, sorted(vetoes), categories, undecided, capped, status)
