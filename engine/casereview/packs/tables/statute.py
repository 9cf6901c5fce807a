"""Statutory penalty clauses as data (`table: {type: statute}`), and the expanders that turn
each clause × branch × target into rule variants over `penalty` facts.

A clause says, per branch (initial / overdue_uncorrected / refused_execution /
refused_correction / accident) and per target (unit / person), the *shape* of the fine:

- `max_only`        处X元以下 (no statutory minimum)
- `interval`        处X元以上Y元以下
- `percent_income`  上一年年收入的百分之a（以上百分之b以下）; a fixed percentage has pct_min == pct_max
- `gains_multiple`  违法所得 ≥ threshold: times_min–times_max 倍; otherwise alt_min–alt_max
- `daily`           按日连续处罚 (art. 112): documented, not checkable from one decision

The engine never hard-codes an article: everything below reads the table.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..conditions import All, AnyOf, Cmp, Cond, In, Not, Present, Ref
from ..expanders import Tables, Variant, expander, table_loader

Shape = Literal["max_only", "interval", "percent_income", "gains_multiple", "daily"]
Level = Literal["official", "copy", "secondary", "example", "unverified"]
# a range only vetoes when its text was read verbatim (official site or a verbatim copy);
# secondary / unverified ranges are checked as 待人工评查 by the instruments pack
VETO_LEVELS = ("official", "copy")
InstrumentKind = Literal["law", "regulation", "rule", "local_rule"]
KIND_LABELS = {"law": "法律", "regulation": "行政法规", "rule": "部门规章", "local_rule": "地方政府规章"}
BranchCode = Literal["initial", "overdue_uncorrected", "refused_execution", "refused_correction", "accident"]
ESCALATION_BRANCHES = ("overdue_uncorrected", "refused_execution", "refused_correction")

BRANCH_LABELS = {
    "initial": "首次查处",
    "overdue_uncorrected": "逾期未改正",
    "refused_execution": "拒不执行",
    "refused_correction": "拒不改正",
    "accident": "发生生产安全事故",
}
TARGET_LABELS = {"unit": "生产经营单位", "person": "个人"}
GRADE_LABELS = {
    "ordinary": "一般事故",
    "larger": "较大事故",
    "major": "重大事故",
    "extraordinary": "特别重大事故",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def yuan_text(value: float | int) -> str:
    """15000 → 1.5万元; 800 → 800元."""
    if value >= 10000:
        wan = value / 10000
        return f"{wan:g}万元"
    return f"{value:g}元"


class Fine(_Model):
    target: Literal["unit", "person"]
    shape: Shape
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)
    pct_min: float | None = Field(None, ge=0, le=1)
    pct_max: float | None = Field(None, ge=0, le=1)
    threshold: int | None = None
    times_min: float | None = None
    times_max: float | None = None
    alt_min: int | None = None
    alt_max: int | None = None
    accident_grade: Literal["ordinary", "larger", "major", "extraordinary"] | None = None
    roles: list[str] = Field(default_factory=list, description="被处罚个人的身份（条文点名时）")
    text: str = Field(description="条文中的罚款表述")
    note: str | None = None

    @model_validator(mode="after")
    def _shape_fields(self) -> Fine:
        need = {
            "max_only": ("max",),
            "interval": ("min", "max"),
            "percent_income": ("pct_min", "pct_max"),
            "gains_multiple": ("threshold", "times_min", "times_max", "alt_min", "alt_max"),
            "daily": (),
        }[self.shape]
        missing = [n for n in need if getattr(self, n) is None]
        if missing:
            raise ValueError(f"罚款形态 {self.shape} 缺少 {', '.join(missing)}")
        if self.shape == "interval" and self.min > self.max:  # type: ignore[operator]
            raise ValueError(f"罚款幅度下限 {self.min} 高于上限 {self.max}")
        return self

    def describe(self) -> str:
        if self.shape == "max_only":
            return f"{yuan_text(self.max)}以下"  # type: ignore[arg-type]
        if self.shape == "interval":
            return f"{yuan_text(self.min)}以上{yuan_text(self.max)}以下"  # type: ignore[arg-type]
        if self.shape == "percent_income":
            if self.pct_min == self.pct_max:
                return f"上一年年收入的{self.pct_min:.0%}"
            return f"上一年年收入的{self.pct_min:.0%}至{self.pct_max:.0%}"
        if self.shape == "gains_multiple":
            return (
                f"违法所得{yuan_text(self.threshold)}以上的，违法所得{self.times_min:g}倍以上{self.times_max:g}倍以下；"  # type: ignore[arg-type]
                f"没有或不足{yuan_text(self.threshold)}的，{yuan_text(self.alt_min)}以上{yuan_text(self.alt_max)}以下"  # type: ignore[arg-type]
            )
        return "按原处罚数额按日连续处罚"

    @property
    def checkable(self) -> bool:
        return self.shape != "daily"

    def bounds(self) -> tuple[float, float] | None:
        """Fixed yuan bounds (max_only / interval), for lint."""
        if self.shape == "max_only":
            return 0, self.max  # type: ignore[return-value]
        if self.shape == "interval":
            return self.min, self.max  # type: ignore[return-value]
        return None

    def over(self) -> Cond:
        """amount above the statutory maximum."""
        if self.shape in ("max_only", "interval"):
            return Cmp("amount", "gt", value=self.max)
        if self.shape == "percent_income":
            return Cmp("amount", "gt", ref=Ref("person_income", self.pct_max))  # type: ignore[arg-type]
        assert self.shape == "gains_multiple"
        return AnyOf(
            (
                All(
                    (
                        Cmp("illegal_gains", "gte", value=self.threshold),
                        Cmp("amount", "gt", ref=Ref("illegal_gains", self.times_max)),  # type: ignore[arg-type]
                    )
                ),
                All((self._below_threshold(), Cmp("amount", "gt", value=self.alt_max))),
            )
        )

    def under(self) -> Cond | None:
        """amount below the statutory minimum (None when there is none)."""
        if self.shape == "max_only":
            return None
        if self.shape == "interval":
            return Cmp("amount", "lt", value=self.min) if self.min else None
        if self.shape == "percent_income":
            return Cmp("amount", "lt", ref=Ref("person_income", self.pct_min))  # type: ignore[arg-type]
        return AnyOf(
            (
                All(
                    (
                        Cmp("illegal_gains", "gte", value=self.threshold),
                        Cmp("amount", "lt", ref=Ref("illegal_gains", self.times_min)),  # type: ignore[arg-type]
                    )
                ),
                All((self._below_threshold(), Cmp("amount", "lt", value=self.alt_min))),
            )
        )

    def parts(self) -> list[tuple[str, Cond | None, Cond, Cond | None]]:
        """(tag, guard, over, under) per sub-range; gains_multiple splits on the threshold so that
        durable_rules never sees a deep $or/$and (its expansion hits MAX_SEQUENCE_EXPRESSIONS)."""
        if self.shape != "gains_multiple":
            return [("", None, self.over(), self.under())]
        return [
            (
                "gains",
                Cmp("illegal_gains", "gte", value=self.threshold),
                Cmp("amount", "gt", ref=Ref("illegal_gains", self.times_max)),  # type: ignore[arg-type]
                Cmp("amount", "lt", ref=Ref("illegal_gains", self.times_min)),  # type: ignore[arg-type]
            ),
            (
                "nogains",
                self._below_threshold(),
                Cmp("amount", "gt", value=self.alt_max),
                Cmp("amount", "lt", value=self.alt_min),
            ),
        ]

    def _below_threshold(self) -> Cond:
        return AnyOf((Present("illegal_gains", False), Cmp("illegal_gains", "lt", value=self.threshold)))


class BranchRule(_Model):
    branch: list[BranchCode] = Field(min_length=1)
    text: str | None = None
    fines: list[Fine] = Field(default_factory=list)
    other_penalties: list[str] = Field(default_factory=list)


class ClauseRef(_Model):
    """Another instrument's clause this one corresponds to (successor article, upper law)."""

    law: str
    version: str
    article: int = Field(ge=1)
    paragraph: int | None = Field(None, ge=1)
    items: list[int] = Field(default_factory=list)
    own_items: list[int] = Field(default_factory=list, description="本条中与之对应的项（空：整条）")
    verification: Level
    source: str | None = None
    note: str | None = None

    def cite(self) -> str:
        text = f"《{self.law}》（{self.version}）第{self.article}条"
        if self.paragraph:
            text += f"第{self.paragraph}款"
        if self.items:
            text += "第" + "、".join(str(i) for i in self.items) + "项"
        return text


