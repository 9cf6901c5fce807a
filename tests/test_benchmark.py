"""Benchmark tables: boundary conventions, tier conditions, overlaps, and the BM checks."""

from __future__ import annotations

import copy
import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "engine") not in sys.path:
    sys.path.insert(0, str(ROOT / "engine"))

from casereview.evaluate.oracle import holds  # noqa: E402
from casereview.packs.expanders import Tables  # noqa: E402
from casereview.packs.tables.benchmark import (  # noqa: E402
    BenchmarkTable,
    claimed_tier,
    fine_outside_tier,
    overlaps,
    situations,
    tier_condition,
)

DAY = dt.date(2024, 4, 10).toordinal()


def make_table(boundary: dict, tiers: list[dict], var_type: str = "int") -> BenchmarkTable:
    return BenchmarkTable.model_validate(
        {
            "table": {"type": "benchmark", "id": "T"},
            "source": {
                "title": "测试",
                "issuer": "测试",
                "region": "36",
                "verification": "example",
                "boundary": boundary,
            },
            "items": [
                {
                    "id": "TT-1",
                    "title": "测试事项",
                    "clause": {"article": 108},
                    "variables": {"headcount": {"type": var_type, "label": "从业人员人数"}},
                    "tiers": tiers,
                }
            ],
        }
    )


TIERS_100 = [
    {
        "tier": 1,
        "text": "100人以下",
        "range": {"var": "headcount", "max": 100, "max_word": "以下"},
        "fines": {"refused_correction": {"unit": [20000, 100000]}},
    },
    {
        "tier": 2,
        "text": "100人以上",
        "range": {"var": "headcount", "min": 100, "min_word": "以上"},
        "fines": {"refused_correction": {"unit": [100000, 200000]}},
    },
]
INCLUSIVE = {"以上": True, "以下": True}
EXCLUSIVE_BELOW = {"以上": True, "以下": False, "note": "2007年办法第六十七条：以下不包括本数"}


@pytest.mark.parametrize(
    ("boundary", "value", "tier1", "tier2"),
    [
        (INCLUSIVE, 99, True, False),
        (INCLUSIVE, 100, True, True),  # both words include 100: the source overlaps
        (INCLUSIVE, 101, False, True),
        (EXCLUSIVE_BELOW, 99, True, False),
        (EXCLUSIVE_BELOW, 100, False, True),  # 以下 excludes 100 under this convention
        (EXCLUSIVE_BELOW, 101, False, True),
    ],
)
def test_boundary_convention(boundary, value, tier1, tier2):
    table = make_table(boundary, TIERS_100)
    item = table.items[0]
    fact = {"f_headcount": value}
    assert holds(tier_condition(table, item, item.tiers[0]), fact) is tier1
    assert holds(tier_condition(table, item, item.tiers[1]), fact) is tier2


def test_words_不满_超过_exclude():
    tiers = [
        {
            "tier": 1,
            "text": "不满100人",
            "range": {"var": "headcount", "max": 100, "max_word": "不满"},
            "fines": {"refused_correction": {"unit": [20000, 100000]}},
        },
        {
            "tier": 2,
            "text": "超过100人",
            "range": {"var": "headcount", "min": 100, "min_word": "超过"},
            "fines": {"refused_correction": {"unit": [100000, 200000]}},
        },
    ]
    table = make_table(INCLUSIVE, tiers)
    item = table.items[0]
    assert not overlaps(table, *item.tiers)
    assert holds(tier_condition(table, item, item.tiers[0]), {"f_headcount": 99})
    assert not holds(tier_condition(table, item, item.tiers[0]), {"f_headcount": 100})
    assert not holds(tier_condition(table, item, item.tiers[1]), {"f_headcount": 100})


def test_overlap_only_under_inclusive_convention():
    assert overlaps(make_table(INCLUSIVE, TIERS_100), *make_table(INCLUSIVE, TIERS_100).items[0].tiers)
    table = make_table(EXCLUSIVE_BELOW, TIERS_100)
    assert not overlaps(table, *table.items[0].tiers)


def test_overlap_variant_carries_note():
    table = make_table(INCLUSIVE, TIERS_100)
    tables = Tables(by_type={"benchmark": [table]})
    sits = situations(table, table.items[0])
    assert [tuple(t.tier for t in tiers) for tiers, _ in sits] == [(1,), (2,), (1, 2)]
    overlap = [v for v in fine_outside_tier(tables) if "-t1+2-" in v.suffix]
    assert overlap and any("重叠" in n for n in overlap[0].context["_notes"])
    # at exactly 100 the combined band 2万–20万 applies: 15万 is not outside, 20万+1 is
    fact = {
        "benchmark_item": "TT-1",
        "branch": "refused_correction",
        "target": "unit",
        "f_headcount": 100,
        "adjustment": "none",
    }
    fired = [v.suffix for v in fine_outside_tier(tables) if holds(v.when, {**fact, "amount": 150000})]
    assert not fired
    fired = [v.suffix for v in fine_outside_tier(tables) if holds(v.when, {**fact, "amount": 200001})]
    assert fired == ["TT-1-t1+2-refused_correction-unit-hi"]
    claimed = [v for v in claimed_tier(tables) if holds(v.when, {**fact, "tier": 2})]
    assert not claimed


