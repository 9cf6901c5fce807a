"""A result's JSON line (`review.result_json`, results.json and the result cache) is encoded by
orjson from the models' fields: it must be byte for byte pydantic's `model_dump_json()`, and
whatever orjson would encode differently must fall back to pydantic."""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_golden_results import ROOT, _import_paths
from test_trusted_models import _corpus

_import_paths()

from casereview import review  # noqa: E402
from casereview.batch import make_context, review_one  # noqa: E402
from casereview.evaluate.findings import Finding, Location, WaiverNote, trusted  # noqa: E402
from casereview.load import load_roster  # noqa: E402
from casereview.packs.loader import load_rulebook  # noqa: E402
from casereview.review import CaseResult, NotRun, RejectedInput, rejected, result_json  # noqa: E402
from casereview.score.profile import load_profile  # noqa: E402
from casereview.score.scoring import Score  # noqa: E402


def _pydantic(result: CaseResult) -> bytes:
    return result.__pydantic_serializer__.to_json(result)


def _by_orjson(result: CaseResult) -> bytes:
    """`result_json`'s fast path alone (no fallback): raises where it would fall back."""
    return orjson.dumps(result, default=review._fields, option=review._ORJSON_OPTIONS)


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> list[CaseResult]:
    folder = tmp_path_factory.mktemp("result-json")
    broken = folder / "broken.json"
    broken.write_text('{"case": {"number": "X1", "agency": {"name": "某局"}}, "decision": {"penalties": 5}}')
    book, profile = load_rulebook(), load_profile()
    ctx = make_context(book, profile, load_roster(ROOT / "rules" / "examples" / "roster.yaml"), "durable")
    return [review_one(path, ctx) for path in [*_corpus(folder), broken]]


def test_reviewed_files_are_encoded_by_orjson_as_pydantic_encodes_them(results):
    assert any(r.status == "rejected" for r in results)
    assert any(f.unknown for r in results for f in r.findings) and any(r.not_run for r in results)
    for result in results:
        assert _by_orjson(result) == _pydantic(result) == result.model_dump_json().encode()
        assert result_json(result) == _pydantic(result)
    waived = results[0].model_copy(deep=True)
    waiver = WaiverNote(reason="已整改", approver="张三", expires="2027-01-01", source="w.yaml:3")
    waived.findings[0].waiver = waiver
    assert _by_orjson(waived) == _pydantic(waived)


def test_what_orjson_would_encode_otherwise_falls_back_to_pydantic():
    class Code(str):
        pass

    score = Score.model_construct(score=85, grade="良好", vetoed=False, categories=[], profile="p")
    odd = [
        CaseResult(file="a", status="reviewed", score=score),  # an int in a float field: 85.0
        CaseResult(file="a", status="reviewed", facts_digest={"d": dt.date(2024, 1, 2)}),
        CaseResult(file="a", status="reviewed", facts_digest={"n": 1 << 70, "s": {3, 1, 2}}),
        CaseResult(file="a", status="reviewed", facts_digest={"c": Code("x"), "k": {1: "non-text key"}}),
        CaseResult(file="a", status="reviewed", facts_digest={"p": Path("a/b")}),
    ]
    for result in odd:
        with pytest.raises(TypeError):
            _by_orjson(result)
        assert result_json(result) == _pydantic(result)
    assert b'"score":85.0' in result_json(odd[0])


class _Colour(enum.Enum):
    RED = "红"
    ONE = 1


_TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from('\x00\x1f\x7f\u2028"\\/\ud800'), max_size=12)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0.1, 1e16, 1e-7, -0.0, 123456789.125, 5e-324, 1.7976931348623157e308])
    | _TEXT
    | st.sampled_from([_Colour.RED, _Colour.ONE, dt.date(2024, 5, 6), frozenset({1})])
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(_TEXT | st.integers(0, 3), inner, max_size=3)
    ),
    max_leaves=12,
)


def _finding(values: dict, line: int | None) -> Finding:
    return trusted(
        Finding,
        {
            "code": "R-1",
            "rule_id": "R-1",
            "title": "规则",
            "severity": "deduct",
            "severity_label": "扣分",
            "category": "程序",
            "message": "消息",
            "basis": ["《安全生产法》第1条"],
            "location": trusted(Location, {"file": "a.yaml", "field": "case", "line": line, "column": None}),
            "values": values,
            "notes": [],
            "unknown": False,
            "rule_severity": None,
            "waiver": None,
        },
    )


@settings(max_examples=300, deadline=None)
@given(
    values=st.dictionaries(_TEXT, _VALUES, max_size=4),
    digest=st.dictionaries(_TEXT, _VALUES, max_size=3),
    text=_TEXT,
    line=st.none() | st.integers(0, 1 << 40),
    score=st.floats(allow_nan=True, allow_infinity=True),
)
def test_any_values_give_pydantics_bytes_or_pydantics_error(values, digest, text, line, score):
    result = CaseResult(
        file=text,
        status="reviewed",
        title=text,
        score=Score(score=score, grade=text, vetoed=False, categories=[], profile="p", three_systems=score),
        findings=[_finding(values, line)],
        not_run=[NotRun(code="ROSTER", title=text, reason=text)],
        errors=[RejectedInput(file=text, message=text)],
        facts_digest=digest,
        notes=[text],
    )
    try:
        expected = _pydantic(result)
    except Exception as exc:  # pydantic cannot encode it: neither can result_json
        with pytest.raises(type(exc)):
            result_json(result)
        return
    assert result_json(result) == expected
    if not digest and all(isinstance(v, str) for v in values.values()):
        assert _by_orjson(result) == expected  # plain values take the fast path (NaN too: null)


def test_a_rejected_result_and_the_json_sink_use_it():
    import io

    from casereview.report.formats import ReportContext
    from casereview.report.formats.json import JsonSink

    error = RejectedInput(file="坏.yaml", line=3, field="case", message="缺少必填字段")
    result = rejected("坏.yaml", [error])
    assert _by_orjson(result) == _pydantic(result)
    sink = JsonSink(io.StringIO(), ReportContext(mask=False))
    assert sink.prepare(result, 0) == _pydantic(result)