class Clause(_Model):
    article: int = Field(ge=1)
    paragraph: int | None = Field(None, ge=1)
    paragraph_default: bool = Field(False, description="案卷未写款时也适用本款")
    items: list[int] = Field(default_factory=list)
    title: str
    quote: str
    branches: list[BranchRule] = Field(default_factory=list)
    cross_reference: bool = Field(False, description="依照其他法律、行政法规处罚，本表不判断")
    note: str | None = None
    line: int = 0
    # additive (instrument coverage, law versions, 规章 vs upper law)
    verification: Level | None = Field(None, description="本条文本的核实等级（缺省取表的等级）")
    source: str | None = Field(None, description="本条文本的来源（与表的来源不同时）")
    amounts_unknown: bool = Field(False, description="罚款幅度未取得可靠文本：金额不核对，列为待人工评查")
    successor: ClauseRef | None = Field(None, description="新版本中对应的条款（从旧兼从轻比较用）")
    upper: ClauseRef | None = Field(None, description="规章条款所依据的上位法条款")
    rule_created: bool = Field(False, description="规章自行设定的处罚（行政处罚法第十三条第二款）")
    overlaps: list[ClauseRef] = Field(
        default_factory=list, description="与其他法律规范重合的条款（行政处罚法第二十九条）"
    )

    def cite(self, law: str) -> str:
        text = f"《{law}》第{self.article}条"
        if self.paragraph:
            text += f"第{self.paragraph}款"
        return text


