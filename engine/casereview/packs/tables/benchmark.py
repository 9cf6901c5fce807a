"""Discretion benchmarks (裁量基准) as data (`table: {type: benchmark}`).

A benchmark source (one document) has items; an item refines one statutory clause into ordered
tiers (裁量阶次). A tier's applicability is either a condition in the IR string syntax over
circumstance facts (`f_<name>`), or a structured `range` over one declared variable whose
boundary words (以上/以下/不满/超过/以内) are compiled by the *source's* convention:

    range: {var: affected_share, min: 0.1, min_word: 以上, max: 0.3, max_word: 以下}

Under 立法技术规范 以上/以下 include the number; the 2007 安全生产违法行为行政处罚办法 art. 67 says 以下
excludes it. Where two tiers' ranges overlap (the source's own defect, e.g. 100人以下 / 100人以上),
facts at the overlap fit both: the expanders emit a separate variant for the overlap whose
finding says so, and lint reports it unless the table waives it.

A tier may instead be a *review* tier (`review: true`, `condition_text:` the source's words, no
`when`/`range`): its condition has not been written yet. It never counts as a fit here; cases
that may fall in it are listed for a human by `benchmark_review.py` (BM-009).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...derive.citations import number_key, tier_key, title_key
from ...model.case import cite_article
from ...model.factories import instance_of, new_dict, new_list
from ..conditions import All, AnyOf, Cmp, Cond, ConditionError, Const, In, Not, Present, parse_condition
from ..expanders import Tables, Variant, expander, table_loader
from .statute import BRANCH_LABELS, TARGET_LABELS, yuan_text

Verification = Literal["official", "secondary", "example", "unverified"]
BoundaryWord = Literal["以上", "以下", "不满", "超过", "以内", "等于"]
FIELD_PREFIX = "f_"
NATIONAL_REGION = "00"  # a national instrument (应急管理部): no region to mismatch


class _Model(BaseModel):
    # built on first validation, never in a check served from the rule-book cache
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class Boundary(_Model):
    """Whether each word includes the number (True) or not (False)."""

    以上: bool = True
    以下: bool = True
    以内: bool = True
    不满: bool = False
    超过: bool = False
    note: str | None = None

    def includes(self, word: str) -> bool:
        if word == "等于":
            return True
        return bool(getattr(self, word))


class Source(_Model):
    title: str
    number: str | None = None
    aliases: list[str] = Field(
        default_factory=new_list, description="决定书中常见的其他引用写法（简称、旧称），用于识别引用"
    )
    issuer: str
    region: str = Field(
        pattern=r"^(\d{2}|\d{4}|\d{6})$",
        description="适用地域：行政区划代码前两位（省级）、前四位（设区的市）或六位；00 为全国",
    )
    effective_from: dt.date | None = None
    effective_to: dt.date | None = Field(None, description="最后有效日（含）")
    expiry_note: str | None = None
    boundary: Boundary = Field(default_factory=instance_of(Boundary))
    verification: Verification
    urls: list[str] = Field(default_factory=new_list)
    note: str | None = None

    def covers(self, day: dt.date) -> bool:
        return (self.effective_from is None or day >= self.effective_from) and (
            self.effective_to is None or day <= self.effective_to
        )


class Variable(_Model):
    type: Literal["int", "number", "bool", "str"]
    label: str


class TierRange(_Model):
    var: str
    min: float | None = None
    min_word: BoundaryWord | None = None
    max: float | None = None
    max_word: BoundaryWord | None = None

    @model_validator(mode="after")
    def _words(self) -> TierRange:
        if self.min is None and self.max is None:
            raise ValueError("range 至少要有 min 或 max")
        if self.min is not None and self.min_word is None:
            self.min_word = "以上"
        if self.max is not None and self.max_word is None:
            self.max_word = "以下"
        if self.min_word in ("以下", "不满", "以内") or self.max_word in ("以上", "超过"):
            raise ValueError(f"边界用语与方向不符：min_word={self.min_word} max_word={self.max_word}")
        return self

    def interval(self, boundary: Boundary) -> tuple[float, bool, float, bool]:
        """(lo, lo_inclusive, hi, hi_inclusive), infinite ends inclusive."""
        lo = self.min if self.min is not None else float("-inf")
        hi = self.max if self.max is not None else float("inf")
        lo_inc = boundary.includes(self.min_word) if self.min is not None else True  # type: ignore[arg-type]
        hi_inc = boundary.includes(self.max_word) if self.max is not None else True  # type: ignore[arg-type]
        return lo, lo_inc, hi, hi_inc

    def condition(self, boundary: Boundary) -> Cond:
        field = FIELD_PREFIX + self.var
        lo, lo_inc, hi, hi_inc = self.interval(boundary)
        parts: list[Cond] = []
        if self.min is not None:
            parts.append(Cmp(field, "gte" if lo_inc else "gt", value=_num(lo)))
        if self.max is not None:
            parts.append(Cmp(field, "lte" if hi_inc else "lt", value=_num(hi)))
        return All(tuple(parts)) if len(parts) > 1 else parts[0]

    def describe(self) -> str:
        text = ""
        if self.min is not None:
            text += f"{self.min:g}{self.min_word}"
        if self.max is not None:
            text += f"{self.max:g}{self.max_word}"
        return text


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


Band = tuple[int, int]  # [lo, hi] yuan, both inclusive (a fixed amount has lo == hi)


class Tier(_Model):
    tier: int = Field(ge=1)
    label: str | None = Field(
        None, description="原文的阶次编号（如 应急〔2024〕90号 的「A」）；决定书写序号或此编号均可识别"
    )
    text: str = Field(description="阶次原文")
    when: Any = None
    range: TierRange | None = None
    fines: dict[str, dict[Literal["unit", "person"], list[int]]] = Field(
        description="branch → target → [最低, 最高]（元）"
    )
    unverified: bool = Field(False, description="原文未见，仅作推测；不生成检查")
    # "condition not yet written" is distinct from "not seen in the source" (unverified): a review
    # tier is real source text the importer could not translate; cases that may fall in it are
    # listed for a human (BM-009) instead of being checked.
    review: bool = Field(False, description="适用条件尚未写成可检查的条件：待人工评查，不自动核对")
    condition_text: str | None = Field(None, description="适用条件原文（待人工评查的阶次必填）")
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Tier:
        if self.review:
            if self.when is not None or self.range is not None:
                raise ValueError(f"阶次 {self.tier}：待人工评查（review）的阶次不能同时给出 when 或 range")
            if not (self.condition_text or "").strip():
                raise ValueError(
                    f"阶次 {self.tier}：待人工评查（review）的阶次须在 condition_text 中保留适用条件原文"
                )
        elif (self.when is None) == (self.range is None):
            raise ValueError(
                f"阶次 {self.tier}：when 与 range 须且只须给出一个（条件尚未编写时写 review: true）"
            )
        for branch, targets in self.fines.items():
            if branch not in BRANCH_LABELS:
                raise ValueError(f"阶次 {self.tier}：未知的适用情形 {branch}")
            for target, band in targets.items():
                if len(band) != 2 or band[0] > band[1]:
                    raise ValueError(
                        f"阶次 {self.tier} {branch}/{target}：罚款幅度应为 [最低, 最高]，实际 {band}"
                    )
        return self

    @property
    def checkable(self) -> bool:
        """Generates checks: seen in the source and its condition written."""
        return not self.unverified and not self.review

    @property
    def pending(self) -> bool:
        """A review tier that takes part in review (an unverified tier takes part in nothing)."""
        return self.review and not self.unverified

    def band(self, branch: str, target: str) -> Band | None:
        band = self.fines.get(branch, {}).get(target)  # type: ignore[call-overload]
        return (band[0], band[1]) if band else None

    @property
    def ids(self) -> tuple[str, ...]:
        """How a decision may name this tier, as `tier_key` facts: its number and its source label."""
        keys = [str(self.tier)]
        label = tier_key(self.label) if self.label else None
        if label and label not in keys:
            keys.append(label)
        return tuple(keys)


class Clause(_Model):
    law: str = "安全生产法"
    version: str = "2021"
    article: int
    paragraph: int | None = None
    item: int | None = None

    def cite(self) -> str:
        return cite_article(self.law, self.article, self.paragraph, self.item)


class Item(_Model):
    id: str = Field(pattern=r"^[A-Z]{2,6}(-[A-Za-z0-9]+)+$")
    title: str
    clause: Clause
    variables: dict[str, Variable] = Field(default_factory=new_dict)
    tiers: list[Tier] = Field(min_length=1)
    note: str | None = None
    line: int = 0

    @model_validator(mode="after")
    def _ordered(self) -> Item:
        numbers = [t.tier for t in self.tiers]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise ValueError(f"{self.id}：阶次须按序号升序且不重复")
        for tier in self.tiers:
            if tier.range and tier.range.var not in self.variables:
                raise ValueError(f"{self.id} 阶次 {tier.tier}：变量 {tier.range.var} 未在 variables 中声明")
        return self


class Waiver(_Model):
    item: str
    problem: str = Field(description="lint 问题代码，如 overlap / non_monotonic / same_band / gap")
    tiers: list[int] = Field(default_factory=new_list)
    reason: str


class BenchmarkTable(_Model):
    table: dict[str, Any]
    source: Source
    unit: Literal["元"] = "元"
    # a known instrument whose item rows are not available: registered so that a decision citing it
    # is recognised (基准未加载，阶次未核查; region and validity still checked), never checked for tiers
    metadata_only: bool = Field(False, description="只登记基准的名称、文号、地域和有效期，条目未载入")
    items: list[Item] = Field(default_factory=new_list)
    waivers: list[Waiver] = Field(default_factory=new_list)
    path: str = ""

    @model_validator(mode="after")
    def _items_or_metadata(self) -> BenchmarkTable:
        if self.metadata_only and self.items:
            raise ValueError("metadata_only 的基准不能有 items（条目载入后删去 metadata_only）")
        if not self.metadata_only and not self.items:
            raise ValueError("items 为空：条目尚未取得时写 metadata_only: true 并在 source.note 说明原因")
        if self.metadata_only and not (self.source.note or "").strip():
            raise ValueError("metadata_only 的基准须在 source.note 说明条目为何未载入")
        return self

    @property
    def id(self) -> str:
        return str(self.table.get("id", Path(self.path).stem))


@table_loader("benchmark")
def load_benchmark(path: Path, data: Any) -> BenchmarkTable:
    from pydantic import ValidationError

    try:
        table = BenchmarkTable.model_validate({**data, "path": str(path)})
    except ValidationError as exc:
        raise ValueError(f"裁量基准表格式错误：{exc}") from None
    text = path.read_text(encoding="utf-8")
    for item in table.items:
        item.line = line_of(text, f"id: {item.id}")
        for tier in item.tiers:
            if tier.when is not None:
                try:
                    tier_condition(table, item, tier)
                except ConditionError as exc:
                    raise ValueError(f"{item.id} 阶次 {tier.tier}：{exc}") from None
    return table


def line_of(text: str, needle: str, start: int = 1) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if number >= start and needle in line:
            return number
    return 1


# ------------------------------------------------------------------ conditions


def tier_condition(table: BenchmarkTable, item: Item, tier: Tier) -> Cond:
    if tier.range is not None:
        return tier.range.condition(table.source.boundary)
    known = {FIELD_PREFIX + name for name in item.variables}

    def is_field(name: str) -> bool:
        return name in known

    cond = parse_condition(tier.when, is_field=is_field)
    from ..conditions import fields_read

    unknown = {f for f in fields_read(cond) if f not in known}
    if unknown:
        raise ConditionError(
            f"条件使用了未声明的变量 {', '.join(sorted(unknown))}（变量须在 variables 中声明并以 f_ 引用）"
        )
    return cond


def overlaps(table: BenchmarkTable, a: Tier, b: Tier) -> bool:
    """Whether two range tiers on the same variable can both hold (False when unknown)."""
    if not (a.range and b.range) or a.range.var != b.range.var:
        return False
    alo, alo_i, ahi, ahi_i = a.range.interval(table.source.boundary)
    blo, blo_i, bhi, bhi_i = b.range.interval(table.source.boundary)
    lo, lo_i = (alo, alo_i) if (alo, not alo_i) > (blo, not blo_i) else (blo, blo_i)
    hi, hi_i = (ahi, ahi_i) if (ahi, hi_key(ahi_i)) < (bhi, hi_key(bhi_i)) else (bhi, bhi_i)
    if lo < hi:
        return True
    return lo == hi and lo_i and hi_i


def hi_key(inclusive: bool) -> int:
    return 1 if inclusive else 0


def situations(table: BenchmarkTable, item: Item) -> list[tuple[tuple[Tier, ...], Cond]]:
    """Exclusive tier situations: each tier alone, and each overlapping pair together.

    Only checkable tiers: a review tier has no condition, so facts never "fit" it here."""
    tiers = [t for t in item.tiers if t.checkable]
    conds = {t.tier: tier_condition(table, item, t) for t in tiers}
    out: list[tuple[tuple[Tier, ...], Cond]] = []
    for tier in tiers:
        others = [o for o in tiers if o is not tier and overlaps(table, tier, o)]
        parts = [conds[tier.tier], *(Not(conds[o.tier]) for o in others)]
        out.append(((tier,), All(tuple(parts)) if len(parts) > 1 else parts[0]))
    for i, a in enumerate(tiers):
        for b in tiers[i + 1 :]:
            if overlaps(table, a, b):
                out.append(((a, b), All((conds[a.tier], conds[b.tier]))))
    return out


def item_match(item: Item) -> Cond:
    return Cmp("benchmark_item", "eq", value=item.id)


def review_numbers(item: Item) -> tuple[int, ...]:
    return tuple(t.tier for t in item.tiers if t.pending)


def ids_of(item: Item, numbers: tuple[int, ...] | None = None) -> tuple[str, ...]:
    """The `tier_key` values naming the given tiers of `item` (all its tiers by default)."""
    return tuple(k for t in item.tiers if numbers is None or t.tier in numbers for k in t.ids)


def not_claiming(item: Item, numbers: tuple[int, ...]) -> Cond:
    """The decision does not state one of these tiers (true when it states no tier at all)."""
    return Not(In("tier_key", ids_of(item, numbers)))


# ------------------------------------------------------------------ which benchmark a decision cites


def number_keys(table: BenchmarkTable) -> tuple[str, ...]:
    keys = [number_key(t) for t in (table.source.number, *table.source.aliases)]
    return tuple(dict.fromkeys(k for k in keys if k))


def title_keys(table: BenchmarkTable) -> tuple[str, ...]:
    keys = [title_key(t) for t in (table.source.title, *table.source.aliases) if not number_key(t)]
    return tuple(dict.fromkeys(k for k in keys if k))


def cites_table(tables: Tables, table: BenchmarkTable) -> Cond:
    """The decision's citation names `table`: by 文号, or by a title no other table shares."""
    shared = {k for other in tables.of("benchmark") if other is not table for k in title_keys(other)}
    parts: list[Cond] = [Cmp("benchmark_ref_number", "eq", value=k) for k in number_keys(table)]
    for key in (k for k in title_keys(table) if k not in shared):
        parts += [Cmp("benchmark_ref_title", "eq", value=key), Cmp("benchmark_ref_text", "eq", value=key)]
    if not parts:
        return Const(False)
    return AnyOf(tuple(parts)) if len(parts) > 1 else parts[0]


