"""The rule-pack file format, validated by pydantic.

A pack is YAML under `rules/`: metadata, dated parameters with legal references, and rules.
Every number a rule relies on lives in a parameter or a table with its source; a rule's own
text only names fields and parameters.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..model.enums import Procedure
from ..model.factories import instance_of, new_dict, new_list

Verification = Literal["official", "secondary", "example", "unverified"]
Severity = Literal["veto", "deduct", "warn", "review"]

SEVERITY_LABELS: dict[str, str] = {"veto": "否决", "deduct": "扣分", "warn": "提示", "review": "待人工评查"}
SEVERITY_RANK: dict[str, int] = {"review": 0, "warn": 1, "deduct": 2, "veto": 3}
VERIFICATION_LABELS: dict[str, str] = {
    "official": "官方文本",
    "secondary": "二手来源，待核实",
    "example": "示例，非官方",
    "unverified": "未核实",
}
# the statute tables' branches (packs/tables/statute.py), here so that the review's analysis names a
# peer group's branch without importing the table modules (~10 ms of the review's serial start)
BRANCH_LABELS: dict[str, str] = {
    "initial": "首次查处",
    "overdue_uncorrected": "逾期未改正",
    "refused_execution": "拒不执行",
    "refused_correction": "拒不改正",
    "accident": "发生生产安全事故",
}


_CN_SMALL = dict(enumerate("一二三四五六七八九", start=1))


class PackModel(BaseModel):
    # validators are built on first validation: a check served from the rule-book cache never
    # validates a pack, it only unpickles them
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class Basis(PackModel):
    """A legal citation: instrument, article, paragraph, item, and how sure we are."""

    instrument: str
    version: str | None = None
    article: int | None = Field(None, ge=1)
    sub_article: int | None = Field(
        None, ge=1, description="条之N，如刑法第一百三十四条之一写 article: 134, sub_article: 1"
    )
    paragraph: int | None = Field(None, ge=1)
    item: int | None = Field(None, ge=1)
    verification: Verification
    quote: str | None = None
    source: str | None = None
    note: str | None = None

    def cite(self) -> str:
        text = f"《{self.instrument}》"
        if self.version:
            text += f"（{self.version}）"
        if self.article:
            text += f"第{self.article}条"
        if self.sub_article:
            text += f"之{_CN_SMALL.get(self.sub_article, str(self.sub_article))}"
        if self.paragraph:
            text += f"第{self.paragraph}款"
        if self.item:
            text += f"第{self.item}项"
        if self.verification != "official":
            text += f"〔{VERIFICATION_LABELS[self.verification]}〕"
        return text


class Effective(PackModel):
    since: dt.date | None = Field(None, alias="from")
    until: dt.date | None = Field(None, alias="to", description="last day in force (inclusive)")
    date_field: str | None = Field(None, description="fact field whose date selects the period")

    def covers(self, day: dt.date) -> bool:
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)


class ParamValue(PackModel):
    since: dt.date | None = Field(None, alias="from")
    value: int | float | bool | str | None
    regions: list[str] | None = Field(
        None,
        description="only for agencies in these regions: 2-digit province or 6-digit codes (default: all)",
    )
    basis: list[Basis] = Field(min_length=1)
    note: str | None = Field(None, description="shown in findings that rely on this value")
    text_waiver: str | None = Field(
        None, description="why the value differs from the numbers its quotes state (checked at load)"
    )

    @field_validator("regions")
    @classmethod
    def _codes(cls, regions: list[str] | None) -> list[str] | None:
        if regions is not None and (
            not regions or any(not (r.isdigit() and len(r) in (2, 6)) for r in regions)
        ):
            raise ValueError("regions 须为省级代码（2位）或行政区划代码（6位）的列表")
        return regions

    @property
    def region_key(self) -> tuple[str, ...]:
        return tuple(sorted(self.regions or ()))


class Parameter(PackModel):
    """A dated legal number (OpenFisca-style): the value in force on the fact's date."""

    description: str
    unit: str | None = None
    date_field: str = Field(description="fact field whose date selects the value")
    values: list[ParamValue] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _ordered(cls, values: list[ParamValue]) -> list[ParamValue]:
        for key in {v.region_key for v in values}:
            starts = [v.since or dt.date.min for v in values if v.region_key == key]
            if starts != sorted(starts) or len(set(starts)) != len(starts):
                raise ValueError("参数取值必须按生效日期（from）升序排列且不重复（同一适用地区内）")
        return values

    def entry_for(self, fact: dict[str, Any]) -> ParamValue | None:
        """The value in force on the fact's date for the fact's agency region (as the rules select it)."""
        day = fact.get(self.date_field)
        if not isinstance(day, int):
            return None
        return self.entry_on(day, fact.get("province"), fact.get("agency_region"))

    def entry_on(self, day: int, province: Any, area: Any) -> ParamValue | None:
        """The entry in force on `day` (an ordinal) for an agency in `province` / `area`; None:
        the packs hold none for that day and region. The most specific region wins, whatever
        the order in the file: an entry naming the area, then the province, then one for all."""
        best, rank = None, 3
        for entry, nxt in self.periods():
            regions = entry.regions
            here = 2 if not regions else 0 if area in regions else 1 if province in regions else 3
            if here >= rank:
                continue
            if (entry.since is None or day >= entry.since.toordinal()) and (
                nxt is None or day < nxt.toordinal()
            ):
                best, rank = entry, here
        return best

    def periods(self) -> list[tuple[ParamValue, dt.date | None]]:
        """(value, first day of the next period in the same regions or None), in file order."""
        out = []
        for i, entry in enumerate(self.values):
            later = [v.since for v in self.values[i + 1 :] if v.region_key == entry.region_key]
            out.append((entry, later[0] if later else None))
        return out


