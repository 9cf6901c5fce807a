"""Statutory penalty clauses as data (`table: {type: statute}`), and the expanders that turn
each clause × branch × target into rule variants over `penalty` facts.

A clause says, per branch (initial / overdue_uncorrected / refused_execution /
refused_correction / accident) and per target (unit / person), the *shape* of the fine:

- `max_only`        处X元以下 (no statutory minimum)
- `interval`        处X元以上Y元以下
- `percent_income`  上一年年收入的百分之a（以上百分之b以下）; a fixed percentage has pct_min == pct_max
- `gains_multiple`  违法所得 ≥ threshold: times_min–times_max 倍; otherwise alt_min–alt_max
- `daily`           按日连续处罚 (art. 112): documented, not checkable from one decision

Besides fines, a branch may list `penalty_types`: the other kinds of penalty (警告, 没收, 责令停产停业
(整顿), 暂扣/吊销许可证件, 关闭, …) that clause and branch provide. A clause whose branches state
them is checked for every non-fine penalty; a clause that states none is reported as not checked.

Self-check (at load and in `rules lint`): every fine's `text` is parsed with the Chinese amount
parser and must give the fine's numbers, and must be part of the clause's `quote`, unless the
fine carries `text_waiver` (a reason). A clause may be one sentence of a paragraph (`sentence`).

The engine never hard-codes an article: everything below reads the table.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...model.factories import new_list
from ..conditions import All, AnyOf, Cmp, Cond, Const, In, Not, Present, Ref
from ..expanders import Tables, Variant, expander, table_loader
from ..schema import BRANCH_LABELS

Shape = Literal["max_only", "interval", "percent_income", "gains_multiple", "daily"]
Level = Literal["official", "copy", "secondary", "example", "unverified"]
# a range only vetoes when its text was read verbatim (official site or a verbatim copy);
# secondary / unverified ranges are checked as 待人工评查 by the instruments pack
VETO_LEVELS = ("official", "copy")
InstrumentKind = Literal["law", "regulation", "rule", "local_rule"]
KIND_LABELS = {"law": "法律", "regulation": "行政法规", "rule": "部门规章", "local_rule": "地方政府规章"}
BranchCode = Literal["initial", "overdue_uncorrected", "refused_execution", "refused_correction", "accident"]
# the penalty kinds of 行政处罚法 art. 9 other than fines, as coded in the case format (PenaltyType)
NonFineType = Literal[
    "warning",
    "confiscation",
    "suspension",
    "closure",
    "licence_suspension",
    "licence_revocation",
    "qualification_downgrade",
    "employment_restriction",
    "detention",
]
ESCALATION_BRANCHES = ("overdue_uncorrected", "refused_execution", "refused_correction")

TARGET_LABELS = {"unit": "生产经营单位", "person": "个人"}
GRADE_LABELS = {
    "ordinary": "一般事故",
    "larger": "较大事故",
    "major": "重大事故",
    "extraordinary": "特别重大事故",
}


class _Model(BaseModel):
    # built on first validation, never in a check served from the rule-book cache
    model_config = ConfigDict(extra="forbid", defer_build=True)


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
    roles: list[str] = Field(default_factory=new_list, description="被处罚个人的身份（条文点名时）")
    text: str = Field(description="条文中的罚款表述")
    text_waiver: str | None = Field(
        None, description="罚款表述与数字不能逐字核对的理由（如解释性幅度）；不填则必须一致"
    )
    optional: bool = Field(False, description="条文写「可以」处罚款：决定未处不属漏罚")
    prior_fine: Literal["forbidden", "required"] | None = Field(
        None,
        description="forbidden：此前已就该违法行为罚款的，不得再罚（条文在该情形不设第二次罚款）；"
        "required：以此前受到罚款处罚为前提（按日连续处罚）",
    )
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
    fines: list[Fine] = Field(default_factory=new_list)
    other_penalties: list[str] = Field(default_factory=new_list)
    penalty_types: list[NonFineType] | None = Field(
        None, description="本情形可处的罚款以外的处罚种类（[] 为不设）；不填：未载明，不核查"
    )


class ClauseRef(_Model):
    """Another instrument's clause this one corresponds to (successor article, upper law)."""

    law: str
    version: str
    article: int = Field(ge=1)
    paragraph: int | None = Field(None, ge=1)
    items: list[int] = Field(default_factory=new_list)
    own_items: list[int] = Field(default_factory=new_list, description="本条中与之对应的项（空：整条）")
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
    sentence: int | None = Field(None, ge=1, description="本款的第几句（一款有两句不同罚则时）")
    items: list[int] = Field(default_factory=new_list)
    title: str
    quote: str
    branches: list[BranchRule] = Field(default_factory=new_list)
    cross_reference: bool = Field(False, description="依照其他法律、行政法规处罚，本表不判断")
    authority: str | None = Field(
        None,
        description="由应急管理部门以外的部门实施处罚时写该部门（如 公安机关）：本表只录条文、不写罚款，"
        "依据该条款的处罚不作否决，列为待人工评查（AMT-015）",
    )
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
        default_factory=new_list, description="与其他法律规范重合的条款（行政处罚法第二十九条）"
    )

    @model_validator(mode="after")
    def _authority_without_fines(self) -> Clause:
        if self.authority and any(b.fines for b in self.branches):
            raise ValueError(f"第{self.article}条由{self.authority}处罚（authority），本表不写其罚款")
        return self

    def cite(self, law: str) -> str:
        text = f"《{law}》第{self.article}条"
        if self.paragraph:
            text += f"第{self.paragraph}款"
        if self.sentence:
            text += f"第{self.sentence}句"
        return text

    @property
    def types_stated(self) -> bool:
        return any(b.penalty_types is not None for b in self.branches)