def applies_table(tables: Tables, table: BenchmarkTable) -> Cond:
    """The decision applies `table`: it names one of its items, or cites the table itself."""
    ids = tuple(item.id for item in table.items)
    parts = [cites_table(tables, table)]
    if ids:
        parts.insert(0, In("benchmark_item", ids))
    return AnyOf(tuple(parts)) if len(parts) > 1 else parts[0]


def source_text(table: BenchmarkTable) -> str:
    src = table.source
    text = f"{src.issuer}《{src.title}》"
    if src.number:
        text += f"（{src.number}）"
    if src.verification == "example":
        text += "〔示例，非官方，数值仅为演示〕"
    elif src.verification != "official":
        text += f"〔{src.verification}〕"
    if table.metadata_only:
        text += "〔仅登记元数据，条目未载入〕"
    return text


def _overlap_note(table: BenchmarkTable, tiers: tuple[Tier, ...]) -> str:
    names = "、".join(f"第{t.tier}阶次（{t.text}）" for t in tiers)
    above = "含" if table.source.boundary.以上 else "不含"
    below = "含" if table.source.boundary.以下 else "不含"
    return (
        f"案件事实同时符合{names}：基准原文的边界重叠（本表边界约定：以上{above}本数、以下{below}本数），"
        "按两阶次的合并幅度判断，请人工确认适用阶次"
    )