class ExampleCase(PackModel):
    """A rule example: a base case from `rules/examples/` with edits applied."""

    base: str = "general"
    set: dict[str, Any] = Field(
        default_factory=new_dict, description='{"decision.penalties[0].amount": 80000}'
    )
    remove: list[str] = Field(default_factory=new_list)
    append: dict[str, list[Any]] = Field(default_factory=new_dict, description='{"acts": [{...}]}')
    roster: str | None = Field(None, description="roster file under rules/examples/ (default roster.yaml)")
    note: str | None = None


class Examples(PackModel):
    fail: list[ExampleCase] = Field(min_length=1)
    passing: list[ExampleCase] = Field(min_length=1, alias="pass")
    unknown: list[ExampleCase] = Field(
        default_factory=new_list,
        description="a fact the rule reads marked 未载明: the rule must give its 待人工评查 item, "
        "never its own finding",
    )


UnknownMode = Literal["review", "note"]
DEFAULT_UNKNOWN_MESSAGE = "{missing}，无法判断是否存在「{title}」问题，待人工评查"


class UnknownSpec(PackModel):
    """What an unknown fact means for a rule (or, at pack level, for each rule without its own).

    When a fact the rule reads is unknown (or a date is known only in part) and the rule may
    or may not apply, the rule gives, instead of its own finding:
    - `review` (default): a 待人工评查 finding whose message is `message`;
    - `note`: no finding; the check is listed among the checks that could not run.
    Never a veto or deduction. `{missing}` in `message` names the missing facts; `{title}` is
    the rule's title; other `{field}` placeholders quote the fact as in `message`."""

    mode: UnknownMode | None = None
    message: str | None = None
    needs: list[str] | None = Field(
        None,
        description="fields whose unknown makes the rule undecidable; unknowns in other fields it reads "
        "only list the check as not run (default: every field the rule reads)",
    )


class Rule(PackModel):
    code: str = Field(pattern=r"^[A-Z]{2,6}-\d{3}$")
    title: str
    category: str = Field(description="scoring category id in the profile")
    severity: Severity
    applies_to: str = Field(description="fact kind: case, act, performer, penalty, violation")
    procedures: list[Procedure] = Field(default_factory=lambda: [Procedure("general"), Procedure("simple")])
    effective: Effective = Field(default_factory=instance_of(Effective))
    basis: list[Basis] = Field(min_length=1)
    when: Any = Field(description="condition (see packs/conditions.py)")
    expand: str | None = Field(None, description="table expander that generates one variant per row")
    message: str = Field(description="Chinese message; {field} quotes fact values and variant context")
    locate: str | None = Field(
        None,
        description="field path relative to the fact's source, e.g. amount; on case rules "
        "acts[kind=service|decision] points at the first act of the first kind present",
    )
    explain: str | None = None
    unknown: UnknownSpec | None = Field(None, description="what an unknown fact means for this rule")
    not_run: bool = Field(
        False,
        description="the finding says a check could not run (幅度未核查, 基准未加载, 证件无法核验 …): "
        "it is also listed among the result's checks that could not run",
    )
    stands_for: Literal["veto", "deduct"] | None = Field(
        None,
        description="for a review rule: the severity of the check its 待人工评查 item holds open "
        "(证件无法核验: the veto on an invalid certificate; 应移送未移送: a veto only a person can "
        "decide); its findings make the grade provisional (暂定), as an unknown fact of a veto or "
        "deduction rule does",
    )
    examples: Examples

    @model_validator(mode="after")
    def _stands_for_a_review_item(self) -> Rule:
        if self.stands_for is not None and self.severity != "review":
            raise ValueError(
                "stands_for 只用于 severity: review 的规则（其待人工评查事项代替的否决或扣分检查）"
            )
        return self


RuleCode = Annotated[str, Field(pattern=r"^[A-Z]{2,6}-\d{3}$")]


class CaseExpect(PackModel):
    """What reviewing an example case must give, judged on this pack's rule codes only.

    `findings` is the exact set of this pack's codes (`[]`: none of them); `contains`/`absent`
    only name codes that must / must not appear. `grade` is the case's grade under the profile
    (all packs count towards it)."""

    findings: list[RuleCode] | None = None
    contains: list[RuleCode] = Field(default_factory=new_list)
    absent: list[RuleCode] = Field(default_factory=new_list)
    grade: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CaseExpect:
        if self.findings is None and not (self.contains or self.absent) and self.grade is None:
            raise ValueError("expect 须给出 findings、contains、absent 或 grade 中至少一项")
        if self.findings is not None and (self.contains or self.absent):
            raise ValueError("findings（本包问题的完整集合）不能与 contains/absent 同时使用")
        both = set(self.contains) & set(self.absent)
        if both:
            raise ValueError(f"{'、'.join(sorted(both))} 同时出现在 contains 和 absent 中")
        return self

    def codes(self) -> set[str]:
        return {*(self.findings or []), *self.contains, *self.absent}


class PackCase(PackModel):
    """A real case file (or a folder of them) the pack's rules are tested on, like examples."""

    path: str = Field(description="案卷文件或文件夹，相对于规则包文件；文件夹中每个案卷都须符合 expect")
    roster: str | None = Field(None, description="证件台账，相对于规则包文件（不填：不核验证件）")
    expect: CaseExpect
    note: str | None = None


class PackMeta(PackModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    version: str
    description: str | None = None
    example_cases: list[PackCase] = Field(default_factory=new_list)
    unknown: UnknownSpec | None = Field(None, description="default for the pack's rules without their own")


class Pack(PackModel):
    pack: PackMeta
    parameters: dict[str, Parameter] = Field(default_factory=new_dict)
    rules: list[Rule] = Field(default_factory=new_list)
