"""durable_rules is sent only the facts some rule's equality tests admit, each with only the
fields the rules it may match read (a projection derived from the ruleset), and its action
messages are read by position: none of it may change a match."""

from __future__ import annotations

import json
import random

import pytest

from casereview.derive.facts import derive
from casereview.evaluate.durable_engine import (
    SENTINEL_RULE,
    DurableEngine,
    activations,
    fact_reads,
    prepare_book,
    projected,
    projection_tree,
    rule_guards,
)
from casereview.fastjson import dumps
from casereview.generate import generate_cases
from casereview.model import CaseFile
from test_golden_results import _unknown_variant


def _unprojected(engine: DurableEngine) -> DurableEngine:
    """The engine sending every fact with every field its kind's rules read (the fallback)."""
    reads = fact_reads(engine._rules, engine._python_forms)
    engine._projections = {kind: (tested, tree, {}) for kind, (tested, tree) in reads.items()}
    return engine


def _outcome(engine: DurableEngine, fact: dict) -> object:
    """The matches of one fact, or the error a retyped value raises in a Python-side form."""
    try:
        return engine.evaluate([fact]).sorted_matches()
    except TypeError as exc:
        return str(exc)


def _cases(count: int, seed: int) -> list[CaseFile]:
    """Generated cases, and each with random facts marked unknown (dates cut to the month)."""
    rng = random.Random(seed)
    out = []
    for data in generate_cases(count, seed):
        out.append(CaseFile.model_validate(data))
        try:
            out.append(CaseFile.model_validate(_unknown_variant(data, rng)))
        except ValueError:  # a marker where the model takes none: that variant is rejected
            continue
    return out


def test_projected_engine_matches_what_the_unprojected_one_matches(book, example_roster):
    projected_engine, full = DurableEngine.for_book(book), _unprojected(DurableEngine.for_book(book))
    sent: list[int] = []
    fields = 0
    for i, case in enumerate(_cases(150, 20261207)):
        facts = derive(case, example_roster).facts
        assert projected_engine.evaluate(facts).sorted_matches() == full.evaluate(facts).sorted_matches(), i
        for fact in facts:
            _tested, tree, _ = projected_engine._projections.get(fact["kind"], ((), None, None))
            sent.append(len(projected(tree, fact)))
            fields += len(fact)
    assert sent.count(0) > len(sent) / 2  # most facts (officers, acts) are not sent at all
    # and those sent go with a fraction of their fields (a fact with unknowns sends its flags too)
    assert sum(sent) < 0.25 * fields


def test_no_fact_a_rule_matches_is_dropped_and_variants_match_alike(book, oracle, example_roster):
    engine = DurableEngine.for_book(book)
    full = _unprojected(DurableEngine.for_book(book))
    rng = random.Random(7)
    for case in _cases(100, 20261208):
        for fact in derive(case, example_roster).facts:  # as derived, a field removed or retyped
            variants = [fact]
            name = rng.choice(sorted(fact))
            if name not in ("kind", "fid", "has_unknown"):
                variants.append({k: v for k, v in fact.items() if k != name})
                variants.append({**fact, name: str(fact[name])})
            for variant in variants:
                assert _outcome(engine, variant) == _outcome(full, variant), variant
                tree = engine._projections.get(variant["kind"], ((), None, None))[1]
                try:
                    matches = oracle.evaluate([variant]).matches
                except TypeError:  # a retyped value the fact-type check refuses before evaluation
                    continue
                for match in matches:
                    if match.rule_id in engine._python_forms and variant["has_unknown"]:
                        continue  # that form runs in Python on the whole fact
                    assert projected(tree, variant), (match, variant)  # the fact is sent


def _rule(*tests: dict) -> dict:
    return {"all": [{"m": {"$and": [{"kind": "act"}, *tests]}}]}


def test_projection_semantics():
    definition = {
        "a": _rule({"role": "officer"}, {"$or": [{"status": "expired"}, {"status": "revoked"}]}),
        "b": _rule({"role": "officer"}, {"$gt": {"n": {"$m": "m"}}}),
        "c": _rule({"count": 2}, {"$or": [{"x": 1}, {"y": 2}]}),  # an $or over two fields: no guard
        "d": _rule({"role": "a"}, {"role": "b"}),  # can never match
        "e": _rule({"$nex": {"gone": 1}}),  # no equality: every act
    }
    tree = projection_tree(rule_guards(definition)["act"])
    every = {"kind", "gone"}
    assert projected(tree, {"role": "officer"}) == every | {"role", "n", "m"}  # not `a`: status absent
    assert projected(tree, {"role": "officer", "status": "revoked"}) == every | {"role", "status", "n", "m"}
    assert projected(tree, {"role": "clerk"}) == every
    assert projected(tree, {"status": "expired"}) == every  # role absent: equals nothing
    assert projected(tree, {"count": 2.0}) == projected(tree, {"count": 2}) == every | {"count", "x", "y"}
    assert projected(tree, {"count": 3}) == every
    assert projected(tree, {"count": "2"}) == every | {"count", "x", "y"}  # mixed type: as if equal
    assert projected(tree, {"role": ["officer"]}) == every | {"role", "status", "n", "m"}  # unhashable
    without_e = {k: v for k, v in definition.items() if k != "e"}
    assert not projected(projection_tree(rule_guards(without_e)["act"]), {"role": "clerk"})
    assert projection_tree([]) is None and projection_tree([({}, frozenset({"a"}))]) == {"a"}
    assert not projected(None, {"role": "officer"})