class Verification(_Model):
    level: Literal["official", "secondary", "example", "unverified"]
    source: str


class StatuteTable(_Model):
    table: dict[str, Any]
    law: str
    aliases: list[str] = Field(default_factory=new_list)
    version: str
    title: str
    in_force: dt.date
    verification: Level
    source: str
    note: str | None = None
    text_file: str | None = Field(None, description="法规原文文件名（statutes/ 下），用于核对 official 引文")
    clauses: list[Clause]
    path: str = ""
    # additive (instrument coverage, law versions)
    kind: InstrumentKind = Field(
        "law", description="效力位阶：law 法律 / regulation 行政法规 / rule 部门规章"
    )
    in_force_until: dt.date | None = Field(None, description="本版本施行的最后一日（含）")
    version_aliases: list[str] = Field(
        default_factory=new_list, description="案卷中该版本的其他写法，如 2014修正"
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
    errors = [p for p in fine_text_problems(table) if not p.waived]
    if errors:
        first = errors[0]
        exc = ValueError(
            "法条表的罚款表述与数字不一致（确属解释性幅度的，在该罚款写 text_waiver 说明理由）："
            + "；".join(f"第{p.line}行 {p.message}" for p in errors)
        )
        exc.line = first.line  # type: ignore[attr-defined]
        raise exc
    return table


# ---------------------------------------------------------------- self-check: text ↔ numbers


class TextProblem(_Model):
    line: int
    message: str
    waived: str | None = None


_CN_PCT = re.compile(r"百分之([零〇一二两三四五六七八九十百]+)")
_CN_TIMES = re.compile(r"([零〇一二两三四五六七八九十]+|\d+(?:\.\d+)?)倍")


def _flat(text: str) -> str:
    """Compare texts without punctuation and spacing differences (：/:, （/(, 全角/半角)."""
    return re.sub(r"[\s，。；：:、,.;（）()“”\"'《》…]", "", text)


def _num(value: float | None) -> str:
    if value is None:
        return "（未填）"
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"


def parsed_numbers(fine: Fine) -> dict[str, float] | str:
    """The numbers the fine's own text states, by field name (or why they cannot be read)."""
    from ...maintain.amounts import _money_tokens, cn_to_int, normalise, parse_amount

    text = fine.text
    if fine.shape in ("max_only", "interval"):
        amount, reason = parse_amount(text)
        if amount is None:
            return reason or "无法解析"
        if amount["kind"] == "max_only":
            return {"max": amount["max"]}
        if amount["kind"] == "interval":
            return {"min": amount["min"], "max": amount["max"]}
        return f"表述为{amount['kind']}，不是上限或区间"
    if fine.shape == "percent_income":
        pcts = [cn_to_int(m) / 100 for m in _CN_PCT.findall(text)]
        if not pcts:
            return "找不到「百分之…」"
        return {"pct_min": pcts[0], "pct_max": pcts[-1]}
    if fine.shape == "gains_multiple":
        money = [v for _s, _e, v, unit in _money_tokens(normalise(text)) if unit]
        times = [float(cn_to_int(t)) if not t[0].isdigit() else float(t) for t in _CN_TIMES.findall(text)]
        if len(money) < 3 or len(times) < 2:
            return "找不到门槛、倍数与替代幅度"
        return {
            "threshold": money[0],
            "times_min": times[0],
            "times_max": times[-1],
            "alt_min": money[-2],
            "alt_max": money[-1],
        }
    return {}


def fine_text_problems(table: StatuteTable) -> list[TextProblem]:
    """Every fine's text must state its numbers and be part of its clause's quote."""
    out: list[TextProblem] = []
    for clause in table.clauses:
        quote = _flat(clause.quote)
        for branch in clause.branches:
            for fine in branch.fines:
                branches = "、".join(BRANCH_LABELS[b] for b in branch.branch)
                where = f"{clause.cite(table.law)}（{branches}，{TARGET_LABELS[fine.target]}）"
                found = parsed_numbers(fine)
                wrong: list[str] = []
                if isinstance(found, str):
                    wrong.append(f"罚款表述「{fine.text}」无法解析（{found}）")
                else:
                    for name, value in found.items():
                        mine = getattr(fine, name)
                        if mine is None or abs(float(mine) - float(value)) > 1e-9:
                            wrong.append(f"{name} 为 {_num(mine)}，而表述「{fine.text}」为 {_num(value)}")
                if fine.shape != "daily" and _flat(fine.text) not in quote:
                    wrong.append(f"罚款表述「{fine.text}」不是本条引文（quote）的一部分")
                for message in wrong:
                    out.append(
                        TextProblem(line=clause.line, message=f"{where}：{message}", waived=fine.text_waiver)
                    )
    return out


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
    if clause.sentence is not None:
        parts.append(Cmp("basis_sentence", "eq", value=clause.sentence))
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
    head += f"-s{clause.sentence}" if clause.sentence else ""
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
            variants.append(Variant(suffix + "-over", All((*base, over)), {**ctx, "direction": "超出"}))
            if under is not None:
                cond = All((*base, under, In("adjustment", ("none", "heavier", "exempt"))))
                variants.append(Variant(suffix + "-under", cond, {**ctx, "direction": "低于"}))
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
        if not clause.cross_reference and not clause.authority
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


def _type_label(code: str) -> str:
    from ...model.enums import PenaltyType

    return PenaltyType(code).label


def _permitted_types_text(clause: Clause) -> str:
    parts = []
    for branch in clause.branches:
        label = "、".join(BRANCH_LABELS[b] for b in branch.branch)
        kinds = "、".join(_type_label(t) for t in branch.penalty_types or []) or "不设罚款以外的处罚"
        parts.append(f"{label}：{kinds}")
    return "；".join(parts)


@expander("statute_penalty_type_not_allowed")
def penalty_type_not_allowed(tables: Tables) -> list[Variant]:
    """A non-fine penalty (警告, 没收, 停产停业, 暂扣/吊销, 关闭 …) the clause's branch does not provide."""
    variants = []
    for table in tables.of("statute"):
        for clause in table.clauses:
            if clause.cross_reference or not clause.types_stated or not table.vetoes(clause):
                continue  # unverified text: AMT-015 lists it for review instead
            allowed = tuple(
                All((In("branch", tuple(b.branch)), In("penalty_type", tuple(b.penalty_types))))
                for b in clause.branches
                if b.penalty_types
            )
            cond = (
                All((clause_match(table, clause), Not(AnyOf(allowed))))
                if allowed
                else clause_match(table, clause)
            )
            ctx = _context(table, clause, None, None)
            ctx["permitted_types"] = _permitted_types_text(clause)
            ctx["_notes"] = [f"{clause.cite(table.law)}规定的处罚种类：{ctx['permitted_types']}"]
            if clause.note:
                ctx["_notes"].append(clause.note)
            variants.append(Variant(_suffix(table, clause), cond, ctx))
    return variants


@expander("statute_penalty_type_unchecked")
def penalty_type_unchecked(tables: Tables) -> list[Variant]:
    """What the table cannot judge is said, not passed: any penalty under a clause another department
    applies (authority) or under a cross-reference clause (依照其他法律、行政法规处罚), a non-fine
    penalty under a clause whose table states no kinds."""
    variants = []
    for table in tables.of("statute"):
        for clause in table.clauses:
            if clause.authority:
                cond = clause_match(table, clause)
                reason = (
                    f"该条款由{clause.authority}实施处罚，不属应急管理部门的职权，本表不判断其处罚种类和幅度"
                    "（请核对处罚主体）"
                )
            elif clause.cross_reference:
                cond = clause_match(table, clause)
                reason = "该条款依照其他法律、行政法规处罚，本表不判断其处罚种类和幅度"
            elif not clause.types_stated:
                cond = All((clause_match(table, clause), Not(Cmp("penalty_type", "eq", value="fine"))))
                reason = "法条表未载明该条款可处的罚款以外的处罚种类"
            elif not table.vetoes(clause):
                allowed = tuple(
                    All((In("branch", tuple(b.branch)), In("penalty_type", tuple(b.penalty_types))))
                    for b in clause.branches
                    if b.penalty_types
                )
                cond = All(
                    (
                        clause_match(table, clause),
                        Not(Cmp("penalty_type", "eq", value="fine")),
                        *((Not(AnyOf(allowed)),) if allowed else ()),
                    )
                )
                level = table.clause_level(clause)
                kinds = _permitted_types_text(clause)
                reason = f"该条款在表中的文本未核实（{level}），处罚种类（{kinds}）不作否决"
            else:
                continue
            ctx = _context(table, clause, None, None)
            ctx["reason"] = reason
            variants.append(Variant(_suffix(table, clause), cond, ctx))
    if not variants:
        return [Variant("none", Const(False), {})]
    return variants


@expander("statute_person_fine_omitted")
def person_fine_omitted(tables: Tables) -> list[Variant]:
    """The clause also fines the responsible persons (对其直接负责的主管人员…处…); nobody was fined."""
    variants = []
    for table in tables.of("statute"):
        for clause in table.clauses:
            if clause.cross_reference or not table.vetoes(clause):
                continue  # a deduction only on verbatim text
            for branch in clause.branches:
                fine = next(
                    (f for f in branch.fines if f.target == "person" and not f.optional and not f.prior_fine),
                    None,
                )
                if fine is None:
                    continue
                if any(f.target == "unit" for f in branch.fines) or branch.penalty_types:
                    cond = All(
                        (
                            clause_match(table, clause),
                            In("branch", tuple(branch.branch)),
                            Cmp("penalized", "eq", value=True),
                            Cmp("fined_person", "eq", value=False),
                        )
                    )
                    ctx = _context(table, clause, branch, fine)
                    variants.append(Variant(_suffix(table, clause, "+".join(branch.branch)), cond, ctx))
    return variants


@expander("statute_sentence_unstated")
def sentence_unstated(tables: Tables) -> list[Variant]:
    """A paragraph with two sentences of different penalties, cited without the sentence."""
    variants = []
    for table in tables.of("statute"):
        seen: dict[tuple[int, int | None], list[Clause]] = {}
        for clause in table.clauses:
            if clause.sentence is not None:
                seen.setdefault((clause.article, clause.paragraph), []).append(clause)
        for (article, paragraph), clauses in seen.items():
            parts: list[Cond] = [Cmp("basis_article", "eq", value=article)]
            if paragraph is not None:
                para = Cmp("basis_paragraph", "eq", value=paragraph)
                if any(c.paragraph_default for c in clauses):
                    para = AnyOf((para, Cmp("basis_paragraph_stated", "eq", value=False)))
                parts.append(para)
            parts += [law_match(table), Cmp("basis_sentence_stated", "eq", value=False)]
            first = clauses[0]
            ctx = _context(table, first, None, None)
            ctx["clause"] = first.cite(table.law).removesuffix(f"第{first.sentence}句")
            ctx["sentences"] = "；".join(f"第{c.sentence}句：{c.title}" for c in clauses)
            ctx["_notes"] = [f"第{c.sentence}句：{c.quote}" for c in clauses]
            suffix = f"{table.id}-{article}" + (f"-{paragraph}" if paragraph else "")
            variants.append(Variant(suffix, All(tuple(parts)), ctx))
    if not variants:
        return [Variant("none", Const(False), {})]
    return variants


@expander("statute_paragraph_unstated")
def paragraph_unstated(tables: Tables) -> list[Variant]:
    """An article whose paragraphs carry different penalties and none is the default, cited
    without the paragraph: no clause matches, so without this nothing would be checked."""
    variants = []
    for table in tables.of("statute"):
        by_article: dict[int, list[Clause]] = {}
        for clause in table.clauses:
            if clause.paragraph is not None and clause.sentence is None:
                by_article.setdefault(clause.article, []).append(clause)
        for article, clauses in by_article.items():
            if len(clauses) < 2 or any(c.paragraph_default for c in clauses):
                continue
            cond = All(
                (
                    Cmp("basis_article", "eq", value=article),
                    law_match(table),
                    Cmp("basis_paragraph_stated", "eq", value=False),
                )
            )
            ctx = _context(table, clauses[0], None, None)
            ctx["clause"] = f"《{table.law}》第{article}条"
            ctx["paragraphs"] = "；".join(f"第{c.paragraph}款：{c.title}" for c in clauses)
            ctx["_notes"] = [f"第{c.paragraph}款：{c.quote}" for c in clauses]
            variants.append(Variant(f"{table.id}-{article}", cond, ctx))
    if not variants:
        return [Variant("none", Const(False), {})]
    return variants


def _prior_fine_variants(tables: Tables, unknown: bool) -> list[Variant]:
    variants = []
    for table, clause, branch, index, fine in _fines(tables):
        if fine.prior_fine is None:
            continue
        if unknown:
            test: Cond = Present("previously_fined", False)
        else:
            test = Cmp("previously_fined", "eq", value=fine.prior_fine == "forbidden")
        cond = All((clause_match(table, clause), fine_match(branch, fine), test))
        ctx = _context(table, clause, branch, fine)
        forbidden = fine.prior_fine == "forbidden"
        ctx["prior_rule"] = (
            "条文在该情形下只增加其他处罚、不设第二次罚款，此前已罚款的不得再罚"
            if forbidden
            else "以被责令改正且受到罚款处罚为前提"
        )
        ctx["previously_fined_text"] = "已就该违法行为罚款" if forbidden else "未受到罚款处罚"
        variants.append(Variant(_fine_suffix(table, clause, branch, index, fine), cond, ctx))
    return variants or [Variant("none", Const(False), {})]


@expander("statute_prior_fine_conflict")
def prior_fine_conflict(tables: Tables) -> list[Variant]:
    """A second fine where the clause adds none, or a daily fine without an earlier fine."""
    return _prior_fine_variants(tables, unknown=False)


@expander("statute_prior_fine_unknown")
def prior_fine_unknown(tables: Tables) -> list[Variant]:
    """Whether the violation was fined before is not recorded, and the clause depends on it."""
    return _prior_fine_variants(tables, unknown=True)


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
