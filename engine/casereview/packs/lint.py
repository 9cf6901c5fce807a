"""`casereview rules lint`: check the tables themselves (statutes, benchmarks, exemption lists).

- every benchmark tier's fine band lies inside the statutory range of its clause, branch, target;
- tiers are ordered: bands do not decrease from one tier to the next (per branch and target),
  and two consecutive tiers do not share the same band;
- gaps and overlaps between consecutive range tiers on the same variable, judged with the
  *source's* boundary convention (以上/以下/不满/超过);
- citations point to articles (and items) that exist in the statute table;
- amounts are whole yuan (a value below 100 is suspected to be in 万元);
- statute tables check themselves: every fine's quoted text, parsed with the Chinese amount
  parser, gives the fine's numbers and is part of the clause's quote (`text_waiver` waives it);
  clauses that do not state their non-fine penalty kinds are listed as notices;
- review tiers (适用条件 kept as text, not yet a condition) are listed as notices: they are
  work for a maintainer, not defects, so they do not make lint fail.

A known defect of an official source is kept verbatim and listed under `waivers:` in its table;
waived problems are reported as waived, not as errors.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .expanders import Tables
from .tables.benchmark import BenchmarkTable, Item, Tier, overlaps
from .tables.exemption import ExemptionList
from .tables.statute import BRANCH_LABELS, TARGET_LABELS, StatuteTable, fine_text_problems, yuan_text


@dataclass
class LintProblem:
    file: str
    line: int
    code: str  # below_statute / above_statute / non_monotonic / same_band / overlap / gap / unknown_article …
    message: str
    item: str | None = None
    tiers: tuple[int, ...] = ()
    waived: str | None = None  # the waiver's reason when waived
    notice: bool = False  # to be done by a maintainer, not a defect (review tiers)

    def __str__(self) -> str:
        head = f"{self.file}:{self.line} [{self.code}]"
        if self.notice:
            return f"{head} （提示）{self.message}"
        if self.waived:
            return f"{head} （已豁免：{self.waived}）{self.message}"
        return f"{head} {self.message}"


def _tables_of(book_or_tables: Any) -> Tables:
    return book_or_tables.tables if hasattr(book_or_tables, "tables") else book_or_tables


def lint_tables(book_or_tables: Any, statutes_dir: Path | None = None) -> list[LintProblem]:
    """Lint the tables; given a rule book, also compare its official quotes with the statute texts."""
    tables = _tables_of(book_or_tables)
    statutes: list[StatuteTable] = tables.of("statute")
    problems: list[LintProblem] = []
    if hasattr(book_or_tables, "rules"):
        problems += lint_quotes(book_or_tables, statutes_dir)
        problems += lint_parameters(book_or_tables)
    for statute in statutes:
        problems += _lint_statute(statute)
    for table in tables.of("benchmark"):
        problems += _lint_benchmark(table, statutes)
    for exemption in tables.of("exemption_list"):
        problems += _lint_list(exemption, statutes)
    from .tables.instruments import lint_instruments  # versions, successor/upper references

    problems += lint_instruments(tables)
    return problems


def errors(problems: list[LintProblem]) -> list[LintProblem]:
    return [p for p in problems if not p.waived and not p.notice]


def notices(problems: list[LintProblem]) -> list[LintProblem]:
    return [p for p in problems if p.notice]


# ---------------------------------------------------------------- official quotes vs statute texts


def lint_quotes(book: Any, statutes_dir: Path | None = None) -> list[LintProblem]:
    from .quotes import find_statutes, quote_problems

    folder = find_statutes(getattr(book, "root", None), statutes_dir)
    if folder is None:
        note = (
            "未找到法规原文文件夹（仓库 docs/statutes/；安装包中不含），official 引文未与原文核对；"
            "可用 --statutes 目录 或环境变量 CASEREVIEW_STATUTES 指定"
        )
        return [LintProblem(str(getattr(book, "root", "")), 0, "quotes_unchecked", note, notice=True)]
    return [
        LintProblem(p.file, p.line, "quote_unchecked" if p.notice else "quote", p.message, notice=p.notice)
        for p in quote_problems(book, folder)
    ]


def lint_parameters(book: Any) -> list[LintProblem]:
    """Dated parameter values against the numbers their quotes state (waived ones listed as waived)."""
    from .paramcheck import parameter_text_problems

    out = []
    files = {name: (d.file, d.line) for d in book.rules.values() for name in _params_of(d)}
    for name, param in sorted(book.parameters.items()):
        file, line = files.get(name, (str(book.root), 0))
        for bad in parameter_text_problems(name, param):
            out.append(LintProblem(file, line, "parameter_text", bad.message, waived=bad.waived))
    return out


def _params_of(definition: Any) -> set[str]:
    return {p for v in definition.variants for p in v.context.get("_params", ())}


# ---------------------------------------------------------------- statute tables themselves


def _lint_statute(table: StatuteTable) -> list[LintProblem]:
    out = [
        LintProblem(table.path, p.line, "amount_text", p.message, waived=p.waived)
        for p in fine_text_problems(table)
    ]
    for clause in table.clauses:
        if clause.branches and not clause.cross_reference and not clause.types_stated:
            out.append(
                LintProblem(
                    table.path,
                    clause.line,
                    "penalty_types_unstated",
                    f"{clause.cite(table.law)}未载明罚款以外的处罚种类（penalty_types），"
                    "依据该条款的警告、没收、停产停业、吊销等处罚列为待人工评查（AMT-015）",
                    notice=True,
                )
            )
    return out


# ---------------------------------------------------------------- statute lookups


def _statute_for(statutes: list[StatuteTable], law: str, version: str | None) -> StatuteTable | None:
    found = [
        t for t in statutes if law in (t.law, *t.aliases) and (version is None or version in t.versions())
    ]
    # no version stated: the latest version loaded (several versions of one law may be loaded)
    return max(found, key=lambda t: t.in_force, default=None)


def _statute_bounds(
    statute: StatuteTable, article: int, paragraph: int | None, branch: str, target: str
) -> list[tuple[float, float]] | None:
    """Fixed-yuan statutory bands for this clause/branch/target; [] = no fine; None = not fixed-yuan."""
    clauses = [
        c
        for c in statute.clauses
        if c.article == article
        and ((paragraph is None and (c.paragraph is None or c.paragraph_default)) or c.paragraph == paragraph)
    ]
    bands: list[tuple[float, float]] = []
    for clause in clauses:
        for rule in clause.branches:
            if branch not in rule.branch:
                continue
            for fine in rule.fines:
                if fine.target != target:
                    continue
                bounds = fine.bounds()
                if bounds is None:
                    return None
                bands.append(bounds)
    return bands


# ---------------------------------------------------------------- benchmarks


def _lint_benchmark(table: BenchmarkTable, statutes: list[StatuteTable]) -> list[LintProblem]:
    out: list[LintProblem] = []
    waivers = {(w.item, w.problem): w for w in table.waivers}

    def add(
        item: Item, code: str, message: str, tiers: tuple[int, ...] = (), line: int | None = None
    ) -> None:
        waiver = waivers.get((item.id, code))
        reason = waiver.reason if waiver and (not waiver.tiers or set(tiers) <= set(waiver.tiers)) else None
        out.append(LintProblem(table.path, line or item.line, code, message, item.id, tiers, reason))

    for item in table.items:
        clause = item.clause
        statute = _statute_for(statutes, clause.law, clause.version)
        if statute is None:
            add(
                item,
                "unknown_law",
                f"{item.id}：未载入《{clause.law}》（{clause.version}）的法条表，无法核对法定幅度",
            )
            continue
        found = [c for c in statute.clauses if c.article == clause.article]
        if not found:
            add(
                item,
                "unknown_article",
                f"{item.id}：引用{clause.cite()}，法条表中没有该条罚则（收录第{min(statute.articles())}–{max(statute.articles())}条）",
            )
            continue
        if clause.item and not any(not c.items or clause.item in c.items for c in found):
            add(item, "unknown_article", f"{item.id}：引用{clause.cite()}，该条没有第{clause.item}项")
        tiers = [t for t in item.tiers if not t.unverified]
        for tier in tiers:
            if tier.review:
                out.append(
                    LintProblem(
                        table.path,
                        item.line,
                        "review_tier",
                        f"{item.id} 第{tier.tier}阶次的适用条件「{tier.condition_text}」尚未写成规则条件，"
                        "适用该阶次的案件列为待人工评查（BM-009）；请补写 range 或 when 后去掉 review",
                        item.id,
                        (tier.tier,),
                        notice=True,
                    )
                )
            for branch, targets in tier.fines.items():
                for target, band in targets.items():
                    if any(isinstance(v, float) and not float(v).is_integer() for v in band) or any(
                        0 < v < 100 for v in band
                    ):
                        add(
                            item,
                            "unit",
                            f"{item.id} 第{tier.tier}阶次 {branch}/{target}：金额 {band} 疑似不是以元为单位",
                            (tier.tier,),
                        )
                    bands = _statute_bounds(statute, clause.article, clause.paragraph, branch, target)
                    if bands is None:
                        continue
                    label = f"{item.id} 第{tier.tier}阶次（{BRANCH_LABELS[branch]}，{TARGET_LABELS[target]}）"
                    if not bands:
                        add(
                            item,
                            "no_statutory_fine",
                            f"{label}：{clause.cite()}在该情形下不设对{TARGET_LABELS[target]}的罚款",
                            (tier.tier,),
                        )
                        continue
                    lo = min(b[0] for b in bands)
                    hi = max(b[1] for b in bands)
                    if band[0] < lo:
                        add(
                            item,
                            "below_statute",
                            f"{label}：下限 {yuan_text(band[0])} 低于法定下限 {yuan_text(lo)}",
                            (tier.tier,),
                        )
                    if band[1] > hi:
                        add(
                            item,
                            "above_statute",
                            f"{label}：上限 {yuan_text(band[1])} 高于法定上限 {yuan_text(hi)}",
                            (tier.tier,),
                        )
        out += _order_problems(table, item, tiers, add)
    return out


def _order_problems(table: BenchmarkTable, item: Item, tiers: list[Tier], add) -> list[LintProblem]:
    # bands: every tier, review tiers included (their amounts are source text like any other);
    # gaps and overlaps: only between tiers that have a condition
    for prev, nxt in itertools.pairwise(tiers):
        pair = (prev.tier, nxt.tier)
        for branch in sorted(set(prev.fines) & set(nxt.fines)):
            for target in sorted(set(prev.fines[branch]) & set(nxt.fines[branch])):
                a, b = prev.fines[branch][target], nxt.fines[branch][target]
                where = f"{BRANCH_LABELS[branch]}，{TARGET_LABELS[target]}"
                label = f"{item.id} 第{prev.tier}、{nxt.tier}阶次（{where}）"
                if a == b:
                    add(item, "same_band", f"{label}：罚款幅度相同（{a}），阶次没有区分", pair)
                elif b[0] < a[0] or b[1] < a[1]:
                    add(
                        item,
                        "non_monotonic",
                        f"{label}：后一阶次 {b} 低于前一阶次 {a}，幅度未随阶次递增",
                        pair,
                    )
    for prev, nxt in itertools.pairwise([t for t in tiers if not t.review]):
        pair = (prev.tier, nxt.tier)
        if prev.range and nxt.range and prev.range.var == nxt.range.var:
            boundary = table.source.boundary
            above, below = ("含" if boundary.以上 else "不含"), ("含" if boundary.以下 else "不含")
            conv = f"（本表边界约定：以上{above}本数，以下{below}本数）"
            first, second = prev.range.describe(), nxt.range.describe()
            pair_text = f"{item.id} 第{prev.tier}阶次「{first}」与第{nxt.tier}阶次「{second}」"
            if overlaps(table, prev, nxt):
                add(
                    item,
                    "overlap",
                    f"{pair_text}重叠{conv}",
                    pair,
                )
            elif _gap(table, item, prev, nxt):
                add(
                    item,
                    "gap",
                    f"{pair_text}之间有空档{conv}",
                    pair,
                )
    return []


def _gap(table: BenchmarkTable, item: Item, prev: Tier, nxt: Tier) -> bool:
    assert prev.range and nxt.range
    _plo, _plo_i, phi, phi_i = prev.range.interval(table.source.boundary)
    nlo, nlo_i, _nhi, _nhi_i = nxt.range.interval(table.source.boundary)
    if math.isinf(phi) or math.isinf(nlo):
        return False
    if item.variables[prev.range.var].type == "int":
        last = phi if phi_i else math.ceil(phi) - 1
        first = nlo if nlo_i else math.floor(nlo) + 1
        return first > last + 1
    if nlo > phi:
        return True
    return nlo == phi and not phi_i and not nlo_i


# ---------------------------------------------------------------- exemption lists


def _lint_list(table: ExemptionList, statutes: list[StatuteTable]) -> list[LintProblem]:
    out: list[LintProblem] = []
    for item in table.items:
        basis = item.basis
        if basis is None:
            continue
        statute = _statute_for(statutes, basis.law, basis.version)
        if statute is None:
            continue
        found = [c for c in statute.clauses if c.article == basis.article]
        if not found:
            out.append(
                LintProblem(
                    table.path,
                    item.line,
                    "unknown_article",
                    f"{item.id}：引用{basis.cite()}，法条表中没有该条罚则",
                    item.id,
                )
            )
        elif basis.item and not any(not c.items or basis.item in c.items for c in found):
            out.append(
                LintProblem(
                    table.path,
                    item.line,
                    "unknown_article",
                    f"{item.id}：引用{basis.cite()}，该条没有第{basis.item}项",
                    item.id,
                )
            )
    return out
