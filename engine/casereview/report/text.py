"""Plain-text report for a terminal (Chinese); coloured only when asked (`ctx.extra["color"]`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

from ..review import CaseResult
from .location import where, where_of

if TYPE_CHECKING:
    from .formats import ReportContext

_COLOURS = {
    "veto": "31;1",
    "deduct": "33",
    "warn": "35",
    "review": "36",
    "waived": "2",
    "ok": "32",
    "bad": "31",
}


class TextWriter:
    def __init__(self, out: TextIO, ctx: ReportContext | None = None):
        extra: dict[str, Any] = ctx.ui if ctx else {}
        self.out = out
        self.ctx = ctx
        self.colour = bool(extra.get("color"))
        self.quiet = bool(extra.get("quiet"))
        self.fail_on = ctx.fail_on if ctx else "deduct"
        self.files = self.reviewed = 0
        self.grades: Counter[str] = Counter()
        self.waived = 0

    def _c(self, key: str, text: str) -> str:
        return f"\x1b[{_COLOURS[key]}m{text}\x1b[0m" if self.colour else text

    def case(self, result: CaseResult) -> None:
        from ..exitcodes import fails

        self.files += 1
        out = self.out
        if result.status == "rejected":
            out.write(self._c("bad", f"✗ {result.file}：无法评查（输入有误）") + "\n")
            for err in result.errors:
                out.write(f"    {where_of(err)}：{err.message}\n")
            out.write("\n")
            return
        self.reviewed += 1
        score = result.score
        assert score is not None
        self.grades[score.grade] += 1
        self.waived += sum(1 for f in result.findings if getattr(f, "waiver", None))
        if self.quiet and not any(fails(f, self.fail_on) for f in result.findings):
            return
        out.write(f"■ {result.file}\n  案号：{result.case_number}　案由：{result.title or '（未载明）'}\n")
        grade = self._c("bad" if score.vetoed else "ok", score.grade)
        line = f"  得分：{score.score:g}　等次：{grade}"
        if not score.graded:
            status = self._c("bad", score.grade)
            line = f"  状态：{status}（不评定等次：{score.status_reason}）　参考得分：{score.score:g}"
        if score.vetoed:
            line += f"　（否决项：{'、'.join(score.veto_codes)}）"
        elif score.graded and score.provisional:
            line += f"（暂定：{score.provisional} 项否决或扣分检查未能进行，待人工评查）"
        if score.three_systems is not None:
            line += f"　三项制度执行率：{score.three_systems:.0%}"
        out.write(line + "\n")
        shown = [f for f in result.findings if not self.quiet or fails(f, self.fail_on)]
        if not result.findings:
            out.write("  未发现问题。\n")
        for f in shown:
            waiver = getattr(f, "waiver", None)
            label = (
                self._c("waived", f"[已豁免·{f.severity_label}]")
                if waiver
                else self._c(f.severity, f"[{f.severity_label}]")
            )
            out.write(f"  {label} {f.code} {f.title}\n")
            out.write(f"      {f.message}\n")
            if f.basis:
                out.write(f"      依据：{'；'.join(f.basis)}\n")
            out.write(f"      位置：{where_of(f.location)}\n")
            for note in f.notes:
                out.write(f"      说明：{note}\n")
            if waiver:
                out.write(
                    f"      豁免：{waiver.reason}（批准人 {waiver.approver}，有效期至 {waiver.expires}）\n"
                )
        pending = result.pending_review
        if pending and not self.quiet:
            grouped = Counter((f.code, f.title) for f in pending)
            items = "；".join(f"{c} {t}" + (f"（{n} 处）" if n > 1 else "") for (c, t), n in grouped.items())
            out.write(f"  待人工评查事项（{len(pending)}）：{items}\n")
        if result.not_run and not self.quiet:
            out.write(f"  未能进行的检查（{len(result.not_run)}）：\n")
            for item in result.not_run:
                out.write(f"    - {item.code} {item.title}：{item.reason}\n")
        if not self.quiet:
            for note in result.notes:
                out.write(f"  注：{note}\n")
        out.write("\n")

    def summary(self) -> None:
        if self.quiet:
            return
        out = self.out
        out.write(f"共 {self.files} 个文件：已评查 {self.reviewed}，无法评查 {self.files - self.reviewed}。")
        if self.grades:
            out.write(" 等次分布：" + "，".join(f"{g} {n}" for g, n in self.grades.items()))
        if self.waived:
            out.write(f" 已豁免的问题 {self.waived} 个。")
        out.write("\n")


def write_case(result: CaseResult, out: TextIO) -> None:
    TextWriter(out).case(result)


def write_summary(results: Iterable[CaseResult], out: TextIO) -> None:
    writer = TextWriter(out)
    for r in results:
        writer.files += 1
        if r.status == "reviewed" and r.score is not None:
            writer.reviewed += 1
            writer.grades[r.score.grade] += 1
    writer.summary()


__all__ = ["TextWriter", "where", "write_case", "write_summary"]
