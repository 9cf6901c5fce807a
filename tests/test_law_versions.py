"""Law versions, departmental rules and combined fines on real-shaped samples (casefiles 29–31).

Every new rule also has failing and passing pack examples (tests/test_rule_examples.py); these
tests pin the behaviour a reviewer sees on whole files, on both engines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from casereview.derive.facts import derive
from casereview.load import load_case

CASEFILES = Path(__file__).resolve().parents[1] / "casefiles"

# prefix → (codes that must appear, codes that must not)
EXPECTED = {
    "29": ({"VER-002"}, {"AMT-001", "INS-002", "INS-005", "VER-003"}),
    "30": ({"INS-001", "REG-002"}, {"AMT-001", "AMT-011", "INS-003"}),
    "31": ({"CMB-001"}, {"AMT-001", "CMB-002", "CMB-003"}),
}


def _codes(book, engine, path) -> set[str]:
    case, _ = load_case(path)
    facts = derive(case, None, tables=book.tables).facts
    return {m.rule_id.split("#")[0] for m in engine.evaluate(facts).matches}


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_sample(book, oracle, durable, engine_name, prefix):
    engine = oracle if engine_name == "oracle" else durable
    (path,) = CASEFILES.glob(f"{prefix}-*.yaml")
    present, absent = EXPECTED[prefix]
    codes = _codes(book, engine, path)
    assert present <= codes, (path.name, codes)
    assert not (absent & codes), (path.name, codes)


def test_loaded_instruments_carry_labels(book):
    tables = {t.id: t for t in book.tables.of("statute")}
    assert tables["安全生产法-2021"].verification == "official"
    old = tables["安全生产法-2014"]
    assert (old.verification, old.in_force, old.in_force_until) == (
        "secondary",
        dt.date(2014, 12, 1),
        dt.date(2021, 8, 31),
    )
    assert not old.complete
    # numbers the 2014 text does not give are parameters that never veto
    for article in (91, 92, 99):
        clause = old.clause(article)
        assert clause.amounts_unknown and not old.vetoes(clause)
    assert old.clause(94).successor.article == 97
    rules = {t.id: t for t in tables.values() if t.kind == "rule" and t.verification != "example"}
    assert set(rules) == {
        "应急预案管理办法-2016",
        "有限空间暂行规定-2015",
        "粉尘防爆安全规定-2021",
        "特种作业人员培训考核规定-2015",
        "隐患排查治理暂行规定-2007",
        "行政处罚办法-2015",
    }


def test_2014_article_numbers_map_to_2021(book, oracle):
    """A 2014-period violation citing the 2014 number 94 is judged as old 94 (→ new 97), not new 94."""
    from casereview.packs.examples import review_example
    from casereview.packs.schema import ExampleCase

    example = ExampleCase.model_validate(
        {
            "set": {
                "violations[0].penalty_basis": {"law": "安全生产法", "article": 94},
                "violations[0].committed_on": "2021-05-01",
                "decision.penalties[0].amount": 40000,
            }
        }
    )
    findings, _, _ = review_example(book, example, oracle)
    codes = {f.code for f in findings}
    # new art. 94 fines only the principal: judged under it, the unit fine would be a veto (AMT-002)
    assert not codes & {"AMT-002", "AMT-001", "INS-002", "INS-005", "VER-001"}, codes


def test_continuing_violation_across_the_change_uses_the_new_law(book, oracle):
    from casereview.packs.examples import review_example
    from casereview.packs.schema import ExampleCase

    example = ExampleCase.model_validate(
        {
            "set": {
                "violations[0].penalty_basis": {"law": "安全生产法", "article": 99, "item": 1},
                "violations[0].committed_on": "2021-06-01",
                "violations[0].continuing_until": "2021-09-15",
                "decision.penalties[0].amount": 50001,
            }
        }
    )
    findings, _, _ = review_example(book, example, oracle)
    # ended after 2021-09-01: the 2021 text applies and its art. 99 maximum (50,000) vetoes
    assert "AMT-001" in {f.code for f in findings}


def test_lint_checks_versions_and_references(tmp_path):
    """Overlapping periods of one law and a successor that is not loaded are lint errors."""
    import shutil

    from casereview.packs.lint import errors, lint_tables
    from casereview.packs.loader import default_rules_dir, load_rulebook

    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    old = rules / "tables" / "statute-安全生产法-2014.yaml"
    text = old.read_text(encoding="utf-8")
    text = text.replace("in_force_until: 2021-08-31", "in_force_until: 2021-09-01")
    text = text.replace("      article: 97\n", "      article: 397\n", 1)
    old.write_text(text, encoding="utf-8")
    codes = {p.code for p in errors(lint_tables(load_rulebook(rules)))}
    assert {"version_overlap", "unresolved_reference"} <= codes


def _probe(table, clause, branch, fine, amount, fid):
    day = max(table.in_force, dt.date(2021, 9, 1) if table.in_force_until is None else table.in_force)
    fact = {
        "kind": "penalty",
        "fid": fid,
        "procedure": "general",
        "decided_on": day.toordinal() + 30,
        "committed_on": day.toordinal(),
        "ended_on": day.toordinal(),
        "penalty_type": "fine",
        "basis_law": table.law,
        "basis_version": table.version,
        "basis_version_stated": True,
        "basis_article": clause.article,
        "basis_paragraph_stated": clause.paragraph is not None,
        "branch": branch,
        "target": fine.target,
        "amount": amount,
        "adjustment": "none",
        "escalation_evidence": True,
        "combined": False,
    }
    if clause.paragraph:
        fact["basis_paragraph"] = clause.paragraph
    if fine.roles:
        fact["person_role"] = fine.roles[0]
    return fact


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
def test_every_added_table_bound_inside_and_outside(book, oracle, durable, engine_name):
    """Each fixed-yuan range of the added tables: at the bounds no finding; one yuan outside, AMT-001
    when the text is verbatim (official/copy), INS-005 (review) otherwise."""
    engine = oracle if engine_name == "oracle" else durable
    facts, expected = [], {}
    for table in book.tables.of("statute"):
        if table.id == "安全生产法-2021":
            continue  # probed in test_statute.py
        for clause in table.clauses:
            if clause.amounts_unknown or clause.cross_reference:
                continue
            for rule in clause.branches:
                for fine in rule.fines:
                    if fine.bounds() is None:
                        continue
                    low, high = fine.bounds()
                    code = "AMT-001" if table.vetoes(clause) else "INS-005"
                    for branch in rule.branch:
                        base = f"{table.id}-{clause.article}-{branch}-{fine.target}"
                        cases = [(high, None), (high + 1, code)]
                        if low:
                            cases += [(low, None), (low - 1, code)]
                        for amount, want in cases:
                            fid = f"{base}-{amount}"
                            facts.append(_probe(table, clause, branch, fine, amount, fid))
                            expected[fid] = want
    assert len(expected) > 40
    found: dict[str, set[str]] = {fid: set() for fid in expected}
    for match in engine.evaluate(facts).matches:
        found[match.fid].add(match.rule_id.split("#")[0])
    for fid, want in expected.items():
        got = found[fid] & {"AMT-001", "INS-005"}
        assert got == ({want} if want else set()), (fid, found[fid])


def test_non_fine_penalty_under_a_departmental_rule(book, oracle):
    """隐患排查治理暂行规定 art. 26 provides 警告 and a fine: a 责令停产停业 under it is outside the clause
    (penalty kinds, verbatim copy: veto) and outside what a 规章 may create (REG-003, review)."""
    from casereview.packs.examples import review_example
    from casereview.packs.schema import ExampleCase

    def codes(penalty_type: str) -> set[str]:
        example = ExampleCase.model_validate(
            {
                "set": {
                    "violations[0].penalty_basis": {
                        "law": "安全生产事故隐患排查治理暂行规定",
                        "article": 26,
                        "item": 2,
                    },
                    "decision.penalties[0]": {
                        "target": "unit",
                        "type": penalty_type,
                        "violation_ids": ["v1"],
                    },
                }
            }
        )
        return {f.code for f in review_example(book, example, oracle)[0]}

    assert {"AMT-012", "REG-003"} <= codes("suspension")
    assert not {"AMT-012", "REG-003"} & codes("warning")
