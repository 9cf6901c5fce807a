"""A legal number the packs do not hold for a case is unknown, never silently "not reached".

A rule's `field op $param` reads the value in force on the case's date for the agency's region
(evaluate/parameters.py). Where the packs hold none — a decision before the first period (the
law then in force is not loaded), a region no entry lists, an entry with `value: null` — the
rule gives a 待人工评查 item naming the missing value, on both engines; no veto, no deduction,
the grade 暂定. Adding a region's value to the parameter is enough to check that region: no
rule names a province.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from casereview.cli import main
from casereview.evaluate.parameters import ParameterValues
from casereview.packs.compiled import CompiledRule
from casereview.packs.conditions import Cmp, Ref, param_field
from casereview.packs.schema import Parameter
from casereview.packs.uncertain import HAS_UNKNOWN, HI, LO, UNBOUNDED, UNK

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "rules" / "examples"
ROSTER = EXAMPLES / "roster.yaml"
ENGINES = ["durable", "oracle"]


def _result(path: Path, *extra: str, engine: str = "durable") -> dict:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main(
            [
                "check",
                str(path),
                "--roster",
                str(ROSTER),
                "--format",
                "json",
                "--no-cache",
                "--engine",
                engine,
                *extra,
            ]
        )
    return json.loads(buffer.getvalue())["results"][0]


def _edited(tmp_path: Path, base: str, *edits: tuple[str, str]) -> Path:
    text = (EXAMPLES / f"{base}.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{base}-edited.yaml"
    path.write_text(text, encoding="utf-8")
    return path


JIANGSU = ('region: "360111"', 'region: "320509"')


def _codes(result: dict, severity: str | None = None) -> set[str]:
    return {f["code"] for f in result["findings"] if severity is None or f["severity"] == severity}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_simple_fine_before_the_2021_law_is_a_review_item_not_a_pass(tmp_path, engine):
    """2020: the on-the-spot limits then in force (the 2017 text) are not loaded; 2,000 元 to a
    company was silently 优秀 before."""
    path = _edited(tmp_path, "simple", ("2024-06-03", "2020-06-03"), ("amount: 1000", "amount: 2000"))
    result = _result(path, engine=engine)
    items = [f for f in result["findings"] if f["code"] == "AMT-004"]
    assert [f["severity"] for f in items] == ["review"] and items[0]["rule_severity"] == "veto"
    assert "2021-07-15起" in items[0]["message"] and "2020-06-03" in items[0]["message"]
    assert not _codes(result, "veto") and not _codes(result, "deduct")
    assert result["score"]["grade"] == "良好" and result["score"]["provisional"] >= 1
    assert {"AMT-004", "LAW-001"} <= {n["code"] for n in result["not_run"]}
    assert "LAW-001" in _codes(result, "review")  # the whole file: the law then in force is not loaded


@pytest.mark.parametrize("engine", ENGINES)
def test_the_same_fine_after_2021_is_judged_by_the_loaded_limit(tmp_path, engine):
    within = _result(_edited(tmp_path, "simple", ("amount: 1000", "amount: 3000")), engine=engine)
    assert "AMT-004" not in _codes(within)
    over = _result(_edited(tmp_path, "simple", ("amount: 1000", "amount: 3001")), engine=engine)
    assert "AMT-004" in _codes(over, "veto")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_region_without_a_hearing_amount_gets_a_review_item_naming_it(tmp_path, engine):
    result = _result(_edited(tmp_path, "general", JIANGSU), engine=engine)
    items = [f for f in result["findings"] if f["code"] == "HEAR-001"]
    assert [f["severity"] for f in items] == ["review"] and items[0]["rule_severity"] == "veto"
    message = items[0]["message"]
    assert "$hearing_line_org" in message and "320509" in message
    assert (
        "$hearing_line_citizen" not in message
    )  # only a company is fined: the citizens' amount does not matter
    assert "未核实" in message  # the 2015 办法 default is named as unverified, not applied
    assert result["score"]["grade"] == "良好" and not result["score"]["vetoed"]


@pytest.mark.parametrize("engine", ENGINES)
def test_no_fine_no_question_of_the_amount(tmp_path, engine):
    warning_only = (
        "- {target: unit, type: fine, amount: 15000, violation_ids: [v1]}",
        "- {target: unit, type: warning, violation_ids: [v1]}",
    )
    result = _result(_edited(tmp_path, "general", JIANGSU, warning_only), engine=engine)
    assert "HEAR-001" not in _codes(result)


def test_legal_review_outside_jiangxi_is_a_review_item(tmp_path):
    legal_review = re.search(
        r"  - \{kind: legal_review.*\n", (EXAMPLES / "general.yaml").read_text(encoding="utf-8")
    )
    assert legal_review
    result = _result(_edited(tmp_path, "general", JIANGSU, (legal_review.group(0), "")))
    items = [f for f in result["findings"] if f["code"] == "LR-007"]
    assert items and "$review_line_org" in items[0]["message"] and "地区代码 36" in items[0]["message"]


def _with_jiangsu_amount(tmp_path: Path) -> Path:
    """The shipped rules plus a (test-only) Jiangsu hearing amount for companies: data only."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    pack = rules / "packs" / "hearing.yaml"
    text = pack.read_text(encoding="utf-8")
    anchor = "  hearing_line_citizen:\n"
    added = (
        "      - from: 2021-07-15\n"
        '        regions: ["32"]\n'
        "        value: 30000\n"
        "        basis:\n"
        "          - instrument: 测试用地区数额\n"
        "            verification: unverified\n"
    )
    pack.write_text(text.replace(anchor, added + anchor, 1), encoding="utf-8")
    return rules


