"""Deadline rules (DEAD-, HEAR-003) on the official working calendar: boundaries, 调休, rollover, 2027."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from casereview.evaluate.oracle import OracleEngine
from casereview.packs.examples import review_example
from casereview.packs.loader import load_rulebook
from casereview.packs.schema import ExampleCase

RULES = Path(__file__).resolve().parents[1] / "rules"


@pytest.fixture(scope="module")
def book():
    return load_rulebook()


@pytest.fixture(scope="module")
def engine(book):
    return OracleEngine(book.compiled)


def review(book, engine, base="general", **edits):
    findings, derived, _ = review_example(book, ExampleCase(base=base, **edits), engine)
    case_fact = next(f for f in derived.facts if f["kind"] == "case")
    return findings, derived, case_fact


def codes(findings):
    return {f.code for f in findings}


def moved_decision(decided: str, service: str, publicity: str | None = None, opened: str = "2024-08-20"):
    """general.yaml with the decision moved: notice and review before, service/publicity after."""
    sets = {
        "case.opened_on": opened,
        "acts[2].on": opened,
        "acts[5].on": opened,
        "acts[6].on": decided,
        "acts[7].on": decided,
        "decision.decided_on": decided,
        "acts[8].on": service,
        "acts[9].on": publicity or service,
        "acts[10].on": service,
        "acts[11].on": service,
    }
    # inquiry/inspection before the (later) opening are allowed kinds; keep them
    return {"set": sets, "remove": ["acts[12]"]}  # drop the base case's extension approval (dated before)


@pytest.mark.parametrize(("service", "workdays", "late"), [("2024-10-11", 7, False), ("2024-10-12", 8, True)])
def test_service_7th_and_8th_working_day_across_2024_national_day(book, engine, service, workdays, late):
    # decided Thu 09-26: 09-27 (1), Sun 09-29 调休 (2), 09-30 (3), 10-08..11 (4-7), Sat 10-12 调休 (8)
    findings, _, fact = review(book, engine, **moved_decision("2024-09-26", service))
    assert fact["service_workdays"] == workdays
    assert ("DEAD-002" in codes(findings)) is late
    if late:
        msg = next(f.message for f in findings if f.code == "DEAD-002")
        assert "第 8 个工作日" in msg


@pytest.mark.parametrize(("publicity", "late"), [("2024-10-11", False), ("2024-10-12", True)])
def test_publicity_across_national_day(book, engine, publicity, late):
    findings, _, _ = review(book, engine, **moved_decision("2024-09-26", "2024-09-27", publicity))
    assert ("DEAD-003" in codes(findings)) is late


def test_hearing_notice_gap_across_national_day(book, engine):
    # notice of hearing Thu 09-26, hearing 10-14: strictly between = 09-27, 09-29, 09-30, 10-08..10-12 = 8
    base = {
        "acts[7].on": "2024-09-26",
        "acts[8].on": "2024-10-14",
        "acts[9].on": "2024-10-15",
        "acts[10].on": "2024-10-16",
        "decision.decided_on": "2024-10-16",
        "acts[11].on": "2024-10-17",
        "acts[12].on": "2024-10-18",
        "acts[5].on": "2024-09-20",
        "acts[6].on": "2024-09-23",
    }
    findings, _, fact = review(book, engine, base="general-hearing", set=base)
    assert fact["hearing_notice_gap_workdays"] == 8
    assert fact["hearing_notice_workdays"] == 9  # notice day not counted, hearing day counted
    assert "HEAR-003" not in codes(findings)
    # hearing on 10-11: 09-27, 09-29, 09-30, 10-08, 10-09, 10-10, 10-11 → the 7th working day: in time
    # (行政处罚法 art. 64(二) "七日前": exactly seven working days before is in time)
    findings, _, fact = review(book, engine, base="general-hearing", set={**base, "acts[8].on": "2024-10-11"})
    assert fact["hearing_notice_workdays"] == 7
    assert "HEAR-003" not in codes(findings)
    # hearing on 10-10: the 6th working day → late notice
    findings, _, fact = review(book, engine, base="general-hearing", set={**base, "acts[8].on": "2024-10-10"})
    assert fact["hearing_notice_workdays"] == 6
    assert "HEAR-003" in codes(findings)


def test_decision_limit_rolls_over_holiday(book, engine):
    # opened 2024-07-03: day 90 is 2024-10-01 (National Day) → last day rolls to 10-08
    ok, _, fact = review(book, engine, **moved_decision("2024-10-08", "2024-10-09", opened="2024-07-03"))
    assert fact["decision_calendar_days"] == 97 and fact["decision_natural_days"] == 90
    assert "DEAD-001" not in codes(ok)
    late, _, _ = review(book, engine, **moved_decision("2024-10-09", "2024-10-10", opened="2024-07-03"))
    dead = [f for f in late if f.code == "DEAD-001"]
    assert dead and "98 个自然日" in dead[0].message


def test_decision_limit_exact_90_and_91(book, engine):
    no_extension = ["acts[12]"]  # the base case carries an approved extension
    f90, _, _ = review(book, engine, set={"decision.decided_on": "2024-06-04"}, remove=no_extension)
    f91, _, _ = review(book, engine, set={"decision.decided_on": "2024-06-05"}, remove=no_extension)
    assert "DEAD-001" not in codes(f90) and "DEAD-001" in codes(f91)


def test_2027_deadline_is_decided_only_when_every_possible_calendar_agrees(book, engine):
    """2027 is not in the calendar package: the Mon–Fri estimate is shown, but which 2027 days are
    holidays or 调休 workdays is not known, so the service deadline is a 待人工评查 item naming the
    missing calendar — never a deduction, and not a pass either (the grade is 暂定)."""
    findings, derived, fact = review(
        book, engine, **moved_decision("2027-03-05", "2027-03-17", opened="2027-02-01")
    )
    assert fact["calendar_incomplete"] is True
    assert fact["service_workdays__unk"] is True
    assert (fact["service_workdays__lo"], fact["service_workdays__hi"]) == (0, 12)  # estimate: 8
    assert any("2027" in n and "估算" in n for n in derived.notes)
    dead = [f for f in findings if f.code == "DEAD-002"]
    assert dead and all(f.severity == "review" and f.unknown for f in dead)
    assert "2027年的法定节假日和调休安排" in dead[0].message
    on_time, _, _ = review(book, engine, **moved_decision("2027-03-05", "2027-03-12", opened="2027-02-01"))
    assert "DEAD-002" not in codes(on_time)  # 7 natural days: within 7 working days on any calendar


def test_a_deadline_missed_on_known_days_is_a_deduction_whatever_the_next_year_brings(book, engine):
    # decided 2026-12-10; 2026-12-11..31 alone hold 15 working days, so service on 2027-01-05 is late
    # on every possible 2027 calendar: the deduction stands, its message says the calendar was estimated
    findings, _, fact = review(
        book, engine, **moved_decision("2026-12-10", "2027-01-05", opened="2026-11-20")
    )
    assert fact["service_workdays__lo"] >= 15
    dead = [f for f in findings if f.code == "DEAD-002"]
    assert dead and dead[0].severity == "deduct" and "估算" in dead[0].message and "2027" in dead[0].message


def test_2026_period_finding_says_measures_unverified(book, engine):
    findings, _, _ = review(
        book,
        engine,
        set={
            "case.opened_on": "2026-03-02",
            "acts[2].on": "2026-03-02",
            "decision.decided_on": "2026-03-10",
            "acts[8].on": "2026-03-20",
        },
    )
    dead = next(f for f in findings if f.code == "DEAD-002")
    assert any("应急管理部令第18号" in n and "未核实" in n for n in dead.notes)
    # the same delay in 2024 carries no such note
    findings, _, _ = review(book, engine, set={"acts[8].on": "2024-04-22"})
    dead = next(f for f in findings if f.code == "DEAD-002")
    assert not any("第18号" in n for n in dead.notes)


def test_preservation_seven_working_days(book, engine):
    presv = {
        "kind": "preservation",
        "on": "2024-09-26",
        "approved": True,
        "by": [{"name": "张明", "cert": "36011120200001"}, {"name": "李华", "cert": "36011120200002"}],
    }
    on_time, _, _ = review(
        book, engine, append={"acts": [presv, {"kind": "preservation_decision", "on": "2024-10-11"}]}
    )
    late, _, _ = review(
        book, engine, append={"acts": [presv, {"kind": "preservation_decision", "on": "2024-10-12"}]}
    )
    assert "DEAD-004" not in codes(on_time) and "DEAD-004" in codes(late)
