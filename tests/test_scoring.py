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