def _context(table: BenchmarkTable, item: Item, tiers: tuple[Tier, ...]) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "item_id": item.id,
        "item_title": item.title,
        "source": source_text(table),
        "clause": item.clause.cite(),
        "implied_tier": "或".join(str(t.tier) for t in tiers),
        "tier_text": "；".join(t.text for t in tiers),
    }
    notes = [f"裁量基准：{source_text(table)} {item.id}「{item.title}」"]
    if len(tiers) > 1:
        notes.append(_overlap_note(table, tiers))
    for tier in tiers:
        if tier.note:
            notes.append(tier.note)
    ctx["_notes"] = notes
    return ctx


@expander("benchmark_fine_outside_tier")
def fine_outside_tier(tables: Tables) -> list[Variant]:
    variants = []
    for table in tables.of("benchmark"):
        for item in table.items:
            for tiers, situation in situations(table, item):
                keys = {(b, t) for tier in tiers for b, targets in tier.fines.items() for t in targets}
                for branch, target in sorted(keys):
                    bands = [tier.band(branch, target) for tier in tiers]
                    if any(b is None for b in bands):
                        continue
                    lo = min(b[0] for b in bands)  # type: ignore[index]
                    hi = max(b[1] for b in bands)  # type: ignore[index]
                    outside: list[Cond] = [Cmp("amount", "gt", value=hi)]
                    if lo > 0:
                        outside.append(Cmp("amount", "lt", value=lo))
                    # a decision stating a review tier is BM-009's: its band may be the one that applies
                    pending = review_numbers(item)
                    guard: tuple[Cond, ...] = (not_claiming(item, pending),) if pending else ()
                    for out_index, out in enumerate(outside):
                        cond = All(
                            (
                                item_match(item),
                                Cmp("branch", "eq", value=branch),
                                Cmp("target", "eq", value=target),
                                situation,
                                *guard,
                                Cmp("adjustment", "eq", value="none"),
                                out,
                            )
                        )
                        ctx = _context(table, item, tiers)
                        ctx["band_text"] = band_text((lo, hi))
                        ctx["branch_label"] = BRANCH_LABELS[branch]
                        ctx["target_label"] = TARGET_LABELS[target]
                        numbers = "+".join(str(t.tier) for t in tiers)
                        side = "hi" if out_index == 0 else "lo"
                        suffix = f"{item.id}-t{numbers}-{branch}-{target}-{side}"
                        variants.append(Variant(suffix, cond, ctx))
    return variants


