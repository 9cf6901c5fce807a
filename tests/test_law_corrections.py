"""Issue 12 "Errors to correct": one failing and one passing case per item, on both engines,
through the same review path as `check` (rule examples of the packs hold more)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "engine") not in sys.path:
    sys.path.insert(0, str(ROOT / "engine"))

from casereview.packs.examples import review_example  # noqa: E402
from casereview.packs.schema import ExampleCase  # noqa: E402

TWO = [{"name": "张明", "cert": "36011120200001"}, {"name": "李华", "cert": "36011120200002"}]


@pytest.fixture(scope="module", params=["oracle", "durable"])
def engine(request):
    return request.getfixturevalue(request.param)


def review(book, engine, base="general", **edits):
    return review_example(book, ExampleCase(base=base, **edits), engine)[0]


def codes(findings, prefix=""):
    return {f.code for f in findings if f.code.startswith(prefix)}


def basis(article, **extra):
    return {"law": "安全生产法", "version": "2021", "article": article, **extra}


# 1. art. 103 ¶3 second sentence (非法转让施工资质): persons 5万–10万, 吊销资质证书, 没收
def test_1_art_103_3_second_sentence(book, engine):
    person = {"persons": [{"id": "p1", "name": "王五", "role": "responsible_supervisor"}]}
    penalties = [
        {"target": "unit", "type": "fine", "amount": 150000, "violation_ids": ["v1"]},
        {"target": "unit", "type": "licence_revocation", "violation_ids": ["v1"]},
        {"target": "person", "person_id": "p1", "type": "fine", "amount": 80000, "violation_ids": ["v1"]},
    ]
    lawful = {**person, "violations[0].penalty_basis": basis(103, paragraph=3, sentence=2)}
    lawful["decision.penalties"] = penalties
    assert not codes(review(book, engine, set=lawful), "AMT-") & {"AMT-001", "AMT-002", "AMT-012"}
    # the same decision under sentence 1 exceeds its ranges and kinds
    first = {**lawful, "violations[0].penalty_basis": basis(103, paragraph=3, sentence=1)}
    assert {"AMT-001", "AMT-012"} <= codes(review(book, engine, set=first))
    # sentence not stated: never a veto, a review item
    unstated = {**lawful, "violations[0].penalty_basis": basis(103, paragraph=3)}
    found = review(book, engine, set=unstated)
    assert "AMT-014" in codes(found) and not codes(found) & {"AMT-001", "AMT-002", "AMT-012"}


# 2. mandatory personal fines (一案双罚)
def test_2_mandatory_personal_fine_omitted(book, engine):
    art98 = {"violations[0].penalty_basis": basis(98, item=1), "decision.penalties[0].amount": 100000}
    assert "AMT-013" in codes(review(book, engine, set=art98))
    both = {**art98, "persons": [{"id": "p1", "name": "王五", "role": "responsible_supervisor"}]}
    fine = {"target": "person", "person_id": "p1", "type": "fine", "amount": 20000, "violation_ids": ["v1"]}
    assert "AMT-013" not in codes(review(book, engine, set=both, append={"decision.penalties": [fine]}))


# 3. overdue branches add no second fine; art. 112 needs 被责令改正且受到罚款处罚，拒不改正
@pytest.mark.parametrize("article", [(102, "refused_execution"), (104, "overdue_uncorrected")])
def test_3_no_second_fine_in_overdue_branch(book, engine, article):
    number, branch = article
    edits = {
        "violations[0].penalty_basis": basis(number),
        "violations[0].branch": branch,
        "acts[4].result": "not_corrected",
        "decision.penalties[0].amount": 40000,
    }
    assert "AMT-016" in codes(review(book, engine, set={**edits, "violations[0].previously_fined": True}))
    fine_now = review(book, engine, set={**edits, "violations[0].previously_fined": False})
    assert not codes(fine_now) & {"AMT-001", "AMT-002", "AMT-016", "AMT-017"}
    assert "AMT-017" in codes(review(book, engine, set=edits))  # not recorded: review, not veto


def test_3_daily_fine_needs_a_refused_order_and_an_earlier_fine(book, engine):
    daily = {"violations[0].penalty_basis": basis(112)}
    assert "AMT-002" in codes(review(book, engine, set=daily))  # 首次查处
    refused = {**daily, "violations[0].branch": "refused_correction", "acts[4].result": "not_corrected"}
    assert "AMT-016" in codes(review(book, engine, set={**refused, "violations[0].previously_fined": False}))
    ok = review(book, engine, set={**refused, "violations[0].previously_fined": True})
    assert not codes(ok) & {"AMT-002", "AMT-003", "AMT-016", "AMT-017"}


# 4. 刑法 art. 134之一 (二) also covers a refused order to 立即采取排除危险的整改措施
def test_4_transfer_after_refused_rectification_order(book, engine):
    refused = {"violations[0].major_hazard": True, "acts[4].result": "refused"}
    found = review(book, engine, set=refused)
    tr = [f for f in found if f.code == "TR-001"]
    assert tr and tr[0].severity == "review" and "第一百三十四条之一" in tr[0].message
    moved = review(book, engine, set=refused, append={"acts": [{"kind": "transfer", "on": "2024-03-20"}]})
    assert "TR-001" not in codes(moved)
    cites = {b.cite() for b in book.rules["TR-001"].rule.basis}
    assert any("第134条之一" in c for c in cites)


# 5. extension: capped, dated, unverified → review only
def test_5_extension_is_not_a_blank_cheque(book, engine):
    late = review(book, engine, set={"decision.decided_on": "2024-09-03"})  # day 181, extension on file
    found = {f.code: f.severity for f in late if f.code.startswith("DEAD-")}
    assert found.get("DEAD-008") == "review" and found.get("DEAD-007") == "review"
    assert "DEAD-001" not in found
    in_time = review(book, engine, set={"decision.decided_on": "2024-06-04"})
    assert not codes(in_time, "DEAD-00") & {"DEAD-001", "DEAD-007", "DEAD-008"}


# 6. legal review: art. 58 names no amount; local lines are per region, unverified → review
def test_6_legal_review_amounts_never_veto(book, engine):
    no_review = {"remove": ["acts[6]"]}
    big = review(book, engine, set={"decision.penalties[0].amount": 30000}, **no_review)
    assert "LR-001" not in codes(big) and "LR-007" in codes(big)
    assert next(f for f in big if f.code == "LR-007").severity == "review"
    hearing = review(book, engine, base="general-hearing", remove=["acts[9]"])
    assert "LR-001" in codes(hearing)  # art. 58(二): a hearing was held


def test_6_unit_and_person_fines_are_not_added(book, engine):
    split = {
        "decision.penalties[0].amount": 15000,
        "persons": [{"id": "p1", "name": "王五", "role": "responsible_supervisor"}],
    }
    person = {"target": "person", "person_id": "p1", "type": "fine", "amount": 2000, "violation_ids": ["v1"]}
    found = review(book, engine, set=split, remove=["acts[6]"], append={"decision.penalties": [person]})
    assert "LR-007" not in codes(found)


# 7. simple procedure: per party
def test_7_simple_procedure_limit_per_party(book, engine):
    people = [
        {"id": "p1", "name": "王五", "role": "principal"},
        {"id": "p2", "name": "赵六", "role": "other_leader"},
    ]
    fines = [
        {"target": "person", "person_id": pid, "type": "fine", "amount": 200, "violation_ids": ["v1"]}
        for pid in ("p1", "p2")
    ]
    edits = {"decision.penalties[1].amount": 3000, "persons": people}
    assert "AMT-004" not in codes(
        review(book, engine, base="simple", set=edits, append={"decision.penalties": fines})
    )
    fines[0]["amount"] = 201
    assert "AMT-004" in codes(
        review(book, engine, base="simple", set=edits, append={"decision.penalties": fines})
    )


# 8. 行政处罚法 art. 33
def test_8_education_after_any_no_penalty(book, engine):
    none = {"decision.outcome": "no_penalty", "decision.penalties": []}
    assert "EXM-007" in codes(review(book, engine, set=none))
    educated = {"kind": "education", "on": "2024-04-10", "by": TWO, "violation_ids": ["v1"]}
    assert "EXM-007" not in codes(review(book, engine, set=none, append={"acts": [educated]}))


def test_8_first_sentence_needs_no_first_offence_and_no_fault_is_covered(book, engine):
    minor = {
        "violations[0].corrected_in_time": True,
        "violations[0].first_offence": False,
        "violations[0].facts": {"locations_count": 2, "minor_violation": True},
    }
    assert "EXM-002" in codes(review(book, engine, set=minor))
    no_fault = {"violations[0].facts": {"locations_count": 2, "no_subjective_fault": True}}
    assert "EXM-008" in codes(review(book, engine, set=no_fault))
    assert not codes(review(book, engine), "EXM-00") & {"EXM-002", "EXM-008"}


# 9. notice, hearing notice, hearing line, publicity
def test_9_same_day_notice_with_written_waiver(book, engine):
    same_day = {"acts[5].on": "2024-04-10"}
    assert "ORD-002" in codes(review(book, engine, set=same_day))
    waiver = {"kind": "statement", "on": "2024-04-10", "result": "waived"}
    assert "ORD-002" not in codes(review(book, engine, set=same_day, append={"acts": [waiver]}))


def test_9_hearing_notice_exactly_seven_working_days_before(book, engine):
    assert "HEAR-003" not in codes(
        review(book, engine, base="general-hearing", set={"acts[7].on": "2024-04-09"})
    )
    assert "HEAR-003" in codes(review(book, engine, base="general-hearing", set={"acts[7].on": "2024-04-10"}))


def test_9_hearing_line_counts_confiscation(book, engine):
    take = {"target": "unit", "type": "confiscation", "amount": 20000, "violation_ids": ["v1"]}
    assert "HEAR-007" in codes(review(book, engine, append={"decision.penalties": [take]}))
    take = {**take, "amount": 19999}
    assert "HEAR-007" not in codes(review(book, engine, append={"decision.penalties": [take]}))


def test_9_publicity_is_for_production_units(book, engine):
    assert "TS-001" in codes(review(book, engine, remove=["acts[9]"]))
    citizen = review(book, engine, remove=["acts[9]"], set={"party.kind": "individual"})
    assert "TS-001" not in codes(citizen)


# 10. wrong texts
def test_10_under_minimum_message_says_below(book, engine):
    low = {"violations[0].penalty_basis": basis(109), "decision.penalties[0].amount": 49999}
    message = next(f.message for f in review(book, engine, set=low) if f.code == "AMT-001")
    assert "低于" in message and "超出" not in message
    high = {"decision.penalties[0].amount": 50001}
    assert "超出" in next(f.message for f in review(book, engine, set=high) if f.code == "AMT-001")


def test_10_art_92_is_a_fine_clause_and_chapter_6_ends_at_116(book, engine):
    art92 = {"violations[0].penalty_basis": basis(92, paragraph=1), "decision.penalties[0].amount": 50000}
    found = codes(review(book, engine, set=art92))
    assert not found & {"AMT-001", "AMT-011"}
    assert "第九十条至第一百一十六条" in book.rules["AMT-011"].rule.basis[0].note
    assert book.rules["AMT-001"].rule.basis[0].article == 97
    assert book.rules["BM-003"].rule.basis[0].verification == "secondary"


# 11. legal decisions live in YAML
def test_11_no_legal_lists_in_python():
    facts = (ROOT / "engine" / "casereview" / "derive" / "facts.py").read_text(encoding="utf-8")
    exemption = (ROOT / "engine" / "casereview" / "packs" / "tables" / "exemption.py").read_text(
        encoding="utf-8"
    )
    assert "HEAVY_PENALTIES" not in facts and "has_heavy_penalty" not in facts
    assert "fatal_accident_free_years" not in exemption and 'insert(0, "education")' not in exemption
    hearing = (ROOT / "rules" / "packs" / "hearing.yaml").read_text(encoding="utf-8")
    assert "has_penalty_suspension == true" in hearing
    js = (ROOT / "rules" / "tables" / "list-js-2023.yaml").read_text(encoding="utf-8")
    assert "fatal_accident_within_3y == false" in js
