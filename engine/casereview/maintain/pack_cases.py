"""Run the example cases packs point to (`pack.example_cases`) as part of `rules test`.

Each case file goes through the same path as `casereview check`: `casereview.load` reads and
validates it, `review.review_file` derives, evaluates, builds findings and scores. The result is
judged against the entry's `expect`, on the codes of the pack's own rules only (other packs'
findings are none of its business; the grade is the whole case's).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..derive.facts import derive
from ..load import InputRejected, load_case, load_roster
from ..model.roster import Roster
from ..packs.cases import PackCaseRef, case_files
from ..packs.loader import RuleBook
from ..packs.schema import CaseExpect
from ..report.location import where_of
from ..review import CaseResult, ReviewContext, review_file
from ..score.profile import Profile, load_profile


@dataclass
class CaseOutcome:
    pack_id: str
    file: str
    ok: bool
    detail: str
    note: str | None = None
    skipped: bool = False


def show(path: Path) -> str:
    """A path as short as it is unambiguous: relative to the working folder when under it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def describe_case(o: CaseOutcome) -> str:
    note = f"（{o.note}）" if o.note else ""
    return f"案卷 [{o.pack_id}] {o.file}{note}：{o.detail}"


def _codes(codes: set[str] | list[str]) -> str:
    return "、".join(sorted(codes)) or "无"


def judge(expect: CaseExpect, got: set[str], grade: str | None) -> list[str]:
    """Chinese mismatch descriptions (empty when the result is as expected)."""
    out = []
    if expect.findings is not None and got != set(expect.findings):
        extra, missing = got - set(expect.findings), set(expect.findings) - got
        parts = []
        if extra:
            parts.append(f"多出 {_codes(extra)}")
        if missing:
            parts.append(f"缺少 {_codes(missing)}")
        out.append(f"期望问题 {_codes(expect.findings)}，实际 {_codes(got)}（{'；'.join(parts)}）")
    missing = set(expect.contains) - got
    if missing:
        out.append(f"期望出现 {_codes(missing)}，实际 {_codes(got)}")
    extra = set(expect.absent) & got
    if extra:
        out.append(f"不应出现 {_codes(extra)}，实际出现")
    if expect.grade is not None and grade != expect.grade:
        out.append(f"期望等次 {expect.grade}，实际 {grade or '无（未评查）'}")
    return out


def _rejection(result: CaseResult) -> str:
    lines = []
    for e in result.errors:
        lines.append(f"{where_of(e)}：{e.message}")
    return "案卷无法评查：" + "；".join(lines)


def _roster(ref: PackCaseRef) -> Roster | None:
    return load_roster(ref.roster) if ref.roster else None


def run_case_ref(book: RuleBook, ref: PackCaseRef, engine: Any, profile: Profile) -> list[CaseOutcome]:
    note = ref.case.note
    why = ref.absent()
    if why:
        return [CaseOutcome(ref.pack_id, ref.case.path, True, why, note, skipped=True)]
    try:
        roster = _roster(ref)
    except InputRejected as exc:
        return [CaseOutcome(ref.pack_id, ref.case.path, False, f"证件台账无法读取：{exc.format()}", note)]
    files = case_files(ref.path) if ref.path.is_dir() else [ref.path]
    if not files:  # an outside folder (inside ones are refused at load)
        empty = "文件夹中没有案卷文件（.yaml/.yml/.json）"
        return [CaseOutcome(ref.pack_id, ref.case.path, False, empty, note)]
    outcomes = []
    for path in files:
        result = review_file(path, ReviewContext(book, profile, engine, roster))
        if result.status != "reviewed":
            outcomes.append(CaseOutcome(ref.pack_id, show(path), False, _rejection(result), note))
            continue
        got = {f.code for f in result.findings if f.code in ref.pack_codes}
        problems = judge(ref.case.expect, got, result.score.grade if result.score else None)
        detail = "；".join(problems) or f"符合期望（本包问题：{_codes(got)}）"
        outcomes.append(CaseOutcome(ref.pack_id, show(path), not problems, detail, note))
    return outcomes


def selected(book: RuleBook, codes: list[str] | None) -> list[PackCaseRef]:
    """With `--code`, only the cases of packs holding one of those rules."""
    return [r for r in book.example_cases if not codes or r.pack_codes & set(codes)]


def run_pack_cases(
    book: RuleBook, engine: Any, profile: Profile | None = None, codes: list[str] | None = None
) -> list[CaseOutcome]:
    profile = profile or load_profile()
    return [o for ref in selected(book, codes) for o in run_case_ref(book, ref, engine, profile)]


def pack_case_fact_sets(book: RuleBook) -> tuple[list[list[dict[str, Any]]], list[str]]:
    """Derived facts of every present pack example case (for `--coverage`)."""
    out, errors = [], []
    for ref in book.example_cases:
        if ref.absent():
            continue
        try:
            roster = _roster(ref)
        except InputRejected:
            roster = None  # the test run reports the roster itself
        paths = case_files(ref.path) if ref.path.is_dir() else [ref.path]
        facts, problems = facts_of_cases(paths, roster, show)
        out += facts
        errors += problems
    return out, errors


def facts_of_cases(
    paths: Any, roster: Roster | None, name: Any = str
) -> tuple[list[list[dict[str, Any]]], list[str]]:
    """Derived facts of each readable case file (for coverage), and a line per unreadable one."""
    out: list[list[dict[str, Any]]] = []
    errors: list[str] = []
    for path in paths:
        try:
            case, _ = load_case(path)
            out.append(derive(case, roster).facts)
        except Exception as exc:
            errors.append(f"{name(path)}：无法读取（{type(exc).__name__}）")
    return out, errors