def band_text(band: Band) -> str:
    lo, hi = band
    if lo == hi:
        return yuan_text(lo)
    if lo == 0:
        return f"{yuan_text(hi)}以下"
    return f"{yuan_text(lo)}至{yuan_text(hi)}"


@expander("benchmark_claimed_tier")
def claimed_tier(tables: Tables) -> list[Variant]:
    variants = []
    for table in tables.of("benchmark"):
        for item in table.items:
            for tiers, situation in situations(table, item):
                numbers = tuple(t.tier for t in tiers)
                # stating a review tier is not a mismatch: nobody has written when it applies (BM-009);
                # a tier id the item does not have is BM-013's (review), not a mismatch
                allowed = ids_of(item, numbers + review_numbers(item))
                cond = All(
                    (item_match(item), situation, In("tier_key", ids_of(item)), Not(In("tier_key", allowed)))
                )
                variants.append(
                    Variant(f"{item.id}-t{'+'.join(map(str, numbers))}", cond, _context(table, item, tiers))
                )
    return variants


@expander("benchmark_facts_missing")
def facts_missing(tables: Tables) -> list[Variant]:
    variants = []
    for table in tables.of("benchmark"):
        for item in table.items:
            names = sorted(item.variables)
            if not names:
                continue
            missing = tuple(Present(FIELD_PREFIX + n, False) for n in names)
            cond = All((item_match(item), AnyOf(missing) if len(missing) > 1 else missing[0]))
            ctx = {
                "item_id": item.id,
                "item_title": item.title,
                "variables": "、".join(f"{n}（{item.variables[n].label}）" for n in names),
            }
            variants.append(Variant(item.id, cond, ctx))
    return variants


