"""Property tests over generated case models: the review never raises, every input is accounted
for, scores stay in bounds, vetoes fail, both engines agree, results are stable and round-trip."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import shutil
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from casereview import review
from casereview.cli import make_context
from casereview.evaluate import runner
from casereview.evaluate.durable_engine import DurableEngine
from casereview.evaluate.findings import Finding, Location
from casereview.evaluate.oracle import OracleEngine
from casereview.generate import generate_cases
from casereview.packs.compiled import CompiledRule
from casereview.packs.conditions import All, AnyOf, Cmp, In, Not, Present, Ref
from casereview.review import CaseResult, ReviewContext, review_file
from casereview.score.scoring import score_case

SEEDS = st.integers(min_value=0, max_value=10_000)
POOL = list(generate_cases(60, seed=7))


@st.composite
def case_files(draw):
    data = json.loads(json.dumps(draw(st.sampled_from(POOL)), default=str))
    decision = data.get("decision")
    if decision and decision["penalties"] and draw(st.booleans()):
        fine = decision["penalties"][-1]
        fine["amount"] = draw(st.integers(min_value=0, max_value=3_000_000))
    if draw(st.booleans()) and data["acts"]:
        act = data["acts"][draw(st.integers(0, len(data["acts"]) - 1))]
        act["on"] = (
            dt.date.fromisoformat(act["on"]) + dt.timedelta(days=draw(st.integers(-400, 400)))
        ).isoformat()
    if draw(st.booleans()):
        data["acts"] = [
            a
            for a in data["acts"]
            if a["kind"] != draw(st.sampled_from(["notice", "legal_review", "service"]))
        ]
    for key in ("first_offence", "harm", "major_hazard"):
        if draw(st.booleans()):
            data["violations"][0].pop(key, None)
    if draw(st.booleans()):
        data["violations"][0]["facts"]["locations_count"] = draw(st.integers(0, 50))
    return data


def _review(tmp_path: Path, data: dict, ctx: ReviewContext) -> CaseResult:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    return review_file(path, ctx)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case_files())
def test_review_invariants(tmp_path, book, profile, example_roster, durable, oracle, data):
    by_durable = _review(tmp_path, data, ReviewContext(book, profile, durable, example_roster))
    by_oracle = _review(tmp_path, data, ReviewContext(book, profile, oracle, example_roster))
    again = _review(tmp_path, data, ReviewContext(book, profile, durable, example_roster))
    assert by_durable.status == "reviewed", by_durable.errors  # generated cases are valid input
    score = by_durable.score
    assert score is not None and 0 <= score.score <= 100
    if any(f.severity == "veto" for f in by_durable.findings):
        assert score.vetoed and score.grade == profile.failing_grade and score.score == 0
    for category in score.categories:
        assert 0 <= category.deducted <= category.max and category.score == category.max - category.deducted
    assert [f.rule_id + f.location.field for f in by_durable.findings] == [
        f.rule_id + f.location.field for f in by_oracle.findings
    ]
    assert again.model_dump(exclude={"engine"}) == by_durable.model_dump(exclude={"engine"})
    assert CaseResult.model_validate_json(by_durable.model_dump_json()) == by_durable


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(["case", "party", "violations", "acts", "decision", "x"]),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=5),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
            max_leaves=10,
        ),
    )
)
def test_arbitrary_json_is_rejected_cleanly_never_raises(tmp_path, book, profile, oracle, data):
    result = _review(tmp_path, data, ReviewContext(book, profile, oracle))
    assert result.status in ("reviewed", "rejected")
    if result.status == "rejected":
        assert result.errors and all(e.message for e in result.errors)


# -- scoring over any findings ------------------------------------------------------------------

CODES = [
    "CERT-001",
    "BM-003",
    "EXM-002",
    "LR-001",
    "DEAD-004",
    "ORD-001",
    "HEAR-002",
    "TS-001",
    "AMT-002",
    "X-001",
]


def _finding(code: str, severity: str) -> Finding:
    return Finding(
        code=code,
        rule_id=code,
        title=code,
        severity=severity,
        severity_label=severity,
        category="x",
        message="m",
        basis=[],
        location=Location(file="a.yaml", field=""),
    )


def _expected_deductions(profile, findings: list[Finding]) -> dict[str, int]:
    """扣完为止: per item at most its cap, per category at most its maximum."""
    per_item: dict[str, list[int]] = {}
    for f in findings:
        if f.severity == "deduct":
            item = profile.item_for(f.code)
            key = item.id if item else f"default:{f.code}"
            per_item.setdefault(key, []).append(item.deduct if item else profile.default_deduct)
    per_category = {c.id: 0 for c in profile.categories}
    for key, points in per_item.items():
        item = next((i for i in profile.items if i.id == key), None)
        category = item.category if item else profile.default_category
        per_category[category] += min(sum(points), item.cap) if item and item.cap is not None else sum(points)
    return {c.id: min(per_category[c.id], c.max) for c in profile.categories}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(CODES), st.sampled_from(["deduct", "deduct", "deduct", "veto", "warn", "review"])
        ),
        max_size=80,
    ),
    st.booleans(),
)
@example([("CERT-001", "deduct")] * 3, False)  # item S-01: 3 × 5 points, capped at 10
@example([("BM-003", "deduct")] * 2 + [("EXM-002", "deduct")] * 2, False)  # 40 points, category max 30
@example([("X-001", "veto"), ("TS-001", "deduct")], True)
@example([("TS-001", "warn"), ("X-001", "review"), ("LR-001", "deduct")], False)
def test_score_bounds_for_any_findings(profile, drawn, failing_is_not_lowest):
    if failing_is_not_lowest:  # a veto gives the failing grade even where score 0 would grade lower
        grades = [{"name": "优秀", "min": 90}, {"name": "合格", "min": 60}, {"name": "不合格", "min": 30}]
        grades.append({"name": "差", "min": 0})
        profile = profile.model_validate(
            {**profile.model_dump(), "grades": grades, "failing_grade": "不合格"}
        )
    findings = [_finding(code, severity) for code, severity in drawn]
    score = score_case(findings, profile)
    assert 0 <= score.score <= 100
    expected = _expected_deductions(profile, findings)
    for category in score.categories:
        assert 0 <= category.deducted <= category.max and category.score == category.max - category.deducted
        assert category.deducted == expected[category.id]
    vetoed = any(f.severity == "veto" for f in findings)
    assert score.vetoed == vetoed
    if vetoed:
        assert score.score == 0 and score.grade == profile.failing_grade
    else:
        assert score.score == profile.total - sum(expected.values())
        assert score.grade == next(g.name for g in profile.grades if score.score >= g.min)
    # `warn` and `review` findings never change the score
    counted = score_case([f for f in findings if f.severity in ("deduct", "veto")], profile)
    assert (counted.score, counted.grade, counted.categories) == (score.score, score.grade, score.categories)


# -- durable_rules == oracle on any condition and any fact -----------------------------------------

NUMBER_FIELDS = ("amount", "tier")
_rule_ids = itertools.count()


def _leaf():
    numeric = st.builds(
        Cmp,
        st.sampled_from(NUMBER_FIELDS),
        st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]),
        st.integers(-3, 3),
    )
    referenced = st.builds(
        lambda f, op, ref, times, plus: Cmp(f, op, ref=Ref(ref, times, plus)),
        st.sampled_from(NUMBER_FIELDS),
        st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]),
        st.sampled_from(NUMBER_FIELDS),
        st.sampled_from([1, 2, 0.5]),
        st.integers(-2, 2),
    )
    text = st.builds(Cmp, st.just("kind_of"), st.sampled_from(["eq", "ne"]), st.sampled_from(["a", "b"]))
    member = st.builds(
        In, st.just("kind_of"), st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3).map(tuple)
    ) | st.builds(
        In, st.sampled_from(NUMBER_FIELDS), st.lists(st.integers(-3, 3), min_size=1, max_size=3).map(tuple)
    )
    present = st.builds(Present, st.sampled_from((*NUMBER_FIELDS, "kind_of")), st.booleans())
    return numeric | referenced | text | member | present


CONDITIONS = st.recursive(
    _leaf(),
    lambda inner: (
        st.builds(Not, inner)
        | st.lists(inner, min_size=1, max_size=3).map(lambda items: All(tuple(items)))
        | st.lists(inner, min_size=1, max_size=3).map(lambda items: AnyOf(tuple(items)))
    ),
    max_leaves=8,
)
FACTS = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "amount": st.integers(-3, 3),
            "tier": st.integers(-3, 3),
            "kind_of": st.sampled_from(["a", "b", "c"]),
        },
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(CONDITIONS, FACTS)
# the semantics most easily lost in translation, always checked: an absent field (or referenced
# field) makes a comparison false, `ne` included, and `not` of it true
@example(Not(Cmp("amount", "gt", ref=Ref("tier", 2, 1))), [{"amount": 1}])
@example(Not(Cmp("amount", "lt", ref=Ref("tier"))), [{"tier": 1}])
@example(Not(Cmp("amount", "eq", 1)), [{}])
@example(Cmp("amount", "ne", 1), [{}])
@example(Not(In("kind_of", ("a", "b"))), [{}, {"kind_of": "c"}])
@example(AnyOf((Not(All((Present("tier"), Cmp("tier", "gte", 2)))), Present("amount", False))), [{"tier": 1}])
# a reference to an absent field inside an $and (durable_rules alone matched it)
@example(
    All((Cmp("kind_of", "eq", "b"), Cmp("tier", "eq", ref=Ref("amount")))), [{"tier": 0, "kind_of": "b"}]
)
def test_durable_agrees_with_the_oracle_on_any_condition(when, fields):
    # missing fields, negation over missing fields, references to a missing field, `in` lists
    rule_id = f"P-{next(_rule_ids)}"
    rule = CompiledRule(rule_id, rule_id, "penalty", when)
    facts = [{"kind": "penalty", "fid": f"p{i}", **f} for i, f in enumerate(fields)]
    durable, oracle = DurableEngine([rule]).evaluate(facts), OracleEngine([rule]).evaluate(facts)
    assert durable.errors == oracle.errors == []
    assert durable.sorted_matches() == oracle.sorted_matches()


def _outcome(function, *args):
    try:
        return function(*args)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


@settings(max_examples=300, deadline=None)
@given(CONDITIONS, FACTS, st.booleans())
@example(Cmp("kind_of", "eq", 1), [{"kind_of": "a"}], False)  # a type clash raises the same error
def test_compiled_predicates_equal_the_reference_evaluator(when, fields, unknowns):
    """The oracle's functions (evaluate/oracle.py `predicate`) give what `holds` gives, errors too,
    on every form of the rule (as written, definite, possible)."""
    from casereview.evaluate.oracle import holds, predicate

    rule = CompiledRule("P", "P", "penalty", when)
    for fact in ({"kind": "penalty", "fid": "p", "has_unknown": unknowns, **f} for f in fields):
        for form in (rule.when, rule.decided, rule.definite, rule.undecided):
            assert _outcome(predicate(form), fact) == _outcome(holds, form, fact)


# -- never raises ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("load_case", "读取失败（内部错误）"),
        ("derive", "评查失败（内部错误）"),
        ("build_findings", "评查失败（内部错误）"),
        ("score_case", "评查失败（内部错误）"),
        ("_digest", "评查失败（内部错误）"),
    ],
)
def test_a_bug_in_any_stage_gives_a_rejected_result(
    tmp_path, book, profile, oracle, monkeypatch, stage, expected
):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(review, stage, broken)
    result = _review(tmp_path, POOL[0], ReviewContext(book, profile, oracle))
    assert result.status == "rejected"
    (error,) = result.errors
    assert error.message.startswith(expected) and "boom" in error.message


def test_an_engine_bug_gives_a_rejected_result(tmp_path, book, profile):
    class Broken:
        name = "broken"

        def evaluate(self, facts):
            raise RuntimeError("boom")

    result = _review(tmp_path, POOL[0], ReviewContext(book, profile, Broken()))
    assert result.status == "rejected" and "评查失败（内部错误）" in result.errors[0].message


# -- every input file is accounted for -------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "rules" / "examples" / "general.yaml"
KINDS = {
    "valid": EXAMPLE.read_bytes(),
    "garbage": b"\x00\x01binary",
    "malformed": b"case: [unclosed\n",
    "empty": b"",
}


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kinds=st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=7),
    workers=st.integers(1, 3),
    window=st.integers(1, 6),
    chunk=st.integers(1, 3),
    crash=st.none() | st.integers(0, 6),
)
@example(kinds=["valid", "garbage", "valid", "empty", "valid"], workers=2, window=2, chunk=1, crash=None)
@example(kinds=["valid", "malformed", "valid", "valid", "garbage"], workers=2, window=4, chunk=2, crash=2)
def test_every_file_of_a_batch_comes_back_once_in_order(
    tmp_path, book, profile, example_roster, kinds, workers, window, chunk, crash
):
    folder = tmp_path / f"batch-{next(_rule_ids)}"
    folder.mkdir()
    paths = []
    for i, kind in enumerate(kinds):
        name = f"{i:02d}-{kind}{'-crashme' if crash == i else ''}.yaml"
        (folder / name).write_bytes(KINDS[kind])
        paths.append(folder / name)
    factory = partial(make_context, book, profile, example_roster, "durable")
    fallback = make_context(book, profile, example_roster, "oracle")
    os.environ["CASEREVIEW_TEST_CRASH_ON"] = "crashme"
    os.environ["CASEREVIEW_TEST_CRASH_ONCE"] = str(folder / "killed-once")
    try:
        results = list(
            runner.review_paths(paths, factory, fallback, workers=workers, window=window, chunk=chunk)
        )
    finally:
        del os.environ["CASEREVIEW_TEST_CRASH_ON"], os.environ["CASEREVIEW_TEST_CRASH_ONCE"]
        shutil.rmtree(folder, ignore_errors=True)
    assert [r.file for r in results] == [str(p) for p in paths]
    for kind, result in zip(kinds, results, strict=True):
        assert result.status == ("reviewed" if kind == "valid" else "rejected"), result
    if crash is not None and crash < len(paths):
        assert any("重新评查" in n for n in results[crash].notes)


# -- unknown facts ---------------------------------------------------------------------------------


def _unknown_paths(data: dict) -> list[str]:
    from casereview.maintain.unknown_examples import _paths

    return list(dict.fromkeys(_paths(data)))


def _to_month(value: object) -> str | None:
    text = str(value)
    return text[:7] if len(text) == 10 and text[4] == "-" and text[7] == "-" else None


@st.composite
def cases_with_unknowns(draw):
    """A generated case, and the same case with random facts marked 未载明 (or dates cut to the month)."""
    complete = json.loads(json.dumps(draw(st.sampled_from(POOL)), default=str))
    paths = _unknown_paths(complete)
    chosen = draw(st.lists(st.sampled_from(paths), min_size=1, max_size=6, unique=True))
    partial = json.loads(json.dumps(complete))
    from casereview.packs.examples import _parent, parse_path

    for path in sorted(chosen, key=len, reverse=True):  # inner paths first: an outer marker wins
        steps = parse_path(path)
        try:
            parent = _parent(partial, steps)
            current = parent[steps[-1]] if isinstance(parent, list) or steps[-1] in parent else None
        except (KeyError, IndexError, TypeError):
            continue  # an outer path was already marked unknown
        month = _to_month(current) if current is not None else None
        marker = (
            month
            if month and draw(st.booleans())
            else draw(st.sampled_from(["未载明", {"unknown": "未公开"}]))
        )
        try:
            parent[steps[-1]] = marker
        except (KeyError, IndexError, TypeError):
            continue
    return complete, partial


def _decided(result: CaseResult) -> set[tuple[str, str]]:
    return {(f.code, f.location.field) for f in result.findings if f.severity in ("veto", "deduct")}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases_with_unknowns())
def test_unknown_facts_never_veto_or_deduct(tmp_path, book, profile, example_roster, durable, oracle, pair):
    """Marking facts unknown (or cutting dates to the month) never adds a veto or a deduction: every
    veto/deduction on the partial file is also on the complete file it came from. Both engines agree,
    scores stay in 0..100, and every finding an unknown fact causes is a 待人工评查 item."""
    complete, partial = pair
    full = _review(tmp_path, complete, ReviewContext(book, profile, oracle, example_roster))
    by_durable = _review(tmp_path, partial, ReviewContext(book, profile, durable, example_roster))
    by_oracle = _review(tmp_path, partial, ReviewContext(book, profile, oracle, example_roster))
    assert by_durable.status == "reviewed", by_durable.errors
    assert [(f.code, f.severity, f.location.field) for f in by_durable.findings] == [
        (f.code, f.severity, f.location.field) for f in by_oracle.findings
    ]
    assert by_durable.score == by_oracle.score
    assert _decided(by_durable) <= _decided(full), sorted(_decided(by_durable) - _decided(full))
    assert all(f.severity == "review" for f in by_durable.findings if f.unknown)
    score = by_durable.score
    assert score is not None and 0 <= score.score <= 100
    if not score.graded:
        assert score.grade in ("未结案", "无法评分")


def test_a_rule_reading_a_bound_matches_an_exact_fact_in_both_engines():
    """`x__lo` of an exactly known `x` is `x` (packs/uncertain.py), also where durable_rules is
    sent only the fields the rules as written read."""
    rule = CompiledRule("B-1", "B-1", "penalty", Cmp("amount__lo", "gt", 5))
    facts = [{"kind": "penalty", "fid": "p0", "amount": 7}, {"kind": "penalty", "fid": "p1", "amount": 3}]
    durable, oracle = DurableEngine([rule]).evaluate(facts), OracleEngine([rule]).evaluate(facts)
    assert durable.sorted_matches() == oracle.sorted_matches()
    assert [m.fid for m in durable.sorted_matches()] == ["p0"]
