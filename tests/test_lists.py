"""Exemption lists (减免责清单) as data, and the EXM checks (casefiles 14 and 15 included)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "engine") not in sys.path:
    sys.path.insert(0, str(ROOT / "engine"))

from casereview.derive.facts import derive  # noqa: E402
from casereview.load import read_document  # noqa: E402
from casereview.model.case import CaseFile  # noqa: E402

DAY = dt.date(2024, 6, 28).toordinal()


def violation(fid: str, **extra) -> dict:
    fact = {
        "kind": "violation",
        "fid": fid,
        "procedure": "general",
        "decided_on": DAY,
        "province": "32",
        "agency_region": "320509",
        "outcome": "penalty",
        "violation_id": "v1",
        "basis_law": "安全生产法",
        "basis_version": "2021",
        "basis_article": 97,
        "basis_item": 4,
        "first_offence": True,
        "harm": "none",
        "corrected_in_time": True,
        "major_hazard": False,
        "serious_dishonesty": False,
        "fatal_accident_within_3y": False,
        "fined": True,
        "n_fines": 1,
        "adjustment": "none",
        "has_education": False,
        "has_no_penalty_decision": False,
        "has_commitment": False,
        "has_correction_order": True,
        "reinspection_corrected": True,
        "has_reinspection": True,
        "coercive_measure": False,
        "f_training_conducted": True,
        "f_affected_staff": 6,
    }
    fact.update(extra)
    return fact


def codes(engine, facts):
    out = {f["fid"]: set() for f in facts}
    for m in engine.evaluate(facts).matches:
        out[m.fid].add(m.rule_id.split("#")[0])
    return out


def test_shipped_lists(book):
    lists = {t.id: t for t in book.tables.of("exemption_list")}
    assert {"JS-2023", "LC-2024", "BZ-2023", "EXNC"} <= set(lists)
    js = lists["JS-2023"]
    assert [i.id for i in js.items] == [f"JS-2023-{n}" for n in range(1, 7)]
    assert js.preconditions.not_serious_dishonesty
    assert [e.label for e in js.preconditions.extra] == ["3年内未发生过人员死亡的生产安全事故"]
    assert "commitment" in lists["BZ-2023"].follow_up and "commitment" not in js.follow_up
    assert lists["EXNC"].verification == "example"


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
def test_mandatory_item_met_but_fined(request, engine_name):
    engine = request.getfixturevalue(engine_name)
    cases = [
        (violation("met"), True),
        (violation("staff-10", f_affected_staff=10), True),
        (violation("staff-11", f_affected_staff=11), False),
        (violation("not-first", first_offence=False), False),
        (violation("fatal", fatal_accident_within_3y=True), False),
        (violation("dishonest", serious_dishonesty=True), False),
        (violation("serious-harm", harm="serious"), False),
        (violation("other-province", province="36", agency_region="360111"), False),
        (violation("after-expiry", decided_on=dt.date(2025, 5, 1).toordinal()), False),
        (violation("not-fined", fined=False, outcome="no_penalty"), False),
    ]
    found = codes(engine, [f for f, _ in cases])
    for fact, expected in cases:
        assert ("EXM-001" in found[fact["fid"]]) is expected, fact["fid"]


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
def test_list_applied_without_conditions_and_follow_up(request, engine_name):
    engine = request.getfixturevalue(engine_name)
    exempt = {"list_item": "JS-2023-1", "fined": False, "outcome": "no_penalty", "adjustment": "exempt"}
    cases = [
        (violation("ok", has_education=True, **exempt), set()),
        (violation("no-education", **exempt), {"EXM-007"}),  # 行政处罚法 art. 33 ¶3, every 不予处罚
        (violation("not-first", first_offence=False, has_education=True, **exempt), {"EXM-003"}),
        (
            violation("missing-first", has_education=True, **{k: v for k, v in exempt.items()})
            | {"first_offence": None},
            None,
        ),
        (
            violation(
                "bz-no-commitment",
                province="51",
                agency_region="511902",
                has_education=True,
                **{**exempt, "list_item": "BZ-2023-3"},
            ),
            {"EXM-005"},
        ),
        (
            violation(
                "bz-ok",
                province="51",
                agency_region="511902",
                has_education=True,
                has_commitment=True,
                **{**exempt, "list_item": "BZ-2023-3"},
            ),
            set(),
        ),
        (violation("unknown", has_education=True, **{**exempt, "list_item": "ZZ-9"}), {"EXM-006"}),
    ]
    facts = []
    for fact, _ in cases:
        facts.append({k: v for k, v in fact.items() if v is not None})
    found = codes(engine, facts)
    for fact, expected in cases:
        got = {c for c in found[fact["fid"]] if c.startswith("EXM-")}
        if expected is None:  # a missing fact counts as not meeting the condition
            assert "EXM-003" in got
        else:
            assert got == expected, fact["fid"]


def test_coercion_on_no_coercion_item(oracle):
    base = violation(
        "x",
        province="36",
        agency_region="360111",
        decided_on=dt.date(2024, 12, 1).toordinal(),
        basis_article=99,
        basis_item=5,
        list_item="EXNC-1",
    )
    found = codes(oracle, [dict(base, fid="seized", coercive_measure=True), dict(base, fid="none")])
    assert "EXM-004" in found["seized"] and "EXM-004" not in found["none"]


def _case(root, name):
    return CaseFile.model_validate(read_document(root / "casefiles" / name).data)


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
def test_casefiles_14_and_15(request, root, engine_name):
    engine = request.getfixturevalue(engine_name)
    ok = derive(_case(root, "14-wujiang-buyu-chufa.yaml")).facts
    bad = derive(_case(root, "15-wujiang-buyu-chufa-buhegui.yaml")).facts
    ok_codes = {m.rule_id.split("#")[0] for m in engine.evaluate(ok).matches}
    bad_ids = {m.rule_id for m in engine.evaluate(bad).matches}
    assert not {c for c in ok_codes if c.startswith("EXM-")}
    assert any(r.startswith("EXM-003#JS-2023-1-c") for r in bad_ids)  # not first offence; fatal accident
    assert "EXM-007" in bad_ids  # no education record after 不予处罚 (行政处罚法 art. 33 ¶3)


def test_rule_examples_green_on_both_engines(book, oracle, durable):
    from casereview.packs.examples import run_rule_examples

    for engine in (oracle, durable):
        bad = [o for o in run_rule_examples(book, engine) if not o.ok and o.code.startswith("EXM-")]
        assert not bad, [(o.code, o.expect_fail, o.index, o.detail) for o in bad]
