"""Facts no rule can match are not built (speed work, issue 16; derive/needs.py).

`derive` given the rule book's `FactNeeds` leaves out performer facts without unknowns that fail
an equality test of every performer rule, and act facts without unknowns of kinds no act rule
tests for. Leaving them out must change nothing: the other facts
and their sources are the same, both engines find the same matches, neither engine matches a
left-out fact, and a rule added later gets the facts it may match.
"""

from __future__ import annotations

import json
import random

import pytest

from casereview.derive.facts import derive
from casereview.derive.needs import FactNeeds, fact_needs, necessary_tests
from casereview.evaluate.durable_engine import DurableEngine
from casereview.evaluate.findings import build_findings
from casereview.evaluate.oracle import OracleEngine
from casereview.generate import generate_cases
from casereview.model.case import CaseFile
from casereview.packs.compiled import CompiledRule
from casereview.packs.conditions import All, AnyOf, Cmp, Const, In, Present


def _cases(n: int, seed: int) -> list[CaseFile]:
    from test_golden_results import _unknown_variant

    rng = random.Random(seed)
    out = []
    for data in generate_cases(n, seed):
        for variant in (
            data,
            _unknown_variant(data, rng),
            _unknown_variant(_unknown_variant(data, rng), rng),
        ):
            try:
                out.append(CaseFile.model_validate(json.loads(json.dumps(variant, default=str))))
            except Exception:
                continue  # a variant the model refuses is the loader's business
    return out


@pytest.fixture(scope="module")
def cases() -> list[CaseFile]:
    return _cases(30, 2020)


def _check_lean(book, cases, roster, engines, needs, findings: bool = True) -> tuple[int, int]:
    """Compares the facts and matches with and without `needs`; (facts left out, performer facts kept)."""
    left = kept = located = left_acts = 0
    for case in cases:
        full = derive(case, roster, tables=book.tables)
        lean = derive(case, roster, tables=book.tables, needs=needs)
        left_out = {f["fid"] for f in full.facts} - {f["fid"] for f in lean.facts}
        assert [f for f in full.facts if f["fid"] not in left_out] == lean.facts
        assert all(
            f["kind"] in ("performer", "act") and not f["has_unknown"]
            for f in full.facts
            if f["fid"] in left_out
        )
        assert {k: v for k, v in full.sources.items() if k not in left_out} == lean.sources
        assert (lean.notes, lean.blocked, lean.acts) == (full.notes, full.blocked, full.acts)
        for engine in engines:
            matches = sorted(set(engine.evaluate(full.facts).matches))
            assert sorted(set(engine.evaluate(lean.facts).matches)) == matches
            assert not any(m.fid in left_out for m in matches)
            if findings:  # the same findings, at the same places (`acts[kind=…]` reads the file's acts)
                found = [_findings(book, engine, derived) for derived in (full, lean)]
                assert found[0] == found[1]
                located += sum(f.location.field.startswith("acts[") for f in found[0])
        left += len(left_out)
        left_acts += sum(fid.count("[") == 1 for fid in left_out)  # acts[i], not acts[i].by[j]
        kept += sum(f["kind"] == "performer" for f in lean.facts)
    assert located > 0 or not findings  # findings located at acts were compared
    assert left_acts > 0  # act facts were left out too
    return left, kept


def _findings(book, engine, derived) -> list:
    result = engine.evaluate(derived.facts)
    return build_findings(
        book, result, derived.facts, derived.sources, "x.yaml", lambda _p: (None, None), acts=derived.acts
    )


def test_facts_left_out_change_no_match(book, durable, oracle, example_roster, cases):
    needs = fact_needs(book)
    left = kept = 0
    for roster in (example_roster, None):
        found = _check_lean(book, cases, roster, (durable, oracle), needs)
        left, kept = left + found[0], kept + found[1]
    # the filter ran, and performer facts with unknowns or that a rule may match were built
    assert left > 500 and kept > 200


def test_a_rule_added_later_gets_its_facts(book, example_roster, cases):
    # a performer rule that reads what no shipped rule asks for: valid certificates of officers
    valid = All((Cmp("role", "eq", "officer"), Cmp("cert_status", "eq", "valid")))
    extra = CompiledRule("TEST-VALID", "TEST-VALID", "performer", valid)
    rules = [*book.compiled, extra]
    needs = FactNeeds(rules)
    engines = (DurableEngine(rules), OracleEngine(rules))
    left, _kept = _check_lean(book, cases[:30], example_roster, engines, needs, findings=False)
    lean = [derive(case, example_roster, tables=book.tables, needs=needs) for case in cases[:30]]
    assert any(f["kind"] == "performer" and f["cert_status"] == "valid" for d in lean for f in d.facts)
    shipped = [
        derive(case, example_roster, tables=book.tables, needs=fact_needs(book)) for case in cases[:30]
    ]
    assert sum(len(d.facts) for d in lean) > sum(len(d.facts) for d in shipped)
    assert left > 0  # facts no rule reads (of people other than officers) are still left out


def test_necessary_tests():
    assert necessary_tests(Const(False)) is None
    assert necessary_tests(All((Cmp("a", "eq", "x"), Const(False)))) is None
    assert necessary_tests(All((Cmp("a", "eq", "x"), In("a", ("x", "y")), In("b", (1, 2))))) == {
        "a": frozenset({"x"}),
        "b": frozenset({1, 2}),
    }
    # tests under a disjunction, a negation or an order are not necessary: none taken
    assert necessary_tests(AnyOf((Cmp("a", "eq", "x"), Cmp("b", "eq", "y")))) == {}
    assert necessary_tests(All((Cmp("a", "ne", "x"), Cmp("n", "gt", 1), Present("c")))) == {}


def test_filter_keeps_what_it_cannot_decide():
    rule = CompiledRule(
        "T", "T", "performer", All((In("role", ("officer",)), Cmp("procedure", "eq", "general")))
    )
    needs = FactNeeds([rule])
    probe = ("role", "name")
    keep = needs.complete_filter("performer", probe, {"procedure": "general"})
    assert keep is not None
    assert keep(("officer", "张三")) is True
    assert keep(("auxiliary", "张三")) is False
    assert keep((None, "张三")) is False  # absent: equals nothing
    assert keep((1, "张三")) is True  # another type than the tested one: the engines decide
    assert keep((["officer"], "张三")) is True  # unhashable: the engines decide
    # the shared fields decide for every fact: a case of the simple procedure has none to match
    assert needs.complete_filter("performer", probe, {"procedure": "simple"})(("officer", "x")) is False
    assert needs.complete_filter("performer", probe, {})(("officer", "x")) is False  # procedure absent
    # a rule without tests on the probe may match any fact: no filter
    loose = FactNeeds([rule, CompiledRule("U", "U", "performer", Cmp("n", "gt", 1))])
    assert loose.complete_filter("performer", probe, {"procedure": "general"}) is None
