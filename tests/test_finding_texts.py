"""A finding's message and values are remembered per rule and shown values (`build_findings`):
what comes from the memo must be what building them afresh gives, for any value a fact holds."""

from __future__ import annotations

import random

import pytest

from test_golden_results import _import_paths

_import_paths()

from casereview.derive.facts import derive  # noqa: E402
from casereview.evaluate.durable_engine import DurableEngine  # noqa: E402
from casereview.evaluate.findings import _message_and_values, _parts, build_findings  # noqa: E402
from casereview.evaluate.model import EvalResult, Match  # noqa: E402
from casereview.generate import generate_cases  # noqa: E402
from casereview.model import CaseFile  # noqa: E402


def _built(book, fact, rule_id):
    result = EvalResult(matches=[Match(rule_id, fact["fid"])])
    [finding] = build_findings(book, result, [fact], {}, "f.yaml", lambda path: (None, None), acts=[])
    return finding.message, finding.values


def test_remembered_messages_and_values_equal_fresh_ones(book, example_roster):
    engine = DurableEngine.for_book(book)
    book.__dict__.pop("_finding_texts", None)
    rng = random.Random(24)
    checked = 0
    for data in generate_cases(60, 20261224):
        facts = derive(CaseFile.model_validate(data), example_roster).facts
        by_fid = {f["fid"]: f for f in facts}
        for match in engine.evaluate(facts).sorted_matches():
            parts, fact = _parts(book, match.rule_id), by_fid[match.fid]
            field = rng.choice([k for k in parts.shown if k not in ("kind", "fid")])
            # equal as keys, shown differently: True/1 (是 vs 1), None/absent, a text
            variants = [fact, *({**fact, field: value} for value in (True, 1, 2, False, None, "x"))]
            variants.append({k: v for k, v in fact.items() if k != field})
            for variant in variants * 2:  # the second time from the memo
                try:
                    expected = _message_and_values(parts, variant, variant["kind"])
                except ValueError:  # e.g. a date field holding False (day 0): no finding either way
                    with pytest.raises(ValueError):
                        _built(book, variant, match.rule_id)
                    continue
                got = _built(book, variant, match.rule_id)
                assert got == expected
                assert [type(v) for v in got[1].values()] == [type(v) for v in expected[1].values()]
                checked += 1
    assert checked > 1000
    assert 0 < len(book.__dict__["_finding_texts"]) < checked / 2  # remembered, and hit


def test_remembered_values_are_each_findings_own(book, example_roster):
    """A finding's values are its own dict: changing one leaves the next finding's alone."""
    data = next(iter(generate_cases(1, 20261225)))
    facts = derive(CaseFile.model_validate(data), example_roster).facts
    result = DurableEngine.for_book(book).evaluate(facts)
    match = result.sorted_matches()[0]
    fact = next(f for f in facts if f["fid"] == match.fid)
    first, second = _built(book, fact, match.rule_id)[1], _built(book, fact, match.rule_id)[1]
    first["changed"] = 1
    assert "changed" not in second and "changed" not in _built(book, fact, match.rule_id)[1]
