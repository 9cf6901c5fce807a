"""Scoring invariants: score in 0..100, any veto → 不合格 with every finding kept, review never scores."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from casereview.evaluate.findings import Finding, Location
from casereview.score.scoring import score_case

CODES = ["CERT-001", "CERT-004", "LR-004", "BM-001", "DEAD-001", "TS-001", "XYZ-001", "EXM-002", "HEAR-002"]


def finding(code: str, severity: str) -> Finding:
    return Finding(
        code=code,
        rule_id=code,
        title=code,
        severity=severity,
        severity_label=severity,
        category="procedure",
        message="m",
        basis=[],
        location=Location(file="f", field="x"),
    )


findings_strategy = st.lists(
    st.builds(finding, st.sampled_from(CODES), st.sampled_from(["veto", "deduct", "warn", "review"])),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(findings_strategy)
def test_score_is_within_bounds_and_vetoes_fail(profile, findings):
    result = score_case(findings, profile)
    assert 0 <= result.score <= 100
    if any(f.severity == "veto" for f in findings):
        assert result.vetoed and result.score == 0 and result.grade == profile.failing_grade
    for category in result.categories:
        assert 0 <= category.deducted <= category.max  # 扣完为止，不计负分


@settings(max_examples=200, deadline=None)
@given(findings_strategy)
def test_review_and_warn_findings_never_change_the_score(profile, findings):
    silent = [f for f in findings if f.severity in ("review", "warn")]
    scored = [f for f in findings if f.severity not in ("review", "warn")]
    assert score_case(scored + silent, profile).score == score_case(scored, profile).score
    assert score_case(scored + silent, profile).pending_review == sum(
        f.severity == "review" for f in findings
    )


def test_clean_case_scores_full_marks_and_top_grade(profile):
    result = score_case([], profile)
    assert result.score == 100 and result.grade == profile.grades[0].name


def test_deductions_are_capped_per_item(profile):
    # LR- items: 5 points each, capped at 10 for the item
    result = score_case([finding("LR-004", "deduct")] * 5, profile)
    procedure = next(c for c in result.categories if c.id == "procedure")
    assert procedure.deducted == 10
    assert result.score == 90


def _sheet_variant(profile, **changes):
    return profile.model_validate({**profile.model_dump(), **changes})


def test_each_profile_scores_on_its_own_sheet(profile):
    """What scoring reads of a profile is kept per profile: files scored on one sheet after
    another (alternating, and on new profiles) get their own sheet's points and grades, whatever
    was scored before."""
    findings = [finding("LR-004", "deduct"), finding("XYZ-001", "deduct")]  # an item, and the default
    stricter = _sheet_variant(
        profile, default_deduct=9, grades=[{"name": "优秀", "min": 99}, {"name": "不合格", "min": 0}]
    )
    for _ in range(2):
        mild, strict = score_case(findings, profile), score_case(findings, stricter)
        assert mild.score == 100 - 5 - profile.default_deduct
        assert strict.score == 100 - 5 - 9 and strict.grade == "不合格"
        assert mild.grade == next(g.name for g in profile.grades if mild.score >= g.min)
    for n in range(20):  # more profiles than are kept at a time
        deduct = n % 7
        assert score_case(findings, _sheet_variant(profile, default_deduct=deduct)).score == 95 - deduct


def test_a_veto_fails_the_file_on_a_sheet_whose_grades_stop_above_zero(profile):
    """A veto gives the failing grade (score 0) even where the points left would be below every
    grade's minimum; the same points without a veto have no grade to give (an error, as ever)."""
    import pytest

    sheet = _sheet_variant(
        profile,
        grades=[{"name": "优秀", "min": 90}, {"name": "合格", "min": 60}, {"name": "不合格", "min": 50}],
    )
    deductions = [finding(code, "deduct") for code in CODES * 4]  # 65 points
    vetoed = score_case([finding("XYZ-001", "veto"), *deductions], sheet)
    assert vetoed.vetoed and vetoed.score == 0 and vetoed.grade == "不合格"
    assert score_case(deductions, profile).score < 50
    with pytest.raises(StopIteration):
        score_case(deductions, sheet)


def held_open(code: str, stands_for: str | None, unknown: bool = False) -> Finding:
    """A 待人工评查 item: of an unknown fact (`unknown`) or of a rule reporting a check it could not
    run, standing for a check of severity `stands_for` (None: standing for none)."""
    return finding(code, "review").model_copy(update={"unknown": unknown, "rule_severity": stands_for})


def test_a_check_that_could_not_run_makes_the_grade_provisional(profile):
    """CERT-003 (a certificate not in the roster) stands for the veto CERT-002 could not give:
    the grade is 暂定 and at most the profile's cap, never 优秀, and nothing is deducted."""
    assert profile.provisional_max_grade == "良好"
    for stands_for in ("veto", "deduct"):
        result = score_case([held_open("CERT-003", stands_for)], profile)
        assert (result.score, result.grade, result.provisional, result.vetoed) == (100, "良好", 1, False)
        assert result.pending_review == 1
    # the same as a veto rule held open by an unknown fact
    unknown = score_case([held_open("CERT-002", "veto", unknown=True)], profile)
    assert (unknown.grade, unknown.provisional) == ("良好", 1)


def test_a_review_item_standing_for_no_veto_or_deduction_keeps_the_grade(profile):
    for stands_for in (None, "warn", "review"):
        result = score_case([held_open("BM-012", stands_for)], profile)
        assert (result.grade, result.provisional) == ("优秀", 0)


@settings(max_examples=200, deadline=None)
@given(findings_strategy, st.lists(st.sampled_from(["veto", "deduct", None]), max_size=5))
def test_held_open_checks_never_raise_the_grade_or_change_the_score(profile, findings, held):
    """Items standing for checks that could not run cap the grade; they never deduct, never veto."""
    grades = [g.name for g in profile.grades]
    plain = score_case(findings, profile)
    more = score_case(findings + [held_open("CERT-003", s) for s in held], profile)
    assert (more.score, more.vetoed) == (plain.score, plain.vetoed)
    assert grades.index(more.grade) >= grades.index(plain.grade)
    if more.vetoed:
        assert more.provisional == 0  # the veto stands: nothing about the grade is provisional
    else:  # one check held open, however many items CERT-003 gave
        assert more.provisional == len(
            {f.code for f in findings if f.rule_severity in ("veto", "deduct")}
            | ({"CERT-003"} if any(held) else set())
        )
    if more.provisional and not more.vetoed:
        assert grades.index(more.grade) >= grades.index(profile.provisional_max_grade)