@expander("benchmark_not_in_force")
def not_in_force(tables: Tables) -> list[Variant]:
    """The decision applies a benchmark (an item of it, or a citation of it) outside its validity."""
    variants = []
    for table in tables.of("benchmark"):
        src = table.source
        outside: list[Cond] = []
        if src.effective_from:
            outside.append(Cmp("decided_on", "lt", value=src.effective_from.toordinal()))
        if src.effective_to:
            outside.append(Cmp("decided_on", "gt", value=src.effective_to.toordinal()))
        if not outside:
            continue
        period = f"{src.effective_from or '—'} 至 {src.effective_to or '—'}"
        cond = All((applies_table(tables, table), AnyOf(tuple(outside)) if len(outside) > 1 else outside[0]))
        ctx = {"source": source_text(table), "period": period}
        if src.expiry_note:
            ctx["_notes"] = [src.expiry_note]
        variants.append(Variant(table.id, cond, ctx))
    return variants


@expander("benchmark_unknown_item")
def unknown_item(tables: Tables) -> list[Variant]:
    """An item id no loaded table has, where the cited benchmark (if named) is a loaded one:
    a citation of an unloaded benchmark is BM-010's."""
    loaded = [t for t in tables.of("benchmark") if not t.metadata_only]
    ids = tuple(item.id for table in loaded for item in table.items)
    if not ids:
        return [Variant("none", Const(False), {"known": "无"})]
    names_loaded: list[Cond] = [Present("benchmark_ref", False), *(cites_table(tables, t) for t in loaded)]
    cond = All((Present("benchmark_item"), Not(In("benchmark_item", ids)), AnyOf(tuple(names_loaded))))
    return [Variant("all", cond, {"known": f"{len(ids)} 项"})]


