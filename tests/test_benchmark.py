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
    assert jx.source.effective_from is None  # an example table: no validity of its own
    assert {i.clause.article for i in jx.items} >= {94, 96, 97, 99, 101, 102, 108}
    # 应急〔2024〕90号: known, national, in force from 2024-11-01, and its rows NOT loaded (none obtained)
    mem = tables["MEM-2024-90"]
    assert mem.metadata_only and mem.items == []
    assert mem.source.number == "应急〔2024〕90号" and mem.source.region == "00"
    assert mem.source.effective_from == dt.date(2024, 11, 1)
    assert mem.source.verification != "official"


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
        "province": "14",  # the Shanxi table's own region: no BM-011 here
        "agency_prefecture": "1401",
        "agency_region": "140105",
        **{f"f_{k}": v for k, v in facts.items()},
    }
    if tier is not None:
        fact["tier"] = tier
        fact["tier_key"] = str(tier)
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


# ---------------------------------------------------------------- benchmarks as found in the wild


def _codes(engine, fact) -> set[str]:
    return {m.rule_id.split("#")[0] for m in engine.evaluate([fact]).matches if m.rule_id.startswith("BM-")}


def cited(
    ref: str | None, *, tier: str | int | None = None, item: str | None = None, province="36", day=None
):
    from casereview.derive.citations import number_key, quoted_key, tier_key, title_key

    fact = penalty("c", item, 15000, {"locations_count": 2})
    if item is None:
        fact.pop("benchmark_item")
    fact.update(
        {"province": province, "agency_prefecture": province + "01", "agency_region": province + "0111"}
    )
    if day is not None:
        fact["decided_on"] = day.toordinal()
    if ref is not None:
        fact.update(
            benchmark_ref=ref,
            benchmark_ref_number=number_key(ref),
            benchmark_ref_title=quoted_key(ref),
            benchmark_ref_text=title_key(ref),
        )
    if tier is not None:
        fact["tier_key"] = tier_key(tier)
    return {k: v for k, v in fact.items() if v is not None}


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
@pytest.mark.parametrize(
    ("ref", "tier", "item", "province", "day", "expected"),
    [
        # 90号 cited by title+number, letter tier, after it took effect: recognised, not loaded → review only
        (
            "《应急管理行政处罚裁量权基准》（应急〔2024〕90号）",
            "裁量阶次A",
            None,
            "36",
            dt.date(2025, 3, 1),
            {"BM-010"},
        ),
        ("应急[2024]90号", "A", None, "36", dt.date(2025, 3, 1), {"BM-010"}),
        ("应急（2024）第90号", "B", None, "36", dt.date(2025, 3, 1), {"BM-010"}),
        # cited before it took effect: also flagged as not in force
        ("应急〔2024〕90号", "A", None, "36", dt.date(2024, 10, 1), {"BM-010", "BM-004"}),
        # a benchmark nobody loaded, named in words: review, naming it
        (
            "《浙江省安全生产行政处罚自由裁量适用细则（试行）》",
            2,
            None,
            "36",
            dt.date(2024, 5, 1),
            {"BM-010"},
        ),
        # Shanxi's table cited by number by a Jiangxi agency, and by a Shanxi agency
        ("晋应急发〔2021〕260号", 2, None, "36", dt.date(2024, 5, 1), {"BM-011"}),
        ("晋应急发〔2021〕260号", 2, None, "14", dt.date(2024, 5, 1), set()),
        # Shanxi item applied in Jiangxi after Shanxi's table expired
        (None, 2, "SX-2021-99-1", "36", dt.date(2024, 11, 1), {"BM-011", "BM-004"}),
        # unknown item of an unloaded benchmark: BM-010, not BM-005
        ("应急〔2024〕90号", "A", "第26项", "36", dt.date(2025, 3, 1), {"BM-010"}),
        # letter tier on a numbered table: BM-013 (review), never BM-002
        (None, "A", "SX-2021-99-1", "14", dt.date(2024, 5, 1), {"BM-013"}),
    ],
)
def test_benchmarks_as_found_in_the_wild(request, engine_name, ref, tier, item, province, day, expected):
    engine = request.getfixturevalue(engine_name)
    assert _codes(engine, cited(ref, tier=tier, item=item, province=province, day=day)) == expected


def test_region_unknown_is_review_not_silence(oracle):
    fact = cited(None, tier=2, item="SX-2021-99-1", province="14")
    for key in ("province", "agency_prefecture", "agency_region"):
        fact.pop(key)
    assert _codes(oracle, fact) == {"BM-012"}


FINE_A = {"fines": {"initial": {"unit": [0, 10000]}}}
FINE_B = {"fines": {"initial": {"unit": [10000, 30000]}}}


def test_letter_tier_label_matches(book, oracle):
    """A table whose tiers carry the source's letters (as 90号's would) accepts 'A' for tier 1."""
    from casereview.packs.tables.benchmark import ids_of

    table = make_table(
        INCLUSIVE,
        [
            {"tier": 1, "label": "A", "text": "1人", "range": {"var": "headcount", "max": 1}, **FINE_A},
            {"tier": 2, "label": "B", "text": "2人以上", "range": {"var": "headcount", "min": 2}, **FINE_B},
        ],
    )
    assert ids_of(table.items[0]) == ("1", "A", "2", "B")
    variants = claimed_tier(Tables({"benchmark": [table]}))
    fact = {"benchmark_item": table.items[0].id, "f_headcount": 1}
    t1 = next(v for v in variants if v.suffix.endswith("-t1"))
    assert not holds(t1.when, {**fact, "tier_key": "A"})
    assert holds(t1.when, {**fact, "tier_key": "B"})
    assert not holds(t1.when, {**fact, "tier_key": "Z"})  # unknown ids are BM-013's


def test_citation_keys():
    from casereview.derive.citations import number_key, tier_key, title_key

    assert number_key("《应急管理行政处罚裁量权基准》（应急〔2024〕90号）") == number_key("应急[2024]90号")
    from casereview.derive.citations import quoted_key

    assert (
        quoted_key("依据《应急管理行政处罚裁量权基准》（应急〔2024〕90号）") == "应急管理行政处罚裁量权基准"
    )
    assert title_key("应急管理行政处罚裁量权基准") == "应急管理行政处罚裁量权基准"
    # a title quoting a law inside it is keyed whole, never as the law's name
    sx = "适用《中华人民共和国安全生产法》行政处罚自由裁量基准（试行）"
    assert title_key(sx) == quoted_key(f"《{sx}》") != quoted_key(sx)
    assert [tier_key(t) for t in ("裁量阶次A", "a", "第二阶次", 2, "2", "B档")] == [
        "A",
        "A",
        "2",
        "2",
        "2",
        "B",
    ]