class Verification(_Model):
    level: Literal["official", "secondary", "example", "unverified"]
    source: str


class StatuteTable(_Model):
    table: dict[str, Any]
    law: str
    aliases: list[str] = Field(default_factory=list)
    version: str
    title: str
    in_force: dt.date
    verification: Level
    source: str
    note: str | None = None
    clauses: list[Clause]
    path: str = ""
    # additive (instrument coverage, law versions)
    kind: InstrumentKind = Field(
        "law", description="效力位阶：law 法律 / regulation 行政法规 / rule 部门规章"
    )
    in_force_until: dt.date | None = Field(None, description="本版本施行的最后一日（含）")
    version_aliases: list[str] = Field(
        default_factory=list, description="案卷中该版本的其他写法，如 2014修正"
    )
    complete: bool = Field(True, description="是否收录了本版本全部罚则条款；否则未收录的条款列为幅度未核查")

    def clause_level(self, clause: Clause) -> str:
        return clause.verification or self.verification

    def vetoes(self, clause: Clause) -> bool:
        """Amount checks on this clause may veto (verbatim text, amounts known)."""
        return self.clause_level(clause) in VETO_LEVELS and not clause.amounts_unknown

    def versions(self) -> tuple[str, ...]:
        return (self.version, *self.version_aliases)

    def period_text(self) -> str:
        until = f"至{self.in_force_until.isoformat()}" if self.in_force_until else "起"
        return f"{self.in_force.isoformat()}{until}"

    @property
    def id(self) -> str:
        return str(self.table.get("id", f"{self.law}-{self.version}"))

    def clause(self, article: int, paragraph: int | None = None) -> Clause | None:
        for clause in self.clauses:
            if clause.article == article and (paragraph is None or clause.paragraph in (None, paragraph)):
                return clause
        return None

    def articles(self) -> set[int]:
        return {c.article for c in self.clauses}