def _loaded_item_ids(tables: Tables) -> tuple[str, ...]:
    return tuple(item.id for table in tables.of("benchmark") for item in table.items)


@expander("benchmark_not_loaded")
def not_loaded(tables: Tables) -> list[Variant]:
    """The decision cites a benchmark whose items are not loaded: a known instrument registered
    as metadata only, or a citation that names no table at all (and no loaded item)."""
    variants = []
    known: list[Cond] = []
    for table in tables.of("benchmark"):
        cites = cites_table(tables, table)
        known.append(cites)
        if not table.metadata_only:
            continue
        ctx = {"named": f"即{source_text(table)}，", "reason": table.source.note or ""}
        variants.append(Variant(table.id, cites, ctx))
    ids = _loaded_item_ids(tables)
    unrecognised: list[Cond] = [Present("benchmark_ref"), Not(AnyOf(tuple(known)) if known else Const(False))]
    if ids:
        unrecognised.append(Not(In("benchmark_item", ids)))
    ctx = {"named": "", "reason": "规则库中没有这份基准（未识别其名称或文号）"}
    variants.append(Variant("unrecognised", All(tuple(unrecognised)), ctx))
    return variants


def _region_field(region: str) -> str:
    return {2: "province", 4: "agency_prefecture", 6: "agency_region"}[len(region)]


