"""`casereview rules test`: run every rule's examples, and the example cases packs point to
(`pack.example_cases`, see `pack_cases.py`), like a test runner; plus coverage.

`assert_rule_examples_pass(book)` is the helper a project's own pytest suite calls (it runs the
pack example cases too; `assert_pack_cases_pass` runs only those):

    from casereview.maintain.testing import assert_rule_examples_pass
    def test_my_rules():
        assert_rule_examples_pass(load_rulebook(Path("my-rules")))
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..derive.facts import derive
from ..evaluate.oracle import holds
from ..model.case import CaseFile
from ..model.roster import Roster
from ..packs.conditions import All, Const
from ..packs.examples import ExampleOutcome, _read_yaml, apply_example, run_rule_examples
from ..packs.loader import RuleBook
from ..score.profile import Profile
from .pack_cases import CaseOutcome, describe_case, facts_of_cases, run_pack_cases

ENGINE_LABELS = {"oracle": "参照引擎（oracle）", "durable": "durable_rules 引擎"}


def make_engine(book: RuleBook, name: str) -> Any:
    if name == "durable":
        from ..evaluate.durable_engine import DurableEngine

        return DurableEngine(book.compiled)
    from ..evaluate.oracle import OracleEngine

    return OracleEngine(book.compiled)


def durable_available() -> bool:
    try:
        import durable.engine  # noqa: F401
    except Exception:
        return False
    return True


@dataclass
class TestReport:
    __test__ = False  # not a pytest class

    engine: str
    outcomes: list[ExampleOutcome]
    cases: list[CaseOutcome] = field(default_factory=list)

    @property
    def failures(self) -> list[ExampleOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def case_failures(self) -> list[CaseOutcome]:
        return [o for o in self.cases if not o.ok]

    @property
    def skipped(self) -> list[CaseOutcome]:
        return [o for o in self.cases if o.skipped]

    @property
    def n_failed(self) -> int:
        return len(self.failures) + len(self.case_failures)

    @property
    def passed(self) -> int:
        return sum(o.ok for o in self.outcomes) + sum(o.ok and not o.skipped for o in self.cases)

    def lines(self) -> list[str]:
        """Failures, skipped cases, and the summary line (last), as `rules test` prints them."""
        out = [f"失败 {describe_outcome(o)}" for o in self.failures]
        out += [f"失败 {describe_case(o)}" for o in self.case_failures]
        out += [f"跳过 {describe_case(o)}" for o in self.skipped]
        n_cases = len(self.cases) - len(self.skipped)
        out.append(
            f"通过 {self.passed}，失败 {self.n_failed}"
            f"（规则示例 {len(self.outcomes)} 个，示例案卷 {n_cases} 个，跳过 {len(self.skipped)} 个）"
        )
        return out


def describe_outcome(o: ExampleOutcome) -> str:
    kind = {"fail": "不合格示例", "pass": "合格示例", "unknown": "事实未载明示例"}.get(o.kind, "示例")
    note = f"（{o.note}）" if o.note else ""
    return f"{o.code} {kind} {o.index}{note}：{o.detail}"


def run_tests(
    book: RuleBook,
    engines: list[str],
    codes: list[str] | None = None,
    cases: bool = True,
    profile: Profile | None = None,
) -> list[TestReport]:
    reports = []
    for name in engines:
        engine = make_engine(book, name)
        report = TestReport(name, run_rule_examples(book, engine, codes))
        if cases:
            report.cases = run_pack_cases(book, engine, profile, codes)
        reports.append(report)
    return reports


def _assert(reports: list[TestReport], what: str) -> None:
    lines = []
    for report in reports:
        lines += [f"[{report.engine}] {describe_outcome(o)}" for o in report.failures]
        lines += [f"[{report.engine}] {describe_case(o)}" for o in report.case_failures]
    if lines:
        raise AssertionError(f"{what}失败 {len(lines)} 个：\n" + "\n".join(lines))


def _engines(engine: str) -> list[str]:
    return ["oracle", "durable"] if engine == "both" else [engine]


def assert_rule_examples_pass(
    book: RuleBook, engine: str = "oracle", codes: list[str] | None = None, cases: bool = True
) -> None:
    """Fail (AssertionError, Chinese message) when any rule example — or, with `cases`, any
    example case a pack points to — does not behave as declared."""
    _assert(run_tests(book, _engines(engine), codes, cases), "规则示例或示例案卷")


def assert_pack_cases_pass(book: RuleBook, engine: str = "oracle", profile: Profile | None = None) -> None:
    """Only the example cases packs point to (`pack.example_cases`)."""
    reports = [
        TestReport(name, [], run_pack_cases(book, make_engine(book, name), profile))
        for name in _engines(engine)
    ]
    _assert(reports, "示例案卷")


# ---------------------------------------------------------------- coverage


@dataclass
class Coverage:
    n_fact_sets: int
    rules_total: int
    variants_total: int
    unexercised_rules: list[str] = field(default_factory=list)
    unexercised_variants: list[str] = field(default_factory=list)
    unexercised_tiers: list[str] = field(default_factory=list)
    tiers_total: int = 0
    case_errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "percent": self.percent()}

    def percent(self) -> dict[str, float | None]:
        """Share exercised, in percent: rules, table variants, benchmark tiers, and all together."""

        def pct(missing: int, total: int) -> float | None:
            return round(100 * (total - missing) / total, 1) if total else None

        parts = [
            (len(self.unexercised_rules), self.rules_total),
            (len(self.unexercised_variants), self.variants_total),
            (len(self.unexercised_tiers), self.tiers_total),
        ]
        return {
            "rules": pct(*parts[0]),
            "variants": pct(*parts[1]),
            "tiers": pct(*parts[2]),
            "total": pct(sum(m for m, _ in parts), sum(t for _, t in parts)),
        }


def example_fact_sets(book: RuleBook) -> list[list[dict[str, Any]]]:
    """Derived facts of every rule example (passing and failing)."""
    out = []
    examples_dir = book.root / "examples"
    for definition in book.rules.values():
        rule = definition.rule
        for example in [*rule.examples.fail, *rule.examples.passing]:
            try:
                data = apply_example(_read_yaml(examples_dir / f"{example.base}.yaml"), example)
                case = CaseFile.model_validate(data)
                roster = Roster.model_validate(_read_yaml(examples_dir / (example.roster or "roster.yaml")))
                out.append(derive(case, roster, tables=book.tables).facts)
            except Exception:
                continue  # a broken example is reported by the test run itself
    return out


def case_fact_sets(
    cases_dir: Path, roster: Roster | None = None
) -> tuple[list[list[dict[str, Any]]], list[str]]:
    from ..cli import iter_case_paths
    from ..load import InputRejected, load_roster

    if roster is None:
        for name in ("roster.yaml", "roster.csv"):
            if (cases_dir / name).is_file():
                with contextlib.suppress(InputRejected):
                    roster = load_roster(cases_dir / name)
                break
    return facts_of_cases(iter_case_paths([cases_dir]), roster)


def row_part(book: RuleBook, variant: Any) -> Any | None:
    """The table-row condition of an expanded variant (compile: All((*scope, row, when)))."""
    if "#" not in variant.rule_id or not isinstance(variant.when, All) or len(variant.when.items) < 2:
        return None
    row = variant.when.items[-2]
    return None if isinstance(row, Const) and row.value else row


def _safe_holds(cond: Any, fact: dict[str, Any]) -> bool:
    try:
        return holds(cond, fact)
    except Exception:
        return False


def coverage(
    book: RuleBook, fact_sets: list[list[dict[str, Any]]], case_errors: list[str] | None = None
) -> Coverage:
    facts_by_kind: dict[str, list[dict[str, Any]]] = {}
    for facts in fact_sets:
        for fact in facts:
            facts_by_kind.setdefault(fact["kind"], []).append(fact)
    exercised_rules: set[str] = set()
    exercised_variants: set[str] = set()
    tiers: dict[str, bool] = {}
    for variant in book.compiled:
        facts = facts_by_kind.get(variant.kind, [])
        row = row_part(book, variant)
        hit = any(_safe_holds(variant.when, f) for f in facts)
        if hit:
            exercised_rules.add(variant.code)
        if not hit and row is not None:
            hit = any(_safe_holds(row, f) for f in facts)
        if hit:
            exercised_variants.add(variant.rule_id)
    variants = [v.rule_id for v in book.compiled if "#" in v.rule_id]
    tiers = tier_coverage(book, facts_by_kind)
    return Coverage(
        n_fact_sets=len(fact_sets),
        rules_total=len(book.rules),
        variants_total=len(variants),
        unexercised_rules=sorted(set(book.rules) - exercised_rules),
        unexercised_variants=sorted(v for v in variants if v not in exercised_variants),
        unexercised_tiers=sorted(k for k, hit in tiers.items() if not hit),
        tiers_total=len(tiers),
        case_errors=case_errors or [],
    )


def _about(fact: dict[str, Any], item: Any) -> bool:
    """The fact concerns a benchmark item: it names it, or it cites the item's clause."""
    if fact.get("benchmark_item") == item.id:
        return True
    clause = item.clause
    return (
        fact.get("basis_article") == clause.article
        and (clause.item is None or fact.get("basis_item") == clause.item)
        and (clause.paragraph is None or fact.get("basis_paragraph") in (None, clause.paragraph))
    )


