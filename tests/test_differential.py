"""durable_rules and the oracle must agree on every case: samples and a generated corpus."""

from __future__ import annotations

from pathlib import Path

from casereview.derive.facts import derive
from casereview.generate import generate_cases
from casereview.load import InputRejected, load_case, load_roster
from casereview.model import CaseFile

N_GENERATED = 1200


def _compare(durable, oracle, facts, label):
    d = durable.evaluate(facts)
    o = oracle.evaluate(facts)
    assert not d.errors and not o.errors, (label, d.errors, o.errors)
    assert d.sorted_matches() == o.sorted_matches(), label


def test_samples_agree(durable, oracle, root: Path):
    roster = load_roster(root / "casefiles" / "roster.yaml")
    paths = sorted(
        p for p in (root / "casefiles").glob("*") if p.suffix in (".yaml", ".json") and "roster" not in p.name
    )
    assert len(paths) >= 12
    for path in paths:
        try:
            case, _ = load_case(path)
        except InputRejected:
            continue  # deliberately malformed samples are covered by the loader tests
        _compare(durable, oracle, derive(case, roster).facts, path.name)


def test_generated_corpus_agrees(durable, oracle, example_roster):
    fired = 0
    for i, data in enumerate(generate_cases(N_GENERATED)):
        case = CaseFile.model_validate(data)
        facts = derive(case, example_roster).facts
        _compare(durable, oracle, facts, f"generated #{i}")
        fired += bool(oracle.evaluate(facts).matches)
    # the corpus must exercise the rules, not only clean cases
    assert fired > N_GENERATED // 3


def test_every_shipped_rule_is_matched_inside_durable_rules(durable):
    # matching happens in durable_rules; the Python path is only a safety net for packs it cannot hold
    assert durable.outside == []


def _exact(rule):
    from casereview.evaluate.durable_engine import DurableEngine
    from casereview.evaluate.oracle import OracleEngine

    engine, oracle = DurableEngine([rule]), OracleEngine([rule])
    facts = [{"kind": "penalty", "fid": f"p{i}", "amount": i, "tier": 23 - i} for i in range(24)]
    assert engine.evaluate(facts).sorted_matches() == oracle.evaluate(facts).sorted_matches()
    return engine


def test_a_pattern_beyond_durable_limits_is_split_and_still_exact():
    from casereview.evaluate.durable_engine import ruleset_definition
    from casereview.packs.compiled import CompiledRule
    from casereview.packs.conditions import parse_condition

    # three 8-way disjunctions plus a same-fact reference: one durable pattern would fail (error 113)
    anys = [{"any": [f"amount == {i}" for i in range(k, k + 8)]} for k in (0, 8, 16)]
    when = parse_condition({"all": [anys[0], anys[1], anys[2], "amount > tier * 2"]})
    rule = CompiledRule("BIG-001", "BIG-001", "penalty", when)
    definition, outside = ruleset_definition([rule])
    assert not outside and len(definition) > 2  # split into several durable rules
    assert _exact(rule).outside == []


def test_a_pattern_durable_cannot_hold_is_evaluated_exactly_in_python():
    from casereview.packs.compiled import CompiledRule
    from casereview.packs.conditions import parse_condition

    when = parse_condition(
        {"all": [{"any": [f"amount == {i}", f"tier == {i}"]} for i in range(24)] + ["amount > tier"]}
    )
    engine = _exact(CompiledRule("BIG-002", "BIG-002", "penalty", when))
    assert [r.rule_id for r in engine.outside] == ["BIG-002"]


def test_cases_sharing_a_durable_state_stay_apart(durable, oracle, example_roster, root: Path):
    """All cases run in one durable state, each case's facts retracted after it: the same facts
    twice in a row fire twice, a clean case after a failing one finds nothing, and no fact of a
    reviewed case stays in the state."""
    cases = [derive(CaseFile.model_validate(d), example_roster).facts for d in generate_cases(40)]
    failing = next(f for f in cases if oracle.evaluate(f).matches)
    clean = derive(load_case(root / "rules" / "examples" / "general.yaml")[0], example_roster).facts
    assert not oracle.evaluate(clean).matches
    expected = oracle.evaluate(failing).sorted_matches()
    for _ in range(70):
        assert durable.evaluate(failing).sorted_matches() == expected
        assert durable._dre.get_facts(durable._handle, durable._sid) == "[]"
        assert durable.evaluate(clean).sorted_matches() == []
    for facts in cases:
        assert durable.evaluate(facts).sorted_matches() == oracle.evaluate(facts).sorted_matches()
    assert durable._dre.get_facts(durable._handle, durable._sid) == "[]"


def test_a_fact_field_durable_rules_reserves_is_refused(durable):
    """`sid` and `id` are the engine's (a fact's state and identity): a fact field of that name
    read by a rule must not silently become either."""
    import pytest

    from casereview.evaluate.durable_engine import _sent_fields

    with pytest.raises(ValueError, match="reserved by durable_rules"):
        _sent_fields(frozenset({"id", "amount"}), {"kind": "penalty", "fid": "p", "id": 1})


def test_a_case_that_fails_inside_durable_does_not_leak_into_the_next(durable, oracle, example_roster):
    import pytest

    facts = derive(CaseFile.model_validate(next(iter(generate_cases(1)))), example_roster).facts
    expected = oracle.evaluate(facts).sorted_matches()
    durable.evaluate(facts)
    unencodable = [{"kind": "case", "fid": "x", "procedure": object()}]
    with pytest.raises(TypeError):
        durable.evaluate(unencodable)
    assert durable.evaluate(facts).sorted_matches() == expected


def test_a_case_durable_rules_refuses_is_evaluated_by_the_oracle_and_says_so(book, durable, oracle):
    """A durable_rules limit met by one case (e.g. error 303): that case gets the oracle's matches,
    with a note, instead of a failure."""
    facts = derive(CaseFile.model_validate(next(iter(generate_cases(1)))), None, tables=book.tables).facts
    real = durable._dre

    class Refusing:
        error = real.error

        def __getattr__(self, name):
            return getattr(real, name)

        def assert_facts(self, *args):
            raise real.error("303")

    durable._dre = Refusing()
    try:
        result = durable.evaluate(facts)
    finally:
        durable._dre = real
    assert result.sorted_matches() == oracle.evaluate(facts).sorted_matches()
    assert any("durable_rules 无法评查本案" in note for note in result.notes)
