"""The index of Python-side rule forms never leaves out a form that matches.

Facts with unknowns meet the table variants in Python (evaluate/variant_index.py): a variant is
tried only if the fact has the value its required equality names, or that field is unknown.
Checked against trying every variant, on generated cases with random facts marked unknown, and
end to end: durable_rules (with the index) and the oracle (without) agree on those cases.
"""

from __future__ import annotations

import random

from casereview.derive.facts import derive
from casereview.evaluate.oracle import RulePredicates
from casereview.evaluate.parameters import ParameterValues
from casereview.evaluate.variant_index import VariantIndex
from casereview.generate import generate_cases
from casereview.load import InputRejected
from casereview.model import CaseFile
from casereview.packs.uncertain import HAS_UNKNOWN, UNK, flagged
from test_golden_results import _unknown_variant

N_CASES = 150


def _partial_facts(book, roster):
    rng = random.Random(20261207)
    parameters = ParameterValues(book.compiled)
    for data in generate_cases(N_CASES):
        try:
            case = CaseFile.model_validate(_unknown_variant(data, rng))
        except (ValueError, InputRejected):
            continue
        facts = flagged(derive(case, roster).facts)
        parameters.apply(facts)
        yield from (f for f in facts if f[HAS_UNKNOWN])


def test_variants_are_kept_by_their_most_discriminating_equality(book):
    from casereview.evaluate.durable_engine import review_in_python

    forms = [RulePredicates(r) for r in book.compiled if review_in_python(r) and r.kind == "penalty"]
    index = VariantIndex(forms)
    assert "basis_article" in index.by_value  # not penalty_type, which every fine variant tests
    assert len(index.unindexed) < len(forms) / 10
    fact = {"kind": "penalty", "basis_article": 99, "penalty_type": "fine"}
    kept = list(index.candidates(fact, ()))
    assert 0 < len(kept) < len(forms) / 5
    everything = list(index.candidates(fact, {"basis_article"}))  # unknown: every variant testing it
    assert len(everything) == len({id(f) for f in everything}) > len(kept)


def test_the_index_keeps_every_form_that_matches(book, example_roster):
    from casereview.evaluate.durable_engine import review_in_python

    forms: dict[str, list[RulePredicates]] = {}
    for rule in book.compiled:
        if review_in_python(rule):
            forms.setdefault(rule.kind, []).append(RulePredicates(rule))
    indexes = {kind: VariantIndex(group) for kind, group in forms.items()}
    checked = matched = 0
    for fact in _partial_facts(book, example_roster):
        kind = fact["kind"]
        if kind not in forms:
            continue
        unknown = {n[: -len(UNK)] for n, v in fact.items() if v is True and n.endswith(UNK)}
        kept = {id(f) for f in indexes[kind].candidates(fact, unknown)}
        for form in forms[kind]:
            hit = form.definite(fact) or form.undecided(fact)
            matched += hit
            assert not hit or id(form) in kept, (form.rule.rule_id, fact["fid"], sorted(unknown))
        checked += 1
    assert checked > 100 and matched > 50  # the corpus does reach the indexed forms


def test_durable_with_the_index_agrees_with_the_oracle_on_partial_cases(
    book, durable, oracle, example_roster
):
    rng = random.Random(7)
    compared = 0
    for data in generate_cases(N_CASES):
        try:
            case = CaseFile.model_validate(_unknown_variant(data, rng))
        except (ValueError, InputRejected):
            continue
        facts = derive(case, example_roster).facts
        d, o = durable.evaluate(facts), oracle.evaluate(facts)
        assert not d.errors and not o.errors
        assert d.sorted_matches() == o.sorted_matches()
        compared += 1
    assert compared > 100
