"""Exemption lists (减免责清单) as data (`table: {type: exemption_list}`).

A list has a type (不予处罚 / 从轻 / 减轻 / 不予强制), a source and validity, a discretion
(mandatory: the agency bound itself to the outcome; optional: 可以), common preconditions that
every item needs (first offence as the list defines it, harm, corrected in time verified by a
re-inspection, no fatal accident within N years, not 严重失信, not a 重大事故隐患, sector
exclusions), items (violation, legal basis, item conditions in the IR over violation facts),
and the follow-up documents the list requires.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...model.case import cite_article
from ...model.factories import instance_of, new_list
from ..conditions import All, Cmp, Cond, ConditionError, Const, In, Not, Present, parse_condition
from ..expanders import Tables, Variant, expander, table_loader
from .benchmark import line_of

ListType = Literal["no_penalty", "lighter", "mitigated", "no_coercion"]
LIST_TYPE_LABELS = {
    "no_penalty": "不予行政处罚",
    "lighter": "从轻处罚",
    "mitigated": "减轻处罚",
    "no_coercion": "不予实施行政强制措施",
}
HARM_LABELS = {"none": "没有造成危害后果", "minor": "危害后果轻微", "serious": "危害后果较重"}
FOLLOW_UP = {
    "education": ("has_education", "批评教育记录"),
    "no_penalty_decision": ("has_no_penalty_decision", "不予行政处罚决定书"),
    "commitment": ("has_commitment", "承诺书"),
    "correction_order": ("has_correction_order", "责令限期整改指令书"),
    "reinspection": ("has_reinspection", "复查意见书（复查记录）"),
}


class _Model(BaseModel):
    # built on first validation, never in a check served from the rule-book cache
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ExtraCondition(_Model):
    """A list-specific precondition written in YAML (condition IR over violation facts) with its label."""

    label: str = Field(description="清单原文中的条件表述")
    when: Any = Field(description="条件（规则写法），如 fatal_accident_within_3y == false")
    source: str | None = Field(None, description="该条件在清单中的出处")


class Preconditions(_Model):
    first_offence: bool = True
    first_offence_definition: str | None = None
    harm: list[Literal["none", "minor", "serious"]] = Field(default_factory=lambda: ["none", "minor"])
    corrected_in_time: bool = True
    reinspection_required: bool = False
    not_serious_dishonesty: bool = False
    not_major_hazard: bool = False
    excluded_sectors: list[str] = Field(default_factory=new_list)
    extra: list[ExtraCondition] = Field(
        default_factory=new_list,
        description="清单特有的累计条件（如「3年内未发生过人员死亡的生产安全事故」）",
    )
    note: str | None = None

    def conditions(self) -> list[tuple[str, str, Cond]]:
        """(key, Chinese label, condition) per cumulative precondition."""
        out: list[tuple[str, str, Cond]] = []
        if self.first_offence:
            label = "初次违法" + (
                f"（{self.first_offence_definition}）" if self.first_offence_definition else ""
            )
            out.append(("first", label, Cmp("first_offence", "eq", value=True)))
        if self.harm:
            out.append(("harm", "、".join(HARM_LABELS[h] for h in self.harm), In("harm", tuple(self.harm))))
        if self.corrected_in_time:
            out.append(("corrected", "及时改正", Cmp("corrected_in_time", "eq", value=True)))
        if self.reinspection_required:
            out.append(("reinspected", "经复查确认已改正", Cmp("reinspection_corrected", "eq", value=True)))
        if self.not_serious_dishonesty:
            out.append(("credit", "未被列入严重失信主体名单", Cmp("serious_dishonesty", "eq", value=False)))
        if self.not_major_hazard:
            out.append(("hazard", "不构成重大事故隐患", Cmp("major_hazard", "eq", value=False)))
        for index, extra in enumerate(self.extra):
            out.append((f"extra{index}", extra.label, parse_condition(extra.when, is_field=_is_field)))
        if self.excluded_sectors:
            out.append(
                (
                    "sector",
                    f"不属于{'、'.join(self.excluded_sectors)}行业",
                    All((Present("sector"), Not(In("sector", tuple(self.excluded_sectors))))),
                )
            )
        return out


class Basis(_Model):
    law: str = "安全生产法"
    version: str | None = "2021"
    article: int
    paragraph: int | None = None
    item: int | None = None
    inferred: bool = Field(False, description="清单未写明处罚依据，由违法行为推定")

    def cite(self) -> str:
        return cite_article(self.law, self.article, self.paragraph, self.item) + (
            "（推定）" if self.inferred else ""
        )


class ListItem(_Model):
    id: str = Field(pattern=r"^[A-Z]{2,6}(-[A-Za-z0-9]+)+$")
    violation: str
    basis: Basis | None = None
    situation: str | None = Field(None, description="适用情形原文")
    conditions: list[Any] = Field(
        default_factory=new_list, description="本事项的条件（IR，违法行为事实，f_ 为情节事实）"
    )
    condition_labels: list[str] = Field(default_factory=new_list)
    note: str | None = None
    line: int = 0


class ExemptionList(_Model):
    table: dict[str, Any]
    list_type: ListType
    title: str
    issuer: str
    regions: list[str] = Field(min_length=1, description="省级代码（2位）或行政区划代码（6位）")
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    discretion: Literal["mandatory", "optional"]
    discretion_note: str | None = None
    verification: Literal["official", "secondary", "example", "unverified"]
    sources: list[str] = Field(default_factory=new_list)
    also_no_coercion: bool = Field(False, description="同时不予实施行政强制措施")
    preconditions: Preconditions = Field(default_factory=instance_of(Preconditions))
    follow_up: list[
        Literal["education", "no_penalty_decision", "commitment", "correction_order", "reinspection"]
    ] = Field(default_factory=new_list)
    items: list[ListItem] = Field(min_length=1)
    note: str | None = None
    path: str = ""

    @property
    def id(self) -> str:
        return str(self.table.get("id", Path(self.path).stem))

    def label(self) -> str:
        text = f"{self.issuer}《{self.title}》"
        if self.verification == "example":
            text += "〔示例，非官方〕"
        elif self.verification != "official":
            text += f"〔{ {'secondary': '二手来源，待核实', 'unverified': '未核实'}[self.verification] }〕"
        return text


def _is_field(name: str) -> bool:
    from ...derive.vocabulary import fields_of

    return name.startswith("f_") or name in fields_of("violation")


def item_conditions(item: ListItem) -> list[tuple[str, Cond]]:
    out = []
    for index, node in enumerate(item.conditions):
        cond = parse_condition(node, is_field=_is_field)
        label = item.condition_labels[index] if index < len(item.condition_labels) else str(node)
        out.append((label, cond))
    return out


@table_loader("exemption_list")
def load_list(path: Path, data: Any) -> ExemptionList:
    from pydantic import ValidationError

    from ...derive.vocabulary import fields_of
    from ..compile import check_fields

    try:
        table = ExemptionList.model_validate({**data, "path": str(path)})
        for _key, _label, cond in table.preconditions.conditions():
            check_fields(cond, fields_of("violation"))
    except (ValidationError, ValueError, ConditionError) as exc:
        raise ValueError(f"减免责清单格式错误：{exc}") from None
    text = path.read_text(encoding="utf-8")
    for item in table.items:
        item.line = line_of(text, f"id: {item.id}")
        try:
            for _label, cond in item_conditions(item):
                check_fields(cond, fields_of("violation"))
        except ConditionError as exc:
            raise ValueError(f"{item.id}：条件错误：{exc}") from None
    return table


# ---------------------------------------------------------------- expanders (violation facts)


def _basis_match(item: ListItem) -> list[Cond]:
    if item.basis is None:
        return []
    parts: list[Cond] = [
        Cmp("basis_article", "eq", value=item.basis.article),
        Cmp("basis_law", "eq", value=item.basis.law),
    ]
    if item.basis.item:
        parts.append(Cmp("basis_item", "eq", value=item.basis.item))
    return parts


def _scope(table: ExemptionList) -> list[Cond]:
    parts: list[Cond] = []
    provinces = tuple(r for r in table.regions if len(r) == 2)
    districts = tuple(r for r in table.regions if len(r) != 2)
    if provinces and not districts:
        parts.append(In("province", provinces))
    elif districts and not provinces:
        parts.append(In("agency_region", districts))
    if table.effective_from:
        parts.append(Cmp("decided_on", "gte", value=table.effective_from.toordinal()))
    if table.effective_to:
        parts.append(Cmp("decided_on", "lte", value=table.effective_to.toordinal()))
    return parts


def _all_conditions(table: ExemptionList, item: ListItem) -> list[tuple[str, Cond]]:
    return [(label, cond) for _key, label, cond in table.preconditions.conditions()] + item_conditions(item)


def _ctx(table: ExemptionList, item: ListItem) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "list_title": table.label(),
        "list_type": LIST_TYPE_LABELS[table.list_type],
        "item_id": item.id,
        "item_violation": item.violation,
        "situation": item.situation or "（无）",
    }
    notes = [
        f"清单：{table.label()} {item.id}「{item.violation}」"
        + (f"，适用情形：{item.situation}" if item.situation else "")
    ]
    if item.basis:
        notes.append(f"处罚依据：{item.basis.cite()}")
    if table.discretion_note:
        notes.append(table.discretion_note)
    ctx["_notes"] = notes
    return ctx


def _lists(tables: Tables, *types: str):
    for table in tables.of("exemption_list"):
        if types and table.list_type not in types:
            continue
        for item in table.items:
            yield table, item


@expander("exemption_met_but_fined")
def met_but_fined(tables: Tables) -> list[Variant]:
    variants = []
    for table, item in _lists(tables, "no_penalty"):
        if table.discretion != "mandatory" or item.basis is None:
            continue  # without a legal basis an item cannot be matched to a violation safely
        conds = [c for _label, c in _all_conditions(table, item)]
        cond = All((*_basis_match(item), *_scope(table), *conds, Cmp("fined", "eq", value=True)))
        variants.append(Variant(item.id, cond, _ctx(table, item)))
    return variants


@expander("exemption_conditions_unmet")
def conditions_unmet(tables: Tables) -> list[Variant]:
    """One variant per (item, condition): the finding names the condition that fails."""
    variants = []
    for table, item in _lists(tables):
        for index, (label, cond) in enumerate(_all_conditions(table, item)):
            ctx = _ctx(table, item)
            ctx["unmet"] = label
            variants.append(
                Variant(f"{item.id}-c{index}", All((Cmp("list_item", "eq", value=item.id), Not(cond))), ctx)
            )
        if item.basis is not None:
            ctx = _ctx(table, item)
            ctx["unmet"] = f"处罚依据应为{item.basis.cite()}"
            wrong = Not(All(tuple(_basis_match(item))))
            variants.append(
                Variant(f"{item.id}-basis", All((Cmp("list_item", "eq", value=item.id), wrong)), ctx)
            )
        out_of_scope = _out_of_scope(table)
        if out_of_scope is not None:
            ctx = _ctx(table, item)
            period = f"{table.effective_from or '—'} 至 {table.effective_to or '—'}"
            ctx["unmet"] = f"清单的适用地域与有效期（{'、'.join(table.regions)}，{period}）"
            variants.append(
                Variant(f"{item.id}-scope", All((Cmp("list_item", "eq", value=item.id), out_of_scope)), ctx)
            )
    return variants


def _out_of_scope(table: ExemptionList) -> Cond | None:
    scope = _scope(table)
    if not scope:
        return None
    return Not(All(tuple(scope)))


@expander("exemption_coercion")
def coercion(tables: Tables) -> list[Variant]:
    variants = []
    for table, item in _lists(tables):
        if table.list_type != "no_coercion" and not table.also_no_coercion:
            continue
        cond = All((Cmp("list_item", "eq", value=item.id), Cmp("coercive_measure", "eq", value=True)))
        variants.append(Variant(item.id, cond, _ctx(table, item)))
    return variants


@expander("exemption_follow_up_missing")
def follow_up_missing(tables: Tables) -> list[Variant]:
    variants = []
    for table, item in _lists(tables, "no_penalty"):
        # the list's own follow-up documents; education after every 不予处罚 (行政处罚法 art. 33 ¶3)
        # is a rule of its own in rules/packs/lists.yaml, whether or not a list applies
        for doc in table.follow_up:
            field, label = FOLLOW_UP[doc]
            cond = All(
                (
                    Cmp("list_item", "eq", value=item.id),
                    Cmp("fined", "eq", value=False),
                    Not(Cmp(field, "eq", value=True)),
                )
            )
            ctx = _ctx(table, item)
            ctx["document"] = label
            variants.append(Variant(f"{item.id}-{doc}", cond, ctx))
    return variants


@expander("exemption_unknown_item")
def unknown_list_item(tables: Tables) -> list[Variant]:
    ids = tuple(item.id for _table, item in _lists(tables))
    if not ids:
        return [Variant("none", Const(False), {"known": "无"})]
    return [
        Variant("all", All((Present("list_item"), Not(In("list_item", ids)))), {"known": f"{len(ids)} 项"})
    ]