def _lines_of_clauses(text: str) -> list[int]:
    import yaml

    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    out: list[int] = []
    if root is None:
        return out
    for key, value in root.value:
        if key.value == "clauses" and hasattr(value, "value"):
            out = [item.start_mark.line + 1 for item in value.value]
    return out


@table_loader("statute")
def load_statute(path: Path, data: Any) -> StatuteTable:
    from pydantic import ValidationError

    try:
        table = StatuteTable.model_validate({**data, "path": str(path)})
    except ValidationError as exc:
        raise ValueError(f"法条表格式错误：{exc}") from None
    lines = _lines_of_clauses(path.read_text(encoding="utf-8"))
    for clause, line in zip(table.clauses, lines, strict=False):
        clause.line = line
    return table


# ---------------------------------------------------------------- conditions over penalty facts


def law_match(table: StatuteTable) -> Cond:
    """The penalty cites this law in this version (or no version and a violation after entry into force).

    `basis_version_stated` (not `basis_version missing`) keeps `$nex` nodes out of the shared
    prefix of hundreds of variants: durable_rules caps the `$nex` children of one alpha node
    (ERR_RULE_EXISTS_LIMIT_EXCEEDED, error 107)."""
    names = (table.law, *table.aliases)
    # the version in force when the violation ended (行政处罚法 art. 36 ¶2: 连续或者继续状态从终了之日起)
    dated: list[Cond] = [
        Cmp("basis_version_stated", "eq", value=False),
        Cmp("ended_on", "gte", value=table.in_force.toordinal()),
    ]
    if table.in_force_until is not None:
        dated.append(Cmp("ended_on", "lte", value=table.in_force_until.toordinal()))
    version: Cond = (
        Cmp("basis_version", "eq", value=table.version)
        if not table.version_aliases
        else In("basis_version", table.versions())
    )
    return All((In("basis_law", tuple(names)), AnyOf((version, All(tuple(dated))))))


def clause_match(table: StatuteTable, clause: Clause) -> Cond:
    # the article first: it splits the alpha network before any other test
    parts: list[Cond] = [Cmp("basis_article", "eq", value=clause.article)]
    if clause.paragraph is not None:
        para = Cmp("basis_paragraph", "eq", value=clause.paragraph)
        if clause.paragraph_default:
            para = AnyOf((para, Cmp("basis_paragraph_stated", "eq", value=False)))
        parts.append(para)
    parts.append(law_match(table))
    return All(tuple(parts))


def fine_match(branch: BranchRule, fine: Fine) -> Cond:
    parts: list[Cond] = [In("branch", tuple(branch.branch)), Cmp("target", "eq", value=fine.target)]
    if fine.accident_grade:
        parts.append(Cmp("accident_grade", "eq", value=fine.accident_grade))
    return All(tuple(parts))


def _context(
    table: StatuteTable, clause: Clause, branch: BranchRule | None, fine: Fine | None
) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "clause": clause.cite(table.law),
        "clause_title": clause.title,
        "quote": clause.quote,
    }
    if branch is not None:
        ctx["branch_label"] = "、".join(BRANCH_LABELS[b] for b in branch.branch)
    if fine is not None:
        ctx["range_text"] = fine.describe()
        ctx["target_label"] = TARGET_LABELS[fine.target]
        ctx["fine_text"] = fine.text
        if fine.accident_grade:
            ctx["grade_label"] = GRADE_LABELS[fine.accident_grade]
        notes = [
            f"法定幅度：{clause.cite(table.law)}，{ctx['branch_label']}，对{ctx['target_label']}{fine.describe()}"
        ]
        if fine.note:
            notes.append(fine.note)
        if clause.note:
            notes.append(clause.note)
        ctx["_notes"] = notes
    return ctx


