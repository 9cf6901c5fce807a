"""Statutory penalty clauses (安全生产法 2021 arts. 93–114) as data, and the AMT checks built on them.

Every fixed-yuan clause is probed just inside and just outside each bound, on both engines.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "engine") not in sys.path:
    sys.path.insert(0, str(ROOT / "engine"))

from casereview.packs.tables.statute import StatuteTable  # noqa: E402

DAY = dt.date(2024, 4, 10).toordinal()
STATUTES = ROOT / "docs" / "statutes"


@pytest.fixture(scope="module")
def statute(book) -> StatuteTable:
    return next(t for t in book.tables.of("statute") if t.id == "安全生产法-2021")


def penalty(
    fid: str, article: int, amount: int, *, branch: str = "initial", target: str = "unit", **extra
) -> dict:
    fact = {
        "kind": "penalty",
        "fid": fid,
        "procedure": "general",
        "decided_on": DAY,
        "committed_on": DAY - 40,
        "ended_on": DAY - 40,
        "penalty_type": "fine",
        "basis_law": "安全生产法",
        "basis_version": "2021",
        "basis_version_stated": True,
        "basis_article": article,
        "basis_paragraph_stated": False,
        "basis_sentence_stated": False,
        "combined": False,
        "branch": branch,
        "target": target,
        "amount": amount,
        "adjustment": "none",
        "escalation_evidence": True,
    }
    fact.update(extra)
    if "basis_paragraph" in fact:
        fact["basis_paragraph_stated"] = True
    return fact


def codes_by_fid(engine, facts) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {f["fid"]: set() for f in facts}
    for match in engine.evaluate(facts).matches:
        out[match.fid].add(match.rule_id.split("#")[0])
    return out


def probes(statute: StatuteTable):
    """(fact, expect AMT-001) for every fixed-yuan fine: bounds and one yuan beyond."""
    cases = []
    for clause in statute.clauses:
        for rule in clause.branches:
            for fine in rule.fines:
                bounds = fine.bounds()
                if bounds is None:
                    continue
                lo, hi = bounds
                extra = {"basis_paragraph": clause.paragraph} if clause.paragraph else {}
                if clause.sentence:
                    extra.update(basis_sentence=clause.sentence, basis_sentence_stated=True)
                if fine.accident_grade:
                    extra["accident_grade"] = fine.accident_grade
                branch = rule.branch[0]
                where = (
                    clause.article,
                    clause.paragraph,
                    clause.sentence,
                    branch,
                    fine.target,
                    fine.accident_grade,
                )
                tag = "-".join(str(part) for part in where)
                amounts = [(hi, False), (hi + 1, True)]
                if lo > 0:
                    amounts += [(lo, False), (lo - 1, True)]
                for amount, bad in amounts:
                    cases.append(
                        (
                            penalty(
                                f"{tag}-{amount}",
                                clause.article,
                                amount,
                                branch=branch,
                                target=fine.target,
                                **extra,
                            ),
                            bad,
                        )
                    )
    return cases


def test_statute_table_loads_every_article(statute):
    assert statute.verification == "official"
    assert statute.in_force == dt.date(2021, 9, 1)
    assert {
        93,
        94,
        95,
        96,
        97,
        98,
        99,
        100,
        101,
        102,
        103,
        104,
        105,
        106,
        107,
        108,
        109,
        110,
        112,
        114,
    } <= statute.articles()


def test_quotes_are_verbatim(statute):
    """Every clause quote is the statute's text (the repository's copy, found relative to it)."""
    from casereview.packs.quotes import statute_table_quotes

    assert STATUTES.is_dir()
    assert not [p.message for p in statute_table_quotes(statute, STATUTES)]


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
def test_every_clause_bound_inside_and_outside(request, statute, engine_name):
    engine = request.getfixturevalue(engine_name)
    cases = probes(statute)
    assert len(cases) > 60
    found = codes_by_fid(engine, [fact for fact, _ in cases])
    wrong = [(fact["fid"], bad) for fact, bad in cases if ("AMT-001" in found[fact["fid"]]) != bad]
    assert not wrong


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
def test_arithmetic_shapes(request, engine_name):
    engine = request.getfixturevalue(engine_name)
    person = {"target": "person", "person_role": "principal"}
    cases = [
        # 110: 60%–100% of last year's income
        (penalty("110-lo", 110, 120000, branch="accident", person_income=200000, **person), False),
        (penalty("110-lo-1", 110, 119999, branch="accident", person_income=200000, **person), True),
        (penalty("110-hi", 110, 200000, branch="accident", person_income=200000, **person), False),
        (penalty("110-hi+1", 110, 200001, branch="accident", person_income=200000, **person), True),
        # 95: fixed 40% for an ordinary accident
        (
            penalty(
                "95-ok",
                95,
                40000,
                branch="accident",
                accident_grade="ordinary",
                person_income=100000,
                **person,
            ),
            False,
        ),
        (
            penalty(
                "95-over",
                95,
                40001,
                branch="accident",
                accident_grade="ordinary",
                person_income=100000,
                **person,
            ),
            True,
        ),
        (
            penalty(
                "95-under",
                95,
                39999,
                branch="accident",
                accident_grade="ordinary",
                person_income=100000,
                **person,
            ),
            True,
        ),
        # 96 accident: 20%–50%
        (
            penalty(
                "96-ok",
                96,
                50000,
                branch="accident",
                person_income=100000,
                target="person",
                person_role="safety_manager",
            ),
            False,
        ),
        (
            penalty(
                "96-over",
                96,
                50001,
                branch="accident",
                person_income=100000,
                target="person",
                person_role="safety_manager",
            ),
            True,
        ),
        # 103 ¶1: gains ≥ 10万 → 2–5×; otherwise 10万–20万
        (penalty("103-g-hi", 103, 750000, basis_paragraph=1, illegal_gains=150000), False),
        (penalty("103-g-hi+1", 103, 750001, basis_paragraph=1, illegal_gains=150000), True),
        (penalty("103-g-lo", 103, 300000, basis_paragraph=1, illegal_gains=150000), False),
        (penalty("103-g-lo-1", 103, 299999, basis_paragraph=1, illegal_gains=150000), True),
        (penalty("103-n-hi", 103, 200000, illegal_gains=99999), False),
        (penalty("103-n-hi+1", 103, 200001, illegal_gains=99999), True),
        (penalty("103-none-lo-1", 103, 99999), True),
        (penalty("103-none-lo", 103, 100000), False),
        # 114 ¶2: 2–5× the ¶1 amounts (一般事故 60万–500万)
        (
            penalty(
                "114-2-ok", 114, 5000000, branch="accident", accident_grade="ordinary", basis_paragraph=2
            ),
            False,
        ),
        (
            penalty(
                "114-2-over", 114, 5000001, branch="accident", accident_grade="ordinary", basis_paragraph=2
            ),
            True,
        ),
        (penalty("114-1-over", 114, 1000001, branch="accident", accident_grade="ordinary"), True),
    ]
    found = codes_by_fid(engine, [f for f, _ in cases])
    wrong = [(f["fid"], bad) for f, bad in cases if ("AMT-001" in found[f["fid"]]) != bad]
    assert not wrong


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
def test_personal_fine_only_in_escalation_branch(request, engine_name):
    engine = request.getfixturevalue(engine_name)
    person = {"target": "person", "person_role": "responsible_supervisor"}
    cases = [
        (penalty("97-init-person", 97, 30000, **person), {"AMT-002"}),
        (penalty("99-init-person", 99, 15000, **person), {"AMT-002"}),
        (penalty("101-init-person", 101, 30000, **person), {"AMT-002"}),
        (penalty("102-init-person", 102, 60000, **person), {"AMT-002"}),
        (penalty("108-init-unit", 108, 30000), {"AMT-002"}),
        (penalty("108-init-person", 108, 15000, **person), {"AMT-002"}),
        (penalty("98-init-person", 98, 30000, **person), set()),
        (penalty("103-init-person", 103, 15000, **person), set()),
        (penalty("104-init-person", 104, 5000, **person), set()),
        (penalty("105-init-person", 105, 5000, **person), set()),
        (penalty("97-overdue-person", 97, 30000, branch="overdue_uncorrected", **person), set()),
        (
            penalty(
                "97-overdue-person-noev",
                97,
                30000,
                branch="overdue_uncorrected",
                escalation_evidence=False,
                **person,
            ),
            {"AMT-003"},
        ),
        (
            penalty(
                "102-refused-person-noev",
                102,
                60000,
                branch="refused_execution",
                escalation_evidence=False,
                **person,
            ),
            {"AMT-003"},
        ),
        (
            penalty(
                "102-refused-unit-noev", 102, 40000, branch="refused_execution", escalation_evidence=False
            ),
            {"AMT-017"},  # 拒不执行 adds no second unit fine: whether it was fined before is not recorded
        ),
        (
            penalty("102-refused-unit-again", 102, 40000, branch="refused_execution", previously_fined=True),
            {"AMT-016"},
        ),
        (
            penalty("102-refused-unit-first", 102, 40000, branch="refused_execution", previously_fined=False),
            set(),
        ),
        (penalty("102-refused-unit-unknown", 102, 40000, branch="refused_execution"), {"AMT-017"}),
        (
            penalty(
                "104-overdue-unit-again", 104, 40000, branch="overdue_uncorrected", previously_fined=True
            ),
            {"AMT-016"},
        ),
        (
            penalty(
                "104-overdue-unit-over", 104, 50001, branch="overdue_uncorrected", previously_fined=False
            ),
            {"AMT-001"},
        ),
        (
            penalty(
                "105-overdue-person", 105, 5000, branch="overdue_uncorrected", previously_fined=True, **person
            ),
            {"AMT-016"},
        ),
        (
            penalty(
                "103-2-overdue-unit",
                103,
                40000,
                branch="overdue_uncorrected",
                basis_paragraph=2,
                previously_fined=True,
            ),
            {"AMT-016"},
        ),
        (penalty("112-initial", 112, 40000), {"AMT-002"}),
        (penalty("112-refused", 112, 40000, branch="refused_correction", previously_fined=True), set()),
        (
            penalty("112-refused-not-fined", 112, 40000, branch="refused_correction", previously_fined=False),
            {"AMT-016"},
        ),
        (
            penalty(
                "112-refused-noev",
                112,
                40000,
                branch="refused_correction",
                escalation_evidence=False,
                previously_fined=True,
            ),
            {"AMT-003"},
        ),
        (penalty("108-refused-unit", 108, 30000, branch="refused_correction"), set()),
        (
            penalty(
                "108-refused-unit-noev", 108, 30000, branch="refused_correction", escalation_evidence=False
            ),
            {"AMT-003"},
        ),
    ]
    found = codes_by_fid(engine, [f for f, _ in cases])
    wrong = []
    for fact, expected in cases:
        got = found[fact["fid"]] & {"AMT-001", "AMT-002", "AMT-003", "AMT-016", "AMT-017"}
        if got != expected:
            wrong.append((fact["fid"], got, expected))
    assert not wrong


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
def test_lighter_and_mitigated_below_minimum(request, engine_name):
    engine = request.getfixturevalue(engine_name)
    cases = [
        (penalty("lighter", 109, 40000, adjustment="lighter"), {"AMT-005"}),
        (penalty("lighter-ok", 109, 50000, adjustment="lighter"), set()),
        (
            penalty("mitigated-no-ground", 109, 40000, adjustment="mitigated", has_mitigation_ground=False),
            {"AMT-006"},
        ),
        (penalty("mitigated-ground", 109, 40000, adjustment="mitigated", has_mitigation_ground=True), set()),
        (penalty("none-below", 109, 40000), {"AMT-001"}),
    ]
    found = codes_by_fid(engine, [f for f, _ in cases])
    for fact, expected in cases:
        assert found[fact["fid"]] & {"AMT-001", "AMT-005", "AMT-006"} == expected, fact["fid"]


def test_version_and_date(oracle):
    old = penalty("2014", 99, 60000, basis_version="2014")
    unstated = penalty("unstated", 99, 60000, basis_version_stated=False)
    del unstated["basis_version"]
    before = dict(
        unstated,
        fid="before",
        committed_on=dt.date(2021, 8, 31).toordinal(),
        ended_on=dt.date(2021, 8, 31).toordinal(),
    )
    found = codes_by_fid(oracle, [old, unstated, before])
    assert "AMT-001" not in found["2014"]
    assert "AMT-001" in found["unstated"]
    assert "AMT-001" not in found["before"]


def test_daily_fine_is_documented_not_checked(statute, oracle):
    clause = statute.clause(112)
    assert clause is not None and clause.branches[0].fines[0].shape == "daily"
    assert not clause.branches[0].fines[0].checkable
    found = codes_by_fid(oracle, [penalty("112", 112, 10_000_000, branch="refused_correction")])
    assert "AMT-001" not in found["112"]


def test_rule_examples_green_on_both_engines(book, oracle, durable):
    from casereview.packs.examples import run_rule_examples

    for engine in (oracle, durable):
        bad = [o for o in run_rule_examples(book, engine) if not o.ok and o.code.startswith("AMT-")]
        assert not bad, [(o.code, o.expect_fail, o.index, o.detail) for o in bad]
