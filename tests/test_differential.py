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
    paths = sorted(p for p in (root / "casefiles").glob("*") if p.suffix in (".yaml", ".json") and "roster" not in p.name)
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