def _suffix(table: StatuteTable, clause: Clause, *parts: str) -> str:
    head = f"{table.id}-{clause.article}" + (f"-{clause.paragraph}" if clause.paragraph else "")
    return "-".join((head, *[p for p in parts if p]))


def _veto_clauses(tables: Tables):
    """Clauses whose amounts may veto; the others are checked as 待人工评查 (packs/tables/instruments.py)."""
    for table in tables.of("statute"):
        for clause in table.clauses:
            if table.vetoes(clause):
                yield table, clause


def _fines(tables: Tables, *, veto: bool = True):
    for table in tables.of("statute"):
        for clause in table.clauses:
            if clause.cross_reference or table.vetoes(clause) != veto:
                continue
            for branch in clause.branches:
                for index, fine in enumerate(branch.fines):
                    yield table, clause, branch, index, fine


def _fine_suffix(table, clause, branch, index, fine) -> str:
    return _suffix(table, clause, "+".join(branch.branch), fine.target, fine.accident_grade or "", str(index))


@expander("statute_out_of_range")
def out_of_range(tables: Tables) -> list[Variant]:
    """Above the maximum, or below the minimum without 从轻/减轻 (those have their own rules)."""
    variants = []
    for table, clause, branch, index, fine in _fines(tables):
        if not fine.checkable:
            continue
        for tag, guard, over, under in fine.parts():
            base = (clause_match(table, clause), fine_match(branch, fine), *((guard,) if guard else ()))
            suffix = _fine_suffix(table, clause, branch, index, fine) + (f"-{tag}" if tag else "")
            ctx = _context(table, clause, branch, fine)
            variants.append(Variant(suffix + "-over", All((*base, over)), ctx))
            if under is not None:
                cond = All((*base, under, In("adjustment", ("none", "heavier", "exempt"))))
                variants.append(Variant(suffix + "-under", cond, ctx))
    return variants


def _below_min(tables: Tables, adjustment: str) -> list[Variant]:
    variants = []
    for table, clause, branch, index, fine in _fines(tables):
        if not fine.checkable:
            continue
        for tag, guard, _over, under in fine.parts():
            if under is None:
                continue
            base = (clause_match(table, clause), fine_match(branch, fine), *((guard,) if guard else ()))
            cond = All((*base, Cmp("adjustment", "eq", value=adjustment), under))
            suffix = _fine_suffix(table, clause, branch, index, fine) + (f"-{tag}" if tag else "")
            variants.append(Variant(suffix, cond, _context(table, clause, branch, fine)))
    return variants


@expander("statute_lighter_below_min")
def lighter_below_min(tables: Tables) -> list[Variant]:
    return _below_min(tables, "lighter")


@expander("statute_mitigated_below_min")
def mitigated_below_min(tables: Tables) -> list[Variant]:
    return _below_min(tables, "mitigated")


@expander("statute_income_missing")
def income_missing(tables: Tables) -> list[Variant]:
    variants = []
    for table, clause, branch, index, fine in _fines(tables):
        if fine.shape != "percent_income":
            continue
        cond = All((clause_match(table, clause), fine_match(branch, fine), Present("person_income", False)))
        variants.append(
            Variant(
                _fine_suffix(table, clause, branch, index, fine), cond, _context(table, clause, branch, fine)
            )
        )
    return variants


@expander("statute_no_fine_in_branch")
def no_fine_in_branch(tables: Tables) -> list[Variant]:
    """A fine on a target in a branch for which the clause provides no fine at all."""
    return [
        no_fine_variant(table, clause)
        for table, clause in _veto_clauses(tables)
        if not clause.cross_reference
    ]


