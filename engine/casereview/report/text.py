"""Plain-text report for a terminal (Chinese)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from ..review import CaseResult


def write_case(result: CaseResult, out: TextIO) -> None:
    if result.status == "rejected":
        out.write(f"✗ {result.file}：无法评查（输入有误）\n")
        for err in result.errors:
            where = err.file + (f":{err.line}" if err.line else "") + (f":{err.column}" if err.column else "")
            field = f" {err.field}" if err.field else ""
            out.write(f"    {where}{field}：{err.message}\n")
        out.write("\n")
        return
    score = result.score
    assert score is not None
    out.write(f"■ {result.file}\n  案号：{result.case_number}　案由：{result.title or '（未载明）'}\n")
    line = f"  得分：{score.score:g}　等次：{score.grade}"
    if not score.graded:
        line = f"  状态：{score.grade}（不评定等次：{score.status_reason}）　参考得分：{score.score:g}"
    if score.vetoed:
        line += f"　（否决项：{'、'.join(score.veto_codes)}）"
    if score.three_systems is not None:
        line += f"　三项制度执行率：{score.three_systems:.0%}"
    out.write(line + "\n")
    if not result.findings:
        out.write("  未发现问题。\n")
    for f in result.findings:
        loc = f.location
        where = f"{loc.file}:{loc.line or '?'}:{loc.column or '?'} {loc.field}"
        out.write(f"  [{f.severity_label}] {f.code} {f.title}\n")
        out.write(f"      {f.message}\n")
        if f.basis:
            out.write(f"      依据：{'；'.join(f.basis)}\n")
        out.write(f"      位置：{where}\n")
        for note in f.notes:
            out.write(f"      说明：{note}\n")
    pending = result.pending_review
    if pending:
        out.write(
            f"  待人工评查事项（{len(pending)}）：{'；'.join(f'{f.code} {f.title}' for f in pending)}\n"
        )
    if result.not_run:
        out.write(f"  未能进行的检查（{len(result.not_run)}）：\n")
        for item in result.not_run:
            out.write(f"    - {item.code} {item.title}：{item.reason}\n")
    for note in result.notes:
        out.write(f"  注：{note}\n")
    out.write("\n")


def write_summary(results: Iterable[CaseResult], out: TextIO) -> None:
    results = list(results)
    reviewed = [r for r in results if r.status == "reviewed"]
    grades: dict[str, int] = {}
    for r in reviewed:
        assert r.score is not None
        grades[r.score.grade] = grades.get(r.score.grade, 0) + 1
    out.write(f"共 {len(results)} 个文件：已评查 {len(reviewed)}，无法评查 {len(results) - len(reviewed)}。")
    if grades:
        out.write(" 等次分布：" + "，".join(f"{g} {n}" for g, n in grades.items()))
    out.write("\n")