@pytest.mark.parametrize(
    "name, fact",
    [
        ("CERT-002", {"kind": "performer", "role": "officer", "sid": "1", "id": 7}),
        ("AMT-001#安全生产法-2021-101", {"amount": 5, "sid": "1", "id": 12345678901}),
        ("A B~1", {"text": '","id":99}}}', "note": 'odd "x" \\ escapes', "id": 3}),
        ('quote"name', {"id": 4}),
        ("no-id", {"kind": "case"}),
        ("text-id", {"id": "7"}),
        ("flag-id", {"id": True}),
        ("decoy", {"a": ',"id":5', "id": 6}),
        ("unicode", {"t": "案件\u2028第1条", "id": 8}),
        ("id-first", {"id": 9, "kind": "act"}),
        ("negative", {"kind": "act", "id": -1}),
    ],
)
def test_activations_read_by_position_equal_the_parsed_message(name, fact):
    """A fired fact is known by the `id` the engine gave it (its fid is not sent)."""

    def ident(fact):
        value = fact.get("id")
        return value if type(value) is int else None

    for message in (dumps({name: {"m": fact}}), json.dumps({name: {"m": fact}})):
        parsed = [(n, ident(f["m"])) for n, f in json.loads(message).items()]
        assert activations(message) == parsed
    two = dumps({"r1": {"m": {"id": 1}}, "r2": {"m": {"id": 2}}})
    assert activations(two) == [("r1", 1), ("r2", 2)]


def test_facts_are_sent_without_their_fid_and_matched_by_id(durable, example_roster):
    """What durable_rules is sent carries no fid (one property fewer in every alpha node it
    reaches); the matches still name the right facts, the same as the oracle's."""
    from casereview.evaluate.oracle import OracleEngine

    sent = []
    real = durable._dre

    class Spy:
        error = real.error

        def __getattr__(self, name):
            return getattr(real, name)

        def assert_facts(self, handle, payload):
            sent.extend(json.loads(payload))
            return real.assert_facts(handle, payload)

    oracle = OracleEngine(durable._rules)
    durable._dre = Spy()
    try:
        for case in _cases(30, 20261213):
            facts = derive(case, example_roster).facts
            assert durable.evaluate(facts).sorted_matches() == oracle.evaluate(facts).sorted_matches()
    finally:
        durable._dre = real
    assert sent and not any("fid" in fact for fact in sent)
    assert all(list(fact)[-1] == "id" for fact in sent)  # read by position in `activations`


def test_a_ruleset_of_another_shape_sends_every_fact():
    two_patterns = {"r": {"all": [{"a": {"kind": "act"}}, {"b": {"kind": "case"}}]}}
    no_kind = {"r": {"all": [{"m": {"role": "officer"}}]}}
    any_rule = {"r": {"any": [{"m": {"kind": "act"}}]}}
    for definition in (two_patterns, no_kind, any_rule):
        assert rule_guards(definition) is None
    assert rule_guards({"r": _rule({"role": "officer"})}) == {
        "act": [({"role": frozenset({"officer"})}, frozenset({"kind", "role"}))]
    }


def test_action_order_changes_no_match(book, example_roster):
    """Rules are numbered by `pri` (the sentinel first, forms for unknown facts last) only to
    make durable_rules' scans for the next action short: the same matches in any order."""
    payload, outside, in_python = prepare_book(book)
    definition = json.loads(payload)
    assert (
        definition[SENTINEL_RULE]["pri"]
        == 0
        < min(b["pri"] for n, b in definition.items() if n != SENTINEL_RULE)
    )
    unordered = {name: {k: v for k, v in body.items() if k != "pri"} for name, body in definition.items()}
    plain = DurableEngine(
        book.compiled, prepared=(json.dumps(unordered, ensure_ascii=False), outside, in_python)
    )
    ordered = DurableEngine.for_book(book)
    for i, case in enumerate(_cases(60, 20261209)):
        facts = derive(case, example_roster).facts
        assert ordered.evaluate(facts).sorted_matches() == plain.evaluate(facts).sorted_matches(), i
