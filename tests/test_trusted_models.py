"""Findings, scores and their parts are built without pydantic validation (`trusted`, for speed):
each must be exactly what validating the same data gives — same values, same types, same JSON."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from test_golden_results import ROOT, _import_paths, _unknown_variant

_import_paths()

from casereview.batch import make_context, review_one  # noqa: E402
from casereview.evaluate.findings import Finding, Location, trusted  # noqa: E402
from casereview.load import load_roster  # noqa: E402
from casereview.packs.loader import load_rulebook  # noqa: E402
from casereview.review import CaseResult  # noqa: E402
from casereview.score.profile import load_profile  # noqa: E402
from casereview.score.scoring import CategoryScore, Score  # noqa: E402


def _corpus(folder: Path) -> list[Path]:
    import yaml
    from corpus import write_corpus

    from casereview.generate import generate_cases

    paths = write_corpus(folder / "generated", 24, 20261207, json_share=0.3)
    rng = random.Random(20261207)
    for i, case in enumerate(generate_cases(24, 20261208), start=1):
        path = folder / f"partial-{i:02d}.yaml"
        path.write_text(yaml.safe_dump(_unknown_variant(case, rng), allow_unicode=True), "utf-8")
        paths.append(path)
    return paths + sorted(p for p in (ROOT / "casefiles").glob("*.yaml") if p.stem != "roster")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> list[CaseResult]:
    book, profile = load_rulebook(), load_profile()
    ctx = make_context(book, profile, load_roster(ROOT / "rules" / "examples" / "roster.yaml"), "durable")
    return [review_one(path, ctx) for path in _corpus(tmp_path_factory.mktemp("trusted"))]


def _same_as_validated(model) -> None:
    validated = type(model).model_validate(model.model_dump())
    assert validated == model
    assert validated.model_dump_json() == model.model_dump_json()
    for name in type(model).model_fields:  # the same Python types, not only equal values (1 == 1.0)
        assert type(getattr(validated, name)) is type(getattr(model, name)), name


def test_trusted_findings_and_scores_equal_validated_ones(results):
    reviewed = [r for r in results if r.status == "reviewed"]
    assert len(reviewed) >= 40 and sum(len(r.findings) for r in reviewed) >= 100
    assert any(f.unknown for r in reviewed for f in r.findings)
    for result in reviewed:
        _same_as_validated(result)
        _same_as_validated(result.score)
        for category in result.score.categories:
            _same_as_validated(category)
        for finding in result.findings:
            _same_as_validated(finding)
            _same_as_validated(finding.location)


def test_trusted_is_model_construct_with_every_field():
    values = {"id": "c", "name": "类", "max": 10, "deducted": 2, "score": 8}
    assert trusted(CategoryScore, dict(values)) == CategoryScore.model_construct(**values)
    location = {"file": "a.yaml", "field": "case", "line": 3, "column": 1}
    assert trusted(Location, dict(location)) == Location(**location)
    assert isinstance(trusted(Score, {}), Score) and isinstance(trusted(Finding, {}), Finding)


def test_category_scores_are_shared_only_because_they_cannot_change(profile):
    from pydantic import ValidationError

    from casereview.score.scoring import score_case

    first, second = score_case([], profile), score_case([], profile)
    assert first.categories == second.categories and first.categories is not second.categories
    shared = first.categories[0]
    assert shared is second.categories[0]  # one instance per category and points deducted
    with pytest.raises(ValidationError):
        shared.deducted = 5  # frozen: changing one result's category cannot change another's


def test_shown_values_equal_display(book, example_roster):
    """Findings show a rule's plain fields as themselves (是/否 for flags) without `display`:
    the same as `display` for the facts each rule matches, and for odd values too."""
    from casereview.derive.facts import derive
    from casereview.evaluate.durable_engine import DurableEngine
    from casereview.evaluate.findings import _parts, _shown, display
    from casereview.generate import generate_cases
    from casereview.model import CaseFile

    engine = DurableEngine.for_book(book)
    rng = random.Random(11)
    checked = 0
    for data in generate_cases(80, 20261210):
        facts = {f["fid"]: f for f in derive(CaseFile.model_validate(data), example_roster).facts}
        for match in engine.evaluate(list(facts.values())).sorted_matches():
            parts, fact = _parts(book, match.rule_id), facts[match.fid]
            odd = {k: rng.choice([True, 1, 738000, "x", 2.5]) for k in parts.shown}
            flags = dict.fromkeys(parts.plain, False)
            for variant in (fact, {**fact, **odd}, {**fact, **flags}):
                expected = {k: display(k, variant[k], parts.kind) for k in parts.shown if k in variant}
                assert _shown(parts, variant, parts.kind) == expected
                checked += 1
    assert checked > 500


def test_models_sharing_a_fields_set_take_attribute_changes():
    from casereview.evaluate.findings import WaiverNote

    location = {"file": "a.yaml", "field": "case", "line": 3, "column": 1}
    first, second = trusted(Location, dict(location)), trusted(Location, dict(location))
    assert first.model_fields_set == set(Location.model_fields)  # every field given
    first.line = 9  # pydantic adds the name to the (shared) set: already there
    assert (first.line, second.line) == (9, 3) and second.model_fields_set == set(Location.model_fields)
    assert first.model_copy(update={"column": 2}).column == 2 and second.column == 1
    finding = trusted(Finding, {name: None for name in Finding.model_fields})
    finding.waiver = WaiverNote(reason="r", approver="a", expires="2099-01-01")
    assert finding.model_fields_set == set(Finding.model_fields)


def test_a_case_text_of_another_type_is_still_validated(book, example_roster):
    """The result of a reviewed file is built without validation only when the case's texts
    (number, title, agency, region, party, procedure) are text: anything else reaches
    validation, which refuses it, as it always did (the file is then rejected)."""
    from pydantic import ValidationError

    from casereview.load import load_case
    from casereview.review import _review_case

    ctx = make_context(book, load_profile(), example_roster, "durable")
    path = ROOT / "casefiles" / "01-qingshanhu-jingshi-biaozhi.yaml"
    case, source = load_case(path)
    assert _review_case(path, case, source, ctx).agency == case.case.agency.name
    object.__setattr__(case.case.agency, "name", 42)  # as no loaded case can be
    with pytest.raises(ValidationError):
        _review_case(path, case, source, ctx)
