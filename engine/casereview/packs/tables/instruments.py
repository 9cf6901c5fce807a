"""Expanders over statute tables for what the amount checks cannot decide alone:

- which instruments and versions are loaded (a basis in an instrument without a table, a
  violation date outside every loaded version, an article a partial table does not hold);
- ranges whose text is not verbatim (secondary / unverified) or not obtained at all: checked,
  but as 待人工评查, never a veto;
- 从旧兼从轻 (行政处罚法 art. 37): an old version's clause and its successor compared;
- a 规章 against its upper law (行政处罚法 arts. 13, 29).

Every article, amount and date comes from the tables; this module only compares them.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from typing import Any

from ..conditions import All, AnyOf, Cmp, Cond, In, Not, Present
from ..expanders import Tables, Variant, expander
from ..uncertain import not_even_partly_known
from .statute import (
    BRANCH_LABELS,
    KIND_LABELS,
    TARGET_LABELS,
    BranchRule,
    Clause,
    ClauseRef,
    Fine,
    StatuteTable,
    _context,
    _fine_suffix,
    _suffix,
    clause_match,
    fine_match,
    law_match,
    no_fine_variant,
)

LEVEL_LABELS = {
    "official": "官方文本",
    "copy": "转载原文（未与官方文本核对）",
    "secondary": "二手来源，待核实",
    "example": "示例，非官方",
    "unverified": "未核实",
}


def statutes(tables: Tables) -> list[StatuteTable]:
    return list(tables.of("statute"))


def _by_law(tables: Tables) -> dict[str, list[StatuteTable]]:
    out: dict[str, list[StatuteTable]] = defaultdict(list)
    for table in statutes(tables):
        out[table.law].append(table)
    return out


def _names(tables_of_law: list[StatuteTable]) -> tuple[str, ...]:
    names: list[str] = []
    for table in tables_of_law:
        for name in (table.law, *table.aliases):
            if name not in names:
                names.append(name)
    return tuple(names)


def _label(table: StatuteTable, clause: Clause | None = None) -> str:
    level = table.clause_level(clause) if clause else table.verification
    return LEVEL_LABELS[level]


def _table_text(table: StatuteTable) -> str:
    return f"《{table.law}》（{table.version}，{KIND_LABELS[table.kind]}，施行{table.period_text()}）"


# ---------------------------------------------------------------- instrument coverage


@expander("instrument_not_loaded")
def instrument_not_loaded(tables: Tables) -> list[Variant]:
    """The basis names an instrument no table holds."""
    names = tuple(n for law in _by_law(tables).values() for n in _names(law))
    loaded = "、".join(f"《{t.law}》（{t.version}）" for t in statutes(tables))
    cond = All((Present("basis_law"), Not(In("basis_law", names))))
    return [Variant("all", cond, {"loaded": loaded, "_notes": [f"已载入的法条表：{loaded}"]})]


@expander("instrument_version_gap")
def instrument_version_gap(tables: Tables) -> list[Variant]:
    """The law is loaded, but no loaded version covers the day the violation ended (or that day is
    unknown), or the stated version is not loaded."""
    variants = []
    for law, versions in sorted(_by_law(tables).items()):
        names = _names(versions)
        periods = "；".join(
            f"{t.version}：{t.period_text()}" for t in sorted(versions, key=lambda t: t.in_force)
        )
        covered = tuple(
            All(
                (
                    Cmp("ended_on", "gte", value=t.in_force.toordinal()),
                    *(
                        (Cmp("ended_on", "lte", value=t.in_force_until.toordinal()),)
                        if t.in_force_until
                        else ()
                    ),
                )
            )
            for t in versions
        )
        all_versions = tuple(v for t in versions for v in t.versions())
        ctx = {"law": law, "periods": periods, "_notes": [f"已载入《{law}》的版本：{periods}"]}
        unstated = Cmp("basis_version_stated", "eq", value=False)
        variants.append(
            Variant(
                f"{law}-date-unknown",
                All((In("basis_law", names), unstated, not_even_partly_known("ended_on"))),
                {**ctx, "gap": "违法行为终了日期不明，无法确定适用的版本"},
            )
        )
        variants.append(
            Variant(
                f"{law}-date-outside",
                All((In("basis_law", names), unstated, Present("ended_on"), Not(AnyOf(covered)))),
                {**ctx, "gap": "违法行为终了日不在任何已载入版本的施行期间内"},
            )
        )
        variants.append(
            Variant(
                f"{law}-version-not-loaded",
                All(
                    (In("basis_law", names), Present("basis_version"), Not(In("basis_version", all_versions)))
                ),
                {**ctx, "gap": "决定书所引版本未载入"},
            )
        )
    return variants


@expander("instrument_article_not_in_table")
def article_not_in_table(tables: Tables) -> list[Variant]:
    """A partial table (penalty articles not all obtained): another article gives 幅度未核查."""
    variants = []
    for table in statutes(tables):
        if table.complete:
            continue
        known = tuple(sorted(table.articles()))
        cond = All((law_match(table), Present("basis_article"), Not(In("basis_article", known))))
        ctx = {
            "instrument": _table_text(table),
            "articles": "、".join(str(a) for a in known) or "无",
            "_notes": [f"{_table_text(table)}：{table.source}"],
        }
        variants.append(Variant(table.id, cond, ctx))
    return variants


@expander("instrument_article_unknown")
def article_unknown(tables: Tables) -> list[Variant]:
    """The basis names the instrument but no article: no clause can be checked."""
    variants = []
    for law, versions in sorted(_by_law(tables).items()):
        cond = All((In("basis_law", _names(versions)), Present("basis_article", False)))
        variants.append(Variant(law, cond, {"law": law}))
    return variants


# ---------------------------------------------------------------- ranges that may not veto


def _problem_ctx(
    table: StatuteTable, clause: Clause, branch: BranchRule | None, fine: Fine | None, problem: str
):
    ctx = _context(table, clause, branch, fine)
    ctx["problem"] = problem
    ctx["level"] = _label(table, clause)
    ctx["instrument"] = _table_text(table)
    ctx.setdefault("_notes", [])
    ctx["_notes"] = [*ctx["_notes"], f"条文来源（{ctx['level']}）：{clause.source or table.source}"]
    return ctx


@expander("statute_unverified_range")
def unverified_range(tables: Tables) -> list[Variant]:
    """Clauses whose amounts are secondary, unverified or not obtained: the same checks as
    AMT-001/002, reported for a person to confirm against the official text."""
    variants = []
    for table in statutes(tables):
        for clause in table.clauses:
            if table.vetoes(clause) or clause.cross_reference or clause.authority:
                continue
            if clause.amounts_unknown:
                ctx = _problem_ctx(table, clause, None, None, "该条罚款幅度未取得可靠文本，金额未核查")
                variants.append(Variant(_suffix(table, clause, "unknown"), clause_match(table, clause), ctx))
                continue
            for branch in clause.branches:
                for index, fine in enumerate(branch.fines):
                    if not fine.checkable:
                        continue
                    for tag, guard, over, under in fine.parts():
                        base = (
                            clause_match(table, clause),
                            fine_match(branch, fine),
                            *((guard,) if guard else ()),
                        )
                        suffix = _fine_suffix(table, clause, branch, index, fine) + (f"-{tag}" if tag else "")
                        label = "、".join(BRANCH_LABELS[b] for b in branch.branch)
                        text = f"超出该条（{label}）对{TARGET_LABELS[fine.target]}{fine.describe()}的幅度"
                        variants.append(
                            Variant(
                                suffix + "-over",
                                All((*base, over)),
                                _problem_ctx(table, clause, branch, fine, text),
                            )
                        )
                        if under is not None:
                            text = f"低于该条（{label}）对{TARGET_LABELS[fine.target]}{fine.describe()}的下限"
                            cond = All(
                                (*base, under, In("adjustment", ("none", "heavier", "exempt", "lighter")))
                            )
                            variants.append(
                                Variant(
                                    suffix + "-under", cond, _problem_ctx(table, clause, branch, fine, text)
                                )
                            )
            nofine = no_fine_variant(table, clause)
            ctx = _problem_ctx(
                table,
                clause,
                None,
                None,
                f"该条在此情形下不设对该对象的罚款（{nofine.context['permitted']}）",
            )
            variants.append(Variant(nofine.suffix + "-nofine", nofine.when, ctx))
    return variants


# ---------------------------------------------------------------- 从旧兼从轻 (行政处罚法 art. 37)


def find_clause(tables: Tables, ref: ClauseRef) -> tuple[StatuteTable, Clause] | None:
    for table in statutes(tables):
        if ref.law in (table.law, *table.aliases) and ref.version in table.versions():
            for clause in table.clauses:
                if clause.article == ref.article and (
                    ref.paragraph is None or clause.paragraph in (None, ref.paragraph)
                ):
                    return table, clause
    return None


def _fines_of(clause: Clause) -> dict[tuple[str, str], Fine]:
    """(branch, target) → the fixed-yuan fine (first one; accident grades are not compared)."""
    out: dict[tuple[str, str], Fine] = {}
    for branch in clause.branches:
        for fine in branch.fines:
            if fine.bounds() is None or fine.accident_grade:
                continue
            for code in branch.branch:
                out.setdefault((code, fine.target), fine)
    return out


def lighter(old: Fine | None, new: Fine | None) -> str:
    """'old' / 'new' / 'equal' / 'unknown': the lower maximum is lighter, then the lower minimum."""
    if old is None or new is None or old.bounds() is None or new.bounds() is None:
        return "unknown"
    (old_min, old_max), (new_min, new_max) = old.bounds(), new.bounds()  # type: ignore[misc]
    if (old_max, old_min) == (new_max, new_min):
        return "equal"
    return "new" if (new_max, new_min) < (old_max, old_min) else "old"


def _pairs(tables: Tables):
    """(old table, old clause, new table, new clause) for every clause with a loaded successor."""
    for table in statutes(tables):
        for clause in table.clauses:
            if clause.successor is None:
                continue
            found = find_clause(tables, clause.successor)
            if found is not None:
                yield table, clause, found[0], found[1]


def _why(old_t, old_c, new_t, new_c, verdict, old_f, new_f, branch, target) -> str:
    where = f"{BRANCH_LABELS[branch]}对{TARGET_LABELS[target]}"
    old_range = old_f.describe() if old_f else "幅度未核查"
    old_text = f"旧法{old_c.cite(old_t.law)}（{old_t.version}，{_label(old_t, old_c)}）{where}{old_range}"
    new_text = (
        f"新法{new_c.cite(new_t.law)}（{new_t.version}）{where}{new_f.describe() if new_f else '不设罚款'}"
    )
    judged = {
        "old": "旧法较轻，应适用旧法",
        "new": "新法较轻，应适用新法",
        "equal": "新旧法幅度相同",
        "unknown": "无法比较新旧法轻重",
    }[verdict]
    return f"{old_text}；{new_text}：{judged}"


def _decided_under(new_t: StatuteTable) -> Cond:
    return Cmp("decided_on", "gte", value=new_t.in_force.toordinal())


@expander("old_law_lighter_new_law")
def old_law_new_lighter(tables: Tables) -> list[Variant]:
    """Old-period violation decided under the new law, basis in the old version: when the new law
    is lighter (or cannot be compared), the amount must fit the new law too."""
    variants = []
    for old_t, old_c, new_t, new_c in _pairs(tables):
        old_fines, new_fines = _fines_of(old_c), _fines_of(new_c)
        keys = sorted({*old_fines, *new_fines}) or [("initial", "unit")]
        for branch, target in keys:
            old_f, new_f = old_fines.get((branch, target)), new_fines.get((branch, target))
            verdict = "unknown" if old_c.amounts_unknown else lighter(old_f, new_f)
            base = (
                clause_match(old_t, old_c),
                _decided_under(new_t),
                In("branch", (branch,)),
                Cmp("target", "eq", value=target),
            )
            why = _why(
                old_t,
                old_c,
                new_t,
                new_c,
                verdict,
                None if old_c.amounts_unknown else old_f,
                new_f,
                branch,
                target,
            )
            ctx = {
                "why": why,
                "new_cite": new_c.cite(new_t.law),
                "new_version": new_t.version,
                "_notes": [why],
            }
            suffix = _suffix(old_t, old_c, branch, target)
            if verdict == "new" and new_f is not None:
                variants.append(
                    Variant(suffix, All((*base, new_f.over())), {**ctx, "issue": "罚款超出较轻的新法幅度"})
                )
            elif verdict == "unknown":
                variants.append(
                    Variant(suffix + "-unknown", All(base), {**ctx, "issue": "新旧法轻重未能核对"})
                )
    return variants


@expander("new_law_for_old_violation")
def new_law_for_old_violation(tables: Tables) -> list[Variant]:
    """Basis in a version that entered into force after the violation ended: allowed only when it is
    lighter (行政处罚法 art. 37)."""
    variants = []
    successors: dict[tuple[str, int], list[tuple[StatuteTable, Clause]]] = defaultdict(list)
    for old_t, old_c, new_t, new_c in _pairs(tables):
        successors[(new_t.id, new_c.article)].append((old_t, old_c))
    for new_t in statutes(tables):
        for new_c in new_t.clauses:
            if new_c.cross_reference:
                continue
            stated = All(
                (
                    Cmp("basis_article", "eq", value=new_c.article),  # splits the alpha network first
                    In("basis_law", (new_t.law, *new_t.aliases)),
                    In("basis_version", new_t.versions()),
                    Cmp("ended_on", "lt", value=new_t.in_force.toordinal()),
                )
            )
            olds = successors.get((new_t.id, new_c.article), [])
            older = [t for t in statutes(tables) if t.law == new_t.law and t.in_force < new_t.in_force]
            if not older:
                continue
            if not olds:
                why = f"本表没有{new_c.cite(new_t.law)}（{new_t.version}）对应的旧法条款，新旧法轻重未能核对"
                variants.append(
                    Variant(
                        _suffix(new_t, new_c, "nomap"),
                        stated,
                        {"why": why, "issue": "适用新法须新法较轻", "_notes": [why]},
                    )
                )
                continue
            for old_t, old_c in olds:
                old_fines, new_fines = _fines_of(old_c), _fines_of(new_c)
                for (branch, target), new_f in sorted(new_fines.items()):
                    old_f = None if old_c.amounts_unknown else old_fines.get((branch, target))
                    verdict = lighter(old_f, new_f)
                    if verdict in ("new", "equal"):
                        continue
                    why = _why(old_t, old_c, new_t, new_c, verdict, old_f, new_f, branch, target)
                    cond = All((stated, In("branch", (branch,)), Cmp("target", "eq", value=target)))
                    variants.append(
                        Variant(
                            _suffix(new_t, new_c, old_t.version, branch, target),
                            cond,
                            {
                                "why": why,
                                "issue": "旧法较轻" if verdict == "old" else "新旧法轻重未能核对",
                                "_notes": [why],
                            },
                        )
                    )
    return variants


@expander("version_ended_before_violation_ended")
def version_out_of_force(tables: Tables) -> list[Variant]:
    """The stated version was not in force when the violation ended: it had been replaced (a continuing
    violation into the new law), or it came later and no earlier version is loaded (VER-002 compares
    with a loaded earlier version instead)."""
    variants = []
    for table in statutes(tables):
        stated = (In("basis_law", (table.law, *table.aliases)), In("basis_version", table.versions()))
        ctx = {"instrument": _table_text(table), "period": table.period_text()}
        if table.in_force_until is not None:
            cond = All((*stated, Cmp("ended_on", "gt", value=table.in_force_until.toordinal())))
            hint = "违法行为终了时该版本已被取代；连续或者继续状态的违法行为按行为终了时施行的规定处罚"
            variants.append(Variant(f"{table.id}-after", cond, {**ctx, "hint": hint}))
        older = [t for t in statutes(tables) if t.law == table.law and t.in_force < table.in_force]
        if not older:
            cond = All((*stated, Cmp("ended_on", "lt", value=table.in_force.toordinal())))
            hint = (
                "该版本在违法行为终了后才施行，违法行为发生时的版本未载入，"
                "新旧规定轻重未核查（行政处罚法第三十七条）"
            )
            variants.append(Variant(f"{table.id}-before", cond, {**ctx, "hint": hint}))
    return variants


# ---------------------------------------------------------------- 规章 and the upper law


def _upper_problems(rule_c: Clause, upper_c: Clause) -> list[tuple[BranchRule, Fine, Fine | None, str]]:
    upper = _fines_of(upper_c)
    out = []
    for branch in rule_c.branches:
        for fine in branch.fines:
            if fine.bounds() is None:
                continue
            for code in branch.branch:
                up = upper.get((code, fine.target))
                if up is None:
                    out.append((branch, fine, None, code))
                elif fine.bounds()[1] > up.bounds()[1]:  # type: ignore[index]
                    out.append((branch, fine, up, code))
    return out


@expander("rule_exceeds_upper_law")
def rule_exceeds_upper_law(tables: Tables) -> list[Variant]:
    """A 规章 clause that fines a target in a branch the upper-law clause does not, or above it."""
    variants = []
    for table in statutes(tables):
        if table.kind not in ("rule", "local_rule"):
            continue
        for clause in table.clauses:
            if clause.upper is None:
                continue
            found = find_clause(tables, clause.upper)
            if found is None:
                continue
            upper_t, upper_c = found
            in_force = [Cmp("ended_on", "gte", value=upper_t.in_force.toordinal())]
            if upper_t.in_force_until:
                in_force.append(Cmp("ended_on", "lte", value=upper_t.in_force_until.toordinal()))
            for _branch, fine, up, code in _upper_problems(clause, upper_c):
                where = f"{BRANCH_LABELS[code]}对{TARGET_LABELS[fine.target]}"
                if up is None:
                    target = TARGET_LABELS[fine.target]
                    issue = f"上位法{clause.upper.cite()}在{BRANCH_LABELS[code]}情形下不设对{target}的罚款"
                    extra: tuple[Cond, ...] = ()
                else:
                    issue = f"上位法{clause.upper.cite()}{where}{up.describe()}，规章规定{fine.describe()}"
                    extra = (up.over(),)
                cond = All(
                    (
                        clause_match(table, clause),
                        *in_force,
                        In("branch", (code,)),
                        Cmp("target", "eq", value=fine.target),
                        *extra,
                    )
                )
                ctx: dict[str, Any] = {
                    "clause": clause.cite(table.law),
                    "instrument": _table_text(table),
                    "issue": issue,
                    "upper": clause.upper.cite(),
                    "_notes": [
                        f"规章与上位法的对应关系（{LEVEL_LABELS[clause.upper.verification]}）："
                        f"{clause.upper.note or ''}"
                    ],
                }
                variants.append(Variant(_suffix(table, clause, code, fine.target), cond, ctx))
    return variants


@expander("rule_overlaps_law")
def rule_overlaps_law(tables: Tables) -> list[Variant]:
    """A 规章 clause whose conduct a loaded statute also punishes (行政处罚法 art. 29: higher amount wins)."""
    variants = []
    for table in statutes(tables):
        for clause in table.clauses:
            for ref in clause.overlaps:
                found = find_clause(tables, ref)
                if found is None:
                    continue
                other_t, _other_c = found
                in_force = [Cmp("ended_on", "gte", value=other_t.in_force.toordinal())]
                if other_t.in_force_until:
                    in_force.append(Cmp("ended_on", "lte", value=other_t.in_force_until.toordinal()))
                match: list[Cond] = [clause_match(table, clause), *in_force]
                if ref.own_items:  # only these items of the 规章 clause overlap (item unstated: flagged too)
                    match.append(
                        AnyOf((In("basis_item", tuple(ref.own_items)), Present("basis_item", False)))
                    )
                ctx = {
                    "clause": clause.cite(table.law),
                    "other": ref.cite(),
                    "_notes": [f"重合关系（{LEVEL_LABELS[ref.verification]}）：{ref.note or ''}"],
                }
                variants.append(
                    Variant(_suffix(table, clause, "overlap", str(ref.article)), All(tuple(match)), ctx)
                )
    return variants


@expander("rule_created_penalty_type")
def rule_created_penalty_type(tables: Tables) -> list[Variant]:
    """A penalty other than 警告、通报批评、罚款 under a clause a 规章 created itself (行政处罚法 13 ¶2)."""
    variants = []
    for table in statutes(tables):
        for clause in table.clauses:
            if not clause.rule_created:
                continue
            cond = clause_match(table, clause)
            ctx = {"clause": clause.cite(table.law), "instrument": _table_text(table)}
            variants.append(Variant(_suffix(table, clause), cond, ctx))
    return variants


# ---------------------------------------------------------------- combined fines (合并处罚)


def table_for(tables: Tables, law: str, version: str | None, ended: Any) -> StatuteTable | None:
    """The loaded version a basis points to: the stated version, else the one in force on `ended`."""
    for table in statutes(tables):
        if law not in (table.law, *table.aliases):
            continue
        if version is not None:
            if version in table.versions():
                return table
            continue
        if ended is None:
            continue
        if table.in_force <= ended and (table.in_force_until is None or ended <= table.in_force_until):
            return table
    return None


def clause_for(table: StatuteTable, article: int, paragraph: int | None) -> Clause | None:
    for clause in table.clauses:
        if clause.article != article:
            continue
        if paragraph is None and (clause.paragraph is None or clause.paragraph_default):
            return clause
        if paragraph is not None and clause.paragraph in (None, paragraph):
            return clause
    return None


def combined_bounds(tables: Tables, violations: list[Any], target: str) -> dict[str, Any]:
    """Sum of the statutory fixed-yuan ranges of several violations for one combined fine.

    `violations` are case-model violations. Returns the penalty-fact fields combined_max /
    combined_min / combined_verified / combined_note; max and min are left out when any part
    cannot be resolved (instrument or article not loaded, amounts unknown, not a fixed-yuan range)."""
    parts: list[str] = []
    total_min = total_max = 0
    known = verified = True
    for violation in violations:
        basis = violation.penalty_basis
        ended = getattr(violation, "continuing_until", None) or getattr(violation, "committed_on", None)
        article = getattr(basis, "article", None)
        table = table_for(tables, basis.law, basis.version, ended) if isinstance(article, int) else None
        clause = clause_for(table, article, basis.paragraph) if table else None
        label = f"{violation.id}（《{basis.law}》第{article}条）"
        if (
            table is None
            or clause is None
            or clause.amounts_unknown
            or clause.cross_reference
            or clause.authority
        ):
            parts.append(f"{label}：幅度未载入")
            known = False
            continue
        branch = violation.branch.value
        grade = violation.accident_grade.value if violation.accident_grade else None
        fines = [
            f
            for b in clause.branches
            if branch in b.branch
            for f in b.fines
            if f.target == target and (f.accident_grade is None or f.accident_grade == grade)
        ]
        bounds = fines[0].bounds() if len(fines) == 1 else None
        if bounds is None:
            parts.append(f"{label}：{'不设对该对象的罚款' if not fines else '非固定金额幅度'}")
            known = False
            continue
        verified = verified and table.vetoes(clause)
        total_min += int(bounds[0])
        total_max += int(bounds[1])
        parts.append(f"{label}：{fines[0].describe()}（{LEVEL_LABELS[table.clause_level(clause)]}）")
    out: dict[str, Any] = {"combined_note": "；".join(parts), "combined_verified": known and verified}
    if known:
        out["combined_max"] = total_max
        out["combined_min"] = total_min
    return out


# ---------------------------------------------------------------- lint (tables only)


def lint_instruments(tables: Tables) -> list[Any]:
    """Version periods of one law must not overlap; successor / upper / overlap references must
    resolve to a loaded clause; a 规章 clause that exceeds its upper-law clause is listed."""
    from ..lint import LintProblem

    problems: list[LintProblem] = []
    for law, versions in _by_law(tables).items():
        ordered = sorted(versions, key=lambda t: t.in_force)
        for before, after in pairwise(ordered):
            if before.in_force_until is None or before.in_force_until >= after.in_force:
                problems.append(
                    LintProblem(
                        before.path,
                        1,
                        "version_overlap",
                        f"《{law}》{before.version}（{before.period_text()}）与 {after.version}"
                        f"（{after.period_text()}）的施行期间重叠或前者未写 in_force_until",
                    )
                )
    for table in statutes(tables):
        for clause in table.clauses:
            refs = [("successor", clause.successor), ("upper", clause.upper)]
            refs += [("overlaps", ref) for ref in clause.overlaps]
            for kind, ref in refs:
                if ref is None:
                    continue
                found = find_clause(tables, ref)
                if found is None:
                    problems.append(
                        LintProblem(
                            table.path,
                            clause.line,
                            "unresolved_reference",
                            f"{clause.cite(table.law)}的 {kind} 指向{ref.cite()}，该条款未载入",
                        )
                    )
                elif kind == "upper":
                    for _branch, fine, up, code in _upper_problems(clause, found[1]):
                        where = f"{BRANCH_LABELS[code]}对{TARGET_LABELS[fine.target]}"
                        limit = f"{where}{up.describe()}" if up else f"{where}不设罚款"
                        problems.append(
                            LintProblem(
                                table.path,
                                clause.line,
                                "exceeds_upper_law",
                                f"{clause.cite(table.law)}{where}{fine.describe()}，上位法{ref.cite()}{limit}"
                                "（行政处罚法第十三条第一款）；案卷按此条处罚时 REG-001 提示",
                                notice=True,
                            )
                        )
    return problems


@expander("version_unstated_across_change")
def version_unstated_across_change(tables: Tables) -> list[Variant]:
    """No version stated, the violation ended under an old version and the decision came under a newer
    one: article numbers differ between versions, so the reading chosen by date is only presumed."""
    variants = []
    for law, versions in sorted(_by_law(tables).items()):
        ordered = sorted(versions, key=lambda t: t.in_force)
        for old, new in pairwise(ordered):
            if old.in_force_until is None:
                continue
            cond = All(
                (
                    In("basis_law", _names(versions)),
                    Cmp("basis_version_stated", "eq", value=False),
                    Cmp("ended_on", "gte", value=old.in_force.toordinal()),
                    Cmp("ended_on", "lte", value=old.in_force_until.toordinal()),
                    Cmp("decided_on", "gte", value=new.in_force.toordinal()),
                )
            )
            ctx = {"old": _table_text(old), "new": _table_text(new), "law": law}
            variants.append(Variant(f"{old.id}-{new.id}", cond, ctx))
    return variants