@expander("benchmark_foreign_region")
def foreign_region(tables: Tables) -> list[Variant]:
    """The decision applies a regional benchmark of another region than the agency's."""
    variants = []
    for table in tables.of("benchmark"):
        region = table.source.region
        if region == NATIONAL_REGION:
            continue
        field = _region_field(region)
        cond = All((applies_table(tables, table), Present(field), Not(Cmp(field, "eq", value=region))))
        ctx = {"source": source_text(table), "region": region}
        variants.append(Variant(table.id, cond, ctx))
    return variants or [Variant("none", Const(False), {})]


@expander("benchmark_region_unknown")
def region_unknown(tables: Tables) -> list[Variant]:
    """A regional benchmark is applied and the agency's region is not recorded."""
    variants = []
    for table in tables.of("benchmark"):
        region = table.source.region
        if region == NATIONAL_REGION:
            continue
        field = _region_field(region)
        cond = All((applies_table(tables, table), Present(field, False)))
        variants.append(Variant(table.id, cond, {"source": source_text(table), "region": region}))
    return variants or [Variant("none", Const(False), {})]


@expander("benchmark_unknown_tier")
def unknown_tier(tables: Tables) -> list[Variant]:
    """The decision states a tier id the applied item does not have (e.g. 阶次A of a numbered table)."""
    variants = []
    for table in tables.of("benchmark"):
        for item in table.items:
            ids = ids_of(item)
            cond = All((item_match(item), Present("tier_key"), Not(In("tier_key", ids))))
            ctx = {
                "item_id": item.id,
                "item_title": item.title,
                "source": source_text(table),
                "known_tiers": "、".join(ids),
            }
            variants.append(Variant(item.id, cond, ctx))
    return variants or [Variant("none", Const(False), {})]


@expander("benchmark_clause_mismatch")
def clause_mismatch(tables: Tables) -> list[Variant]:
    """The decision names a benchmark item made for a different statutory clause."""
    variants = []
    for table in tables.of("benchmark"):
        for item in table.items:
            wrong: list[Cond] = [Not(Cmp("basis_article", "eq", value=item.clause.article))]
            if item.clause.item:
                wrong.append(
                    All(
                        (
                            Cmp("basis_article", "eq", value=item.clause.article),
                            Present("basis_item"),
                            Not(Cmp("basis_item", "eq", value=item.clause.item)),
                        )
                    )
                )
            cond = All((item_match(item), AnyOf(tuple(wrong)) if len(wrong) > 1 else wrong[0]))
            ctx = {"item_id": item.id, "item_title": item.title, "clause": item.clause.cite()}
            variants.append(Variant(item.id, cond, ctx))
    return variants


@expander("benchmark_no_tier")
def no_tier(tables: Tables) -> list[Variant]:
    """The facts fit none of the item's checkable tiers.

    Items with review tiers are left to BM-009 (benchmark_review_tier): facts outside every
    checkable tier may well be in the tier whose condition nobody has written yet."""
    variants = []
    for table in tables.of("benchmark"):
        for item in table.items:
            if review_numbers(item):
                continue
            cond = fits_no_tier(table, item)
            if cond is None:
                continue
            ctx = {"item_id": item.id, "item_title": item.title, "source": source_text(table)}
            if item.note:
                ctx["_notes"] = [item.note]
            variants.append(Variant(item.id, cond, ctx))
    # every item may be left to BM-009; the rule must still compile
    return variants or [Variant("none", Const(False), {})]


def fits_no_tier(table: BenchmarkTable, item: Item) -> Cond | None:
    """The penalty applies `item`, its tier variables are recorded, and the facts fit none of its
    checkable tiers; None when the item has no checkable tier (nothing can be fitted)."""
    fits = tuple(tier_condition(table, item, t) for t in item.tiers if t.checkable)
    if not fits:
        return None
    present = tuple(Present(FIELD_PREFIX + n) for n in sorted(item.variables))
    return All((item_match(item), *present, Not(AnyOf(fits) if len(fits) > 1 else fits[0])))
