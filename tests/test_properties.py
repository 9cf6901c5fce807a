"""Property tests over generated case models: the review never raises, every input is accounted
for, scores stay in bounds, vetoes fail, both engines agree, results are stable and round-trip."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casereview.generate import generate_cases
from casereview.review import CaseResult, ReviewContext, review_file

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
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
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
        assert score.vetoed and score.grade == profile.failing_grade
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
