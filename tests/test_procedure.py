"""Procedure rules: certificates on the act date, hearing line (inclusive), hearing chair,
order of acts, transfer candidates."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from casereview.evaluate.durable_engine import DurableEngine
from casereview.evaluate.oracle import OracleEngine
from casereview.packs.examples import review_example
from casereview.packs.loader import load_rulebook
from casereview.packs.schema import ExampleCase

RULES = Path(__file__).resolve().parents[1] / "rules"


@pytest.fixture(scope="module")
def book():
    return load_rulebook()


@pytest.fixture(scope="module", params=["oracle", "durable"])
def engine(request, book):
    if request.param == "oracle":
        return OracleEngine(book.compiled)
    return DurableEngine(book.compiled)


def review(book, engine, base="general", **edits):
    return review_example(book, ExampleCase(base=base, **edits), engine)[0]


def codes(findings):
    return {f.code for f in findings}


# 赵强's certificate is valid to 2024-03-04 inclusive (rules/examples/roster.yaml)
@pytest.mark.parametrize(("day", "invalid"), [("2024-03-04", False), ("2024-03-05", True)])
def test_certificate_expiring_on_the_day_of_the_act(book, engine, day, invalid):
    findings = review(
        book,
        engine,
        set={"acts[0].on": day, "acts[0].by[1]": {"name": "赵强", "cert": "36011120200004"}},
    )
    assert ("CERT-002" in codes(findings)) is invalid
    assert ("CERT-001" in codes(findings)) is invalid


@pytest.mark.parametrize(
    ("kind", "amount", "fires"),
    [
        ("organisation", 20000, True),
        ("organisation", 19999, False),
        ("individual", 3000, True),
        ("individual", 2999, False),
    ],
)
def test_fine_exactly_on_the_hearing_line_is_inclusive(book, engine, kind, amount, fires):
    findings = review(book, engine, set={"party.kind": kind, "decision.penalties[0].amount": amount})
    assert ("HEAR-001" in codes(findings)) is fires


def test_hearing_notified_is_fine(book, engine):
    assert not codes(review(book, engine, base="general-hearing")) & {
        "HEAR-001",
        "HEAR-002",
        "HEAR-003",
        "HEAR-004",
        "HEAR-005",
        "HEAR-006",
        "CERT-006",
    }


def test_hearing_chaired_by_investigators_only(book, engine):
    by = [{"name": "张明", "cert": "36011120200001"}, {"name": "李华", "cert": "36011120200002"}]
    findings = review(book, engine, base="general-hearing", set={"acts[8].by": by})
    cert = [f for f in findings if f.code == "CERT-006"]
    assert cert and cert[0].severity == "veto"


def test_decision_before_hearing_is_veto(book, engine):
    findings = review(
        book,
        engine,
        base="general-hearing",
        set={"decision.decided_on": "2024-04-17", "acts[10].on": "2024-04-17"},
    )
    assert "HEAR-005" in codes(findings)


def test_late_request_without_hearing_is_not_a_defect(book, engine):
    late = review(
        book, engine, base="general-hearing", remove=["acts[7]", "acts[8]"], set={"acts[6].on": "2024-04-10"}
    )
    timely = review(
        book, engine, base="general-hearing", remove=["acts[7]", "acts[8]"], set={"acts[6].on": "2024-04-09"}
    )
    assert "HEAR-002" not in codes(late) and "HEAR-002" in codes(timely)


def test_notice_missing_or_same_day(book, engine):
    assert "ORD-002" in codes(review(book, engine, remove=["acts[5]"]))
    assert "ORD-002" in codes(review(book, engine, set={"acts[5].on": "2024-04-10"}))
    assert "ORD-002" not in codes(review(book, engine))


def test_order_of_acts(book, engine):
    assert "ORD-001" in codes(review(book, engine, set={"case.opened_on": "2024-04-11"}))
    assert "ORD-003" in codes(review(book, engine, set={"acts[8].on": "2024-04-09"}))
    assert "ORD-004" in codes(review(book, engine, set={"acts[5].on": "2024-03-05"}))


def test_seizure_without_video(book, engine):
    seizure = {
        "kind": "seizure",
        "on": "2024-03-05",
        "approved": True,
        "recorded": "text",
        "by": [{"name": "张明", "cert": "36011120200001"}, {"name": "李华", "cert": "36011120200002"}],
    }
    assert "TS-002" in codes(review(book, engine, append={"acts": [seizure]}))
    assert "TS-002" not in codes(review(book, engine, append={"acts": [{**seizure, "recorded": "video"}]}))


def test_refused_stop_order_on_major_hazard_is_transfer_candidate(book, engine):
    two = [{"name": "张明", "cert": "36011120200001"}, {"name": "李华", "cert": "36011120200002"}]
    acts = [
        {"kind": "stop_order", "on": "2024-03-04", "violation_ids": ["v1"], "by": two},
        {"kind": "reinspection", "on": "2024-03-08", "result": "refused", "violation_ids": ["v1"], "by": two},
    ]
    findings = review(book, engine, set={"violations[0].major_hazard": True}, append={"acts": acts})
    tr = [f for f in findings if f.code == "TR-001"]
    assert tr and tr[0].severity == "review" and "2024-03-08" in tr[0].message
    moved = review(
        book,
        engine,
        set={"violations[0].major_hazard": True},
        append={"acts": [*acts, {"kind": "transfer", "on": "2024-03-12"}]},
    )
    assert "TR-001" not in codes(moved)
