"""Review tiers (待人工评查阶次): benchmark tiers whose 适用条件 is still only Chinese text.

A spreadsheet import keeps a condition it cannot translate as `condition_text` with
`review: true` (see `maintain/tables_io.py`). Nothing can be checked against such a tier, so the
`benchmark_review_tier` expander (rule BM-009) lists the penalty for a human when

  (i)  the decision states the review tier, or
  (ii) the tier variables are recorded and fit none of the item's checkable tiers (for an item
       with no checkable tier at all: whenever the item is applied).

The two situations exclude each other, so one penalty gives at most one BM-009 finding. BM-001
and BM-002 stand down in (i) and BM-008 in (ii) (see `benchmark.py`), so nothing is reported twice.
"""

from __future__ import annotations

from typing import Any

from ..conditions import All, AnyOf, Cond, Const, In
from ..expanders import Tables, Variant, expander
from .benchmark import (
    BenchmarkTable,
    Item,
    Tier,
    band_text,
    fits_no_tier,
    item_match,
    not_claiming,
    review_numbers,
    source_text,
)
from .statute import BRANCH_LABELS, TARGET_LABELS


def stated(item: Item, tier: Tier) -> Cond:
    """(i): the decision states this review tier."""
    return All((item_match(item), In("tier_key", tier.ids)))


def unfitted(table: BenchmarkTable, item: Item) -> Cond:
    """(ii): the decision states no review tier and the facts fit no checkable tier."""
    guard = not_claiming(item, review_numbers(item))
    fits_none = fits_no_tier(table, item)
    return All((fits_none, guard)) if fits_none is not None else All((item_match(item), guard))


def _bands(tier: Tier) -> str:
    parts = [
        f"{BRANCH_LABELS[branch]}对{TARGET_LABELS[target]}{band_text((band[0], band[1]))}"  # type: ignore[index]
        for branch, targets in tier.fines.items()
        for target, band in targets.items()
    ]
    return "，".join(parts) or "原文未载明罚款幅度"


def _context(table: BenchmarkTable, item: Item, tiers: list[Tier], situation: str) -> dict[str, Any]:
    named = "、".join(f"第{t.tier}阶次「{t.condition_text}」" for t in tiers)
    notes = [f"裁量基准：{source_text(table)} {item.id}「{item.title}」"]
    notes += [f"第{t.tier}阶次原文：{t.text}（幅度：{_bands(t)}）" for t in tiers]
    notes += [t.note for t in tiers if t.note]
    return {
        "item_id": item.id,
        "item_title": item.title,
        "source": source_text(table),
        "situation": situation,
        "review_tiers": named,
        "_notes": notes,
    }


@expander("benchmark_review_tier")
def review_tier(tables: Tables) -> list[Variant]:
    variants = []
    for table in tables.of("benchmark"):
        for item in table.items:
            pending = [t for t in item.tiers if t.pending]
            if not pending:
                continue
            for tier in pending:
                ctx = _context(table, item, [tier], f"决定书适用第{tier.tier}阶次")
                variants.append(Variant(f"{item.id}-t{tier.tier}", stated(item, tier), ctx))
            checkable = any(t.checkable for t in item.tiers)
            situation = "案件事实不属于任何可核对的阶次" if checkable else "该事项没有可核对的阶次"
            ctx = _context(table, item, pending, situation)
            variants.append(Variant(f"{item.id}-none", unfitted(table, item), ctx))
    # without review tiers the rule has nothing to do, but it must still compile
    return variants or [Variant("none", Const(False), {})]


def review_tiers(tables: Tables) -> list[tuple[BenchmarkTable, Item, Tier]]:
    """Every review tier (for lint, docs and coverage)."""
    return [
        (table, item, tier)
        for table in tables.of("benchmark")
        for item in table.items
        for tier in item.tiers
        if tier.pending
    ]


def review_tier_hit(table: BenchmarkTable, item: Item, tier: Tier) -> Cond:
    """When a case exercises the tier (coverage): it is stated, or the facts fit no checkable tier."""
    return AnyOf((stated(item, tier), unfitted(table, item)))