def no_fine_variant(table: StatuteTable, clause: Clause) -> Variant:
    allowed: list[Cond] = []
    for branch in clause.branches:
        for fine in branch.fines:
            allowed.append(All((In("branch", tuple(branch.branch)), Cmp("target", "eq", value=fine.target))))
    permitted = _permitted_text(clause)
    cond = (
        All((clause_match(table, clause), Not(AnyOf(tuple(allowed)))))
        if allowed
        else All((clause_match(table, clause),))
    )
    ctx = _context(table, clause, None, None)
    ctx["permitted"] = permitted
    ctx["_notes"] = [f"{clause.cite(table.law)}可处罚款的情形：{permitted}"]
    return Variant(_suffix(table, clause), cond, ctx)


def _permitted_text(clause: Clause) -> str:
    parts = []
    for branch in clause.branches:
        for fine in branch.fines:
            label = "、".join(BRANCH_LABELS[b] for b in branch.branch)
            grade = f"（{GRADE_LABELS[fine.accident_grade]}）" if fine.accident_grade else ""
            parts.append(f"{label}{grade}对{TARGET_LABELS[fine.target]}{fine.describe()}")
    return "；".join(parts) or "本条（款）不设罚款"


@expander("statute_escalation_without_evidence")
def escalation_without_evidence(tables: Tables) -> list[Variant]:
    """A fine in an escalation branch without a prior order and a re-inspection showing non-correction."""
    variants = []
    for table, clause in _veto_clauses(tables):
        for branch in clause.branches:
            esc = tuple(b for b in branch.branch if b in ESCALATION_BRANCHES)
            if not esc or not branch.fines:
                continue
            for target in sorted({f.target for f in branch.fines}):
                fine = next(f for f in branch.fines if f.target == target)
                initial_fines = [f for b in clause.branches if "initial" in b.branch for f in b.fines]
                initial_fine = any(f.target == target for f in initial_fines)
                if any(
                    f.target == target and f.bounds() == fine.bounds() and f.shape == fine.shape
                    for f in initial_fines
                ):
                    continue  # the escalation adds no fine for this target: nothing to prove
                cond = All(
                    (
                        clause_match(table, clause),
                        In("branch", esc),
                        Cmp("target", "eq", value=target),
                        Cmp("escalation_evidence", "eq", value=False),
                    )
                )
                ctx = _context(table, clause, branch, fine)
                if target == "person" and not initial_fine:
                    ctx["_notes"].append(
                        f"{clause.cite(table.law)}仅在{ctx['branch_label']}情形下才可对直接负责的主管人员和其他直接责任人员罚款"
                    )
                variants.append(Variant(_suffix(table, clause, "+".join(esc), target), cond, ctx))
    return variants


@expander("statute_person_role")
def person_role(tables: Tables) -> list[Variant]:
    variants = []
    for table, clause, branch, index, fine in _fines(tables):
        if fine.target != "person" or not fine.roles:
            continue
        cond = All(
            (
                clause_match(table, clause),
                fine_match(branch, fine),
                Present("person_role"),
                Not(In("person_role", tuple(fine.roles))),
            )
        )
        ctx = _context(table, clause, branch, fine)
        ctx["roles_text"] = "、".join(fine.roles)
        variants.append(Variant(_fine_suffix(table, clause, branch, index, fine), cond, ctx))
    return variants


@expander("statute_unknown_article")
def unknown_article(tables: Tables) -> list[Variant]:
    """A fine citing an article of this law outside its penalty chapter table."""
    variants = []
    for table in tables.of("statute"):
        if not table.complete:
            continue  # a partial table: other articles give 幅度未核查 (instruments pack)
        known = tuple(sorted(table.articles()))
        cond = All((law_match(table), Present("basis_article"), Not(In("basis_article", known))))
        ctx = {"law_title": table.title, "articles": f"{known[0]}–{known[-1]}"}
        variants.append(Variant(table.id, cond, ctx))
    return variants