def tier_coverage(book: RuleBook, facts_by_kind: dict[str, list[dict[str, Any]]]) -> dict[str, bool]:
    """Each benchmark tier → whether some penalty/violation fact about its item falls in it.

    A review tier counts as exercised when a fact would give BM-009 for it: the decision states
    it, or the facts fit none of the item's checkable tiers."""
    try:
        from ..packs.tables.benchmark import tier_condition
        from ..packs.tables.benchmark_review import review_tier_hit
    except ImportError:
        return {}
    facts = [*facts_by_kind.get("penalty", []), *facts_by_kind.get("violation", [])]
    out: dict[str, bool] = {}
    for table in book.tables.of("benchmark"):
        for item in table.items:
            relevant = [f for f in facts if _about(f, item)]
            for tier in item.tiers:
                if tier.unverified:
                    continue
                try:
                    if tier.review:
                        cond = review_tier_hit(table, item, tier)
                    else:
                        cond = tier_condition(table, item, tier)
                except Exception:
                    continue
                key = f"{table.id} {item.id} 第{tier.tier}阶次" + ("（待人工评查）" if tier.review else "")
                out[key] = any(_safe_holds(cond, f) for f in relevant)
    return out


def render_coverage(cov: Coverage) -> list[str]:
    lines = [
        f"覆盖情况（{cov.n_fact_sets} 组事实：规则示例、规则包的示例案卷与 --cases 案卷；"
        f"{dt.date.today().isoformat()}）",
        f"规则 {cov.rules_total} 条，其中从未触发 {len(cov.unexercised_rules)} 条",
    ]
    lines += [f"  未触发规则：{c}" for c in cov.unexercised_rules]
    lines.append(f"表格变体 {cov.variants_total} 个，其中从未命中 {len(cov.unexercised_variants)} 个")
    by_rule: dict[str, list[str]] = {}
    for v in cov.unexercised_variants:
        by_rule.setdefault(v.split("#", 1)[0], []).append(v)
    for code, items in sorted(by_rule.items()):
        lines.append(f"  {code}：{len(items)} 个变体未命中")
        lines += [f"    未命中变体：{v}" for v in items]
    if cov.tiers_total:
        lines.append(f"裁量阶次 {cov.tiers_total} 个，其中没有案卷或示例落入 {len(cov.unexercised_tiers)} 个")
        lines += [f"  未命中阶次：{t}" for t in cov.unexercised_tiers]
    lines += [f"  {e}" for e in cov.case_errors]
    p = cov.percent()

    def show(x: float | None) -> str:
        return "—" if x is None else f"{x:.1f}%"

    lines.append(
        f"覆盖率：规则 {show(p['rules'])}，表格变体 {show(p['variants'])}，裁量阶次 {show(p['tiers'])}；"
        f"合计 {show(p['total'])}"
    )
    return lines