@pytest.mark.parametrize("engine", ENGINES)
def test_adding_a_regions_value_checks_that_region_without_a_rule_edit(tmp_path, engine):
    rules = _with_jiangsu_amount(tmp_path)
    below = _result(_edited(tmp_path, "general", JIANGSU), "--rules", str(rules), engine=engine)
    assert "HEAR-001" not in _codes(below)  # 15,000 < 30,000: decided, no item
    at = _result(
        _edited(tmp_path, "general", JIANGSU, ("amount: 15000", "amount: 30000")),
        "--rules",
        str(rules),
        engine=engine,
    )
    assert "HEAR-001" in _codes(at, "veto")


# ---------------------------------------------------------------- the values put on facts

LINE = Parameter.model_validate(
    {
        "description": "测试数额",
        "date_field": "decided_on",
        "values": [
            {
                "from": "2021-01-01",
                "regions": ["36"],
                "value": 100,
                "basis": [{"instrument": "甲", "verification": "unverified"}],
            },
            {
                "from": "2022-01-01",
                "regions": ["36"],
                "value": 200,
                "basis": [{"instrument": "乙", "verification": "unverified"}],
            },
            {
                "from": "2023-01-01",
                "regions": ["36"],
                "value": None,
                "basis": [{"instrument": "丙", "verification": "unverified"}],
            },
        ],
    }
)
DAY = {y: __import__("datetime").date(y, 6, 1).toordinal() for y in (2020, 2021, 2022, 2023)}


def _applied(**fact) -> dict:
    values = ParameterValues(
        [
            CompiledRule(
                "T", "T", "case", Cmp("fine", "gte", ref=Ref("param_line")), parameters=(("line", LINE),)
            )
        ]
    )
    facts = [
        {
            "kind": "case",
            "fid": "case",
            HAS_UNKNOWN: False,
            "province": "36",
            "agency_region": "360111",
            **fact,
        }
    ]
    values.apply(facts)
    return facts[0]


def test_the_value_in_force_is_put_on_the_fact():
    assert _applied(decided_on=DAY[2021])[param_field("line")] == 100
    assert _applied(decided_on=DAY[2022])[param_field("line")] == 200
    assert _applied(decided_on=DAY[2022])[HAS_UNKNOWN] is False


@pytest.mark.parametrize(
    ("fact", "words"),
    [
        ({"decided_on": DAY[2020]}, "只载入了2021-01-01起"),  # before the first period
        ({"decided_on": DAY[2023]}, "未经核实"),  # value: null
        (
            {"decided_on": DAY[2022], "province": "32", "agency_region": "320509"},
            "没有执法机关所在地区（320509）",
        ),
    ],
)
def test_a_value_not_held_is_unknown_with_its_reason(fact, words):
    out = _applied(**fact)
    name = param_field("line")
    assert name not in out and out[name + UNK] is True and out[HAS_UNKNOWN] is True
    assert (out[name + LO], out[name + HI]) == (-UNBOUNDED, UNBOUNDED)
    assert words in out["__why"][name]


def test_a_date_known_to_the_year_gives_the_interval_of_the_values():
    out = _applied(
        **{
            "decided_on__unk": True,
            "decided_on__lo": DAY[2021],
            "decided_on__hi": DAY[2022],
            HAS_UNKNOWN: True,
            "__why": {"decided_on": "决定日期仅知「2021-2022」"},
        }
    )
    name = param_field("line")
    assert (out[name + UNK], out[name + LO], out[name + HI]) == (True, 100, 200)
    assert out["__why"][name] == "决定日期仅知「2021-2022」"


def test_two_files_with_the_same_unknown_date_keep_their_own_reasons():
    """The values are remembered by date and region: an unknown date's reason is part of that."""
    values = ParameterValues(
        [
            CompiledRule(
                "T", "T", "case", Cmp("fine", "gte", ref=Ref("param_line")), parameters=(("line", LINE),)
            )
        ]
    )
    name = param_field("line")
    facts = []
    for reason in ("决定日期（decision.decided_on）未记载", "处理决定（decision）未载明"):
        facts.append(
            {
                "kind": "case",
                "fid": "case",
                HAS_UNKNOWN: True,
                "province": "36",
                "agency_region": "360111",
                "decided_on__unk": True,
                "decided_on__lo": -UNBOUNDED,
                "decided_on__hi": UNBOUNDED,
                "__why": {"decided_on": reason},
            }
        )
        values.apply(facts[-1:])
    assert [f["__why"][name] for f in facts] == [
        "决定日期（decision.decided_on）未记载",
        "处理决定（decision）未载明",
    ]
