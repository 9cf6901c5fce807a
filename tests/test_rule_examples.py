"""Every rule's failing examples give its code and its passing examples do not, on both engines."""

from __future__ import annotations

import pytest

from casereview.packs.examples import run_example, run_unknown_example
from casereview.packs.loader import load_rulebook

BOOK = load_rulebook()
CASES = [
    pytest.param(code, expect_fail, i, id=f"{code}-{'fail' if expect_fail else 'pass'}{i}")
    for code, definition in sorted(BOOK.rules.items())
    for expect_fail, examples in (
        (True, definition.rule.examples.fail),
        (False, definition.rule.examples.passing),
    )
    for i in range(len(examples))
]


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
@pytest.mark.parametrize(("code", "expect_fail", "index"), CASES)
def test_rule_example(code, expect_fail, index, engine_name, oracle, durable):
    engine = oracle if engine_name == "oracle" else durable
    rule = BOOK.rules[code].rule
    example = (rule.examples.fail if expect_fail else rule.examples.passing)[index]
    ok, detail = run_example(BOOK, code, example, expect_fail, engine)
    assert ok, f"{code} {'不合格' if expect_fail else '合格'}示例 {index}（{example.note or ''}）：{detail}"


def test_every_rule_has_failing_and_passing_examples():
    for code, definition in BOOK.rules.items():
        assert definition.rule.examples.fail and definition.rule.examples.passing, code


UNKNOWN_CASES = [
    pytest.param(code, i, id=f"{code}-unknown{i}")
    for code, definition in sorted(BOOK.rules.items())
    for i in range(len(definition.rule.examples.unknown))
]


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
@pytest.mark.parametrize(("code", "index"), UNKNOWN_CASES)
def test_rule_unknown_example(code, index, engine_name, oracle, durable):
    """A fact the rule reads marked 未载明: its 待人工评查 item, never its veto or deduction."""
    engine = oracle if engine_name == "oracle" else durable
    example = BOOK.rules[code].rule.examples.unknown[index]
    ok, detail = run_unknown_example(BOOK, code, example, engine)
    assert ok, f"{code} 事实未载明示例 {index}（{example.note or ''}）：{detail}"


def test_every_rule_has_an_unknown_example():
    missing = sorted(code for code, d in BOOK.rules.items() if not d.rule.examples.unknown)
    assert not missing, f"这些规则没有事实未载明（unknown）示例：{', '.join(missing)}"


def test_base_example_cases_are_clean(book, oracle, example_roster, root):
    from casereview.derive.facts import derive
    from casereview.load import load_case

    for name in ("general.yaml", "simple.yaml"):
        case, _ = load_case(root / "rules" / "examples" / name)
        result = oracle.evaluate(derive(case, example_roster).facts)
        assert not result.matches, f"{name} 应当没有问题，实际触发：{result.matches}"


PACK_CASES = [
    pytest.param(ref, id=f"{ref.pack_id}-{ref.index}-{ref.path.name}") for ref in BOOK.example_cases
]


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
@pytest.mark.parametrize("ref", PACK_CASES)
def test_pack_example_case(ref, engine_name, oracle, durable, profile):
    """The real case files packs point to (`pack.example_cases`), reviewed as `check` would."""
    from casereview.maintain.pack_cases import run_case_ref

    engine = oracle if engine_name == "oracle" else durable
    outcomes = run_case_ref(BOOK, ref, engine, profile)
    assert outcomes and all(o.ok for o in outcomes), [o.detail for o in outcomes if not o.ok]
