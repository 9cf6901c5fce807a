"""durable_rules is sent only the facts some rule's equality tests admit (a guard derived from the
ruleset), and its action messages are read by position: neither may change a match."""

from __future__ import annotations

import json
import random

import pytest

from casereview.derive.facts import derive
from casereview.evaluate.durable_engine import (
    DurableEngine,
    activations,
    admits,
    guard_tree,
    rule_guards,
)
from casereview.fastjson import dumps
from casereview.generate import generate_cases
from casereview.model import CaseFile


def _admit_all(engine: DurableEngine) -> DurableEngine:
    engine._guards = dict.fromkeys(engine._guards, True)
    return engine


def test_guarded_engine_matches_what_the_unguarded_one_matches(book, example_roster):
    guarded, unguarded = DurableEngine.for_book(book), _admit_all(DurableEngine.for_book(book))
    dropped = 0
    for i, data in enumerate(generate_cases(300, 20261207)):
        facts = derive(CaseFile.model_validate(data), example_roster).facts
        assert guarded.evaluate(facts).sorted_matches() == unguarded.evaluate(facts).sorted_matches(), i
        dropped += sum(not admits(guarded._guards.get(f["kind"]), f) for f in facts)
    assert dropped > 300 * 5  # the guard does drop facts (most officers and acts match no rule)


def test_no_fact_a_rule_matches_is_dropped(book, oracle, example_roster):
    guards = DurableEngine.for_book(book)._guards
    rng = random.Random(7)
    for data in generate_cases(200, 20261208):
        facts = derive(CaseFile.model_validate(data), example_roster).facts
        for fact in facts:  # the facts as derived, and with a field removed or retyped
            variants = [fact]
            name = rng.choice(sorted(fact))
            if name not in ("kind", "fid", "has_unknown"):
                variants.append({k: v for k, v in fact.items() if k != name})
                variants.append({**fact, name: str(fact[name])})
            for variant in variants:
                if oracle.evaluate([variant]).matches:
                    assert admits(guards.get(variant["kind"]), variant), variant


def _rule(*tests: dict) -> dict:
    return {"all": [{"m": {"$and": [{"kind": "act"}, *tests]}}]}


def test_guard_tree_semantics():
    definition = {
        "a": _rule({"role": "officer"}, {"$or": [{"status": "expired"}, {"status": "revoked"}]}),
        "b": _rule({"role": "officer"}, {"$gt": {"n": 3}}),
        "c": _rule({"count": 2}, {"$or": [{"x": 1}, {"y": 2}]}),  # an $or over two fields: no guard
        "d": _rule({"role": "a"}, {"role": "b"}),  # can never match
    }
    tree = guard_tree(rule_guards(definition)["act"])
    assert admits(tree, {"role": "officer"})
    assert not admits(tree, {"role": "clerk"})
    assert not admits(tree, {"status": "expired"})  # role absent: equals nothing
    assert admits(tree, {"count": 2.0}) and admits(tree, {"count": 2})
    assert not admits(tree, {"count": 3})
    assert admits(tree, {"count": "2"})  # a mixed type: left to durable_rules
    assert admits(tree, {"role": ["officer"]})  # unhashable: left to durable_rules
    assert guard_tree([]) is None and guard_tree([{}]) is True
    assert not admits(None, {"role": "officer"})


@pytest.mark.parametrize(
    "name, fact",
    [
        ("CERT-002", {"fid": "acts[0].performers[1]", "kind": "performer", "role": "officer"}),
        ("AMT-001#安全生产法-2021-101", {"amount": 5, "fid": "decision.penalties[0]"}),
        ("A B~1", {"fid": 'odd "fid" \\ with escapes', "text": '"fid":"decoy"'}),
        ('quote"name', {"fid": "x"}),
        ("no-fid", {"kind": "case"}),
        ("int-fid", {"fid": 7}),
        ("decoy", {"a": '"fid":"nope"', "fid": "真的"}),
        ("unicode", {"fid": "案件\u2028第1条"}),
    ],
)
def test_activations_read_by_position_equal_the_parsed_message(name, fact):
    for message in (dumps({name: {"m": fact}}), json.dumps({name: {"m": fact}})):
        parsed = [(n, f["m"].get("fid")) for n, f in json.loads(message).items()]
        assert activations(message) == parsed
    two = dumps({"r1": {"m": {"fid": "a"}}, "r2": {"m": {"fid": "b"}}})
    assert activations(two) == [("r1", "a"), ("r2", "b")]


def test_a_ruleset_of_another_shape_sends_every_fact():
    two_patterns = {"r": {"all": [{"a": {"kind": "act"}}, {"b": {"kind": "case"}}]}}
    no_kind = {"r": {"all": [{"m": {"role": "officer"}}]}}
    any_rule = {"r": {"any": [{"m": {"kind": "act"}}]}}
    for definition in (two_patterns, no_kind, any_rule):
        assert rule_guards(definition) is None
    assert rule_guards({"r": _rule({"role": "officer"})}) == {"act": [{"role": frozenset({"officer"})}]}