def test_tier_when_string_syntax():
    tiers = [
        {
            "tier": 1,
            "text": "3人以下或20%以下",
            "when": {"any": ["f_headcount <= 3"]},
            "fines": {"initial": {"unit": [0, 30000]}},
        },
    ]
    table = make_table(INCLUSIVE, tiers)
    item = table.items[0]
    assert holds(tier_condition(table, item, item.tiers[0]), {"f_headcount": 3})
    bad = copy.deepcopy(tiers)
    bad[0]["when"] = "f_undeclared <= 3"
    table = make_table(INCLUSIVE, bad)
    with pytest.raises(ValueError):
        tier_condition(table, table.items[0], table.items[0].tiers[0])


def test_shipped_tables(book):
    tables = {t.id: t for t in book.tables.of("benchmark")}
    sx = tables["SX-2021"]
    assert sx.source.verification == "official"
    assert sx.source.effective_to == dt.date(2024, 10, 31)
    assert {i.id for i in sx.items} == {"SX-2021-99-1", "SX-2021-108", "SX-2021-97-4"}
    a4 = next(i for i in sx.items if i.id == "SX-2021-97-4")
    assert [t.tier for t in a4.tiers] == [1, 2]  # tier 3 not seen in the source: left out
    jx = tables["JX-EXAMPLE"]
    assert jx.source.verification == "example" and jx.source.region == "36"
    assert jx.source.effective_from == dt.date(2024, 11, 1)
    assert {i.clause.article for i in jx.items} >= {94, 96, 97, 99, 101, 102, 108}


def penalty(fid, item, amount, facts, *, tier=None, branch="initial", target="unit"):
    fact = {
        "kind": "penalty",
        "fid": fid,
        "procedure": "general",
        "decided_on": DAY,
        "committed_on": DAY - 30,
        "penalty_type": "fine",
        "basis_law": "安全生产法",
        "basis_version": "2021",
        "basis_version_stated": True,
        "basis_article": 99,
        "basis_item": 1,
        "basis_paragraph_stated": False,
        "combined": False,
        "branch": branch,
        "target": target,
        "amount": amount,
        "adjustment": "none",
        "escalation_evidence": True,
        "benchmark_item": item,
        "discretion_stated": True,
        **{f"f_{k}": v for k, v in facts.items()},
    }
    if tier is not None:
        fact["tier"] = tier
    return fact


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
def test_sx_99_1_tiers(request, engine_name):
    engine = request.getfixturevalue(engine_name)
    cases = [
        (penalty("t1-ok", "SX-2021-99-1", 10000, {"locations_count": 1}, tier=1), set()),
        (penalty("t1-hi", "SX-2021-99-1", 10001, {"locations_count": 1}, tier=1), {"BM-001"}),
        (penalty("t2-ok", "SX-2021-99-1", 20000, {"locations_count": 2}, tier=2), set()),
        (penalty("t2-claim3", "SX-2021-99-1", 20000, {"locations_count": 2}, tier=3), {"BM-002"}),
        (penalty("t4-as-t2", "SX-2021-99-1", 15000, {"locations_count": 4}, tier=2), {"BM-001", "BM-002"}),
        (penalty("t5-ok", "SX-2021-99-1", 50000, {"locations_count": 9}, tier=5), set()),
        (penalty("t5-lo", "SX-2021-99-1", 29999, {"locations_count": 9}, tier=5), {"BM-001"}),
        (penalty("no-facts", "SX-2021-99-1", 15000, {}, tier=2), {"BM-007"}),
        (penalty("zero", "SX-2021-99-1", 15000, {"locations_count": 0}, tier=1), {"BM-008"}),
        (penalty("unknown", "ZZ-1", 15000, {"locations_count": 2}), {"BM-005"}),
    ]
    found = {f["fid"]: set() for f, _ in cases}
    for m in engine.evaluate([f for f, _ in cases]).matches:
        code = m.rule_id.split("#")[0]
        if code.startswith("BM-"):
            found[m.fid].add(code)
    for fact, expected in cases:
        assert found[fact["fid"]] == expected, fact["fid"]


def test_casefile_12_tier_mismatch(root, book, oracle):
    from casereview.derive.facts import derive
    from casereview.load import read_document
    from casereview.model.case import CaseFile

    case = CaseFile.model_validate(read_document(root / "casefiles" / "12-yuanzhou-jieci-buyizhi.yaml").data)
    codes = {m.rule_id.split("#")[0] for m in oracle.evaluate(derive(case).facts).matches}
    assert {"BM-001", "BM-002"} <= codes


def test_rule_examples_green_on_both_engines(book, oracle, durable):
    from casereview.packs.examples import run_rule_examples

    for engine in (oracle, durable):
        bad = [o for o in run_rule_examples(book, engine) if not o.ok and o.code.startswith("BM-")]
        assert not bad, [(o.code, o.expect_fail, o.index, o.detail) for o in bad]
