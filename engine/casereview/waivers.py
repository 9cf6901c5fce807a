"""Finding waivers (豁免): a finding in a file accepted for a stated legal reason, by a named
approver, until an expiry date (the InSpec / Rego waiver practice).

    # 豁免.yaml
    waivers:
      - code: BM-001                     # rule code (case-insensitive)
        file: casefiles/05-*.yaml        # path or glob, relative to this file; or case_number
        case_number: （南康）应急罚〔2025〕3号
        field: decision.penalties[0]     # optional: only findings at this field (or below it)
        reason: 该案适用《…》第…条，裁量基准第…项不适用（法制审核意见 2026-03-02）
        approver: 执法监督科 王某
        expires: 2026-12-31

A waived finding stays in every report, marked 已豁免 with its reason; it no longer deducts
points or fails the check. An expired waiver waives nothing and is reported; so is a waiver that
matched no finding (it may be stale). Reason, approver and expiry are required.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .model.factories import new_list


class WaiverError(ValueError):
    """The waiver file cannot be used (Chinese message with file, entry and field)."""


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, description="规则代码")
    file: str | None = Field(None, description="案卷文件路径或通配符（相对于豁免文件）")
    case_number: str | None = Field(None, description="案号")
    field: str | None = Field(None, description="只豁免该字段（及其下级）处的问题")
    reason: str = Field(min_length=4, description="豁免理由（法律依据）")
    approver: str = Field(min_length=1, description="批准人")
    expires: dt.date = Field(description="有效期至（含当日）")

    @model_validator(mode="after")
    def _needs_target(self) -> Waiver:
        if not self.file and not self.case_number:
            raise ValueError("须写明 file（案卷文件）或 case_number（案号）")
        return self


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    waivers: list[Waiver] = Field(default_factory=new_list)


@dataclass
class LoadedWaiver:
    waiver: Waiver
    line: int | None
    base: Path
    source: str
    used: int = 0

    def covers(self, result: Any, finding: Any) -> bool:
        w = self.waiver
        if finding.code.upper() != w.code.strip().upper():
            return False
        if w.case_number and (result.case_number or "").strip() != w.case_number.strip():
            return False
        if w.file and not _file_matches(w.file, result.file, self.base):
            return False
        if w.field:
            f = finding.location.field or ""
            if not (f == w.field or f.startswith(w.field + ".") or f.startswith(w.field + "[")):
                return False
        return True


def _file_matches(pattern: str, file: str, base: Path) -> bool:
    given = Path(file)
    candidates = {given.as_posix(), given.name}
    with contextlib.suppress(ValueError, OSError):
        candidates.add(given.resolve().relative_to(base.resolve()).as_posix())
    if any(ch in pattern for ch in "*?["):
        return any(fnmatch.fnmatch(c, pattern) for c in candidates)
    try:
        return (base / pattern).resolve() == given.resolve() or pattern in candidates
    except OSError:
        return pattern in candidates


@dataclass
class WaiverSet:
    entries: list[LoadedWaiver] = field(default_factory=list)
    today: dt.date = field(default_factory=dt.date.today)

    def expired(self) -> list[LoadedWaiver]:
        return [e for e in self.entries if e.waiver.expires < self.today]

    def apply(self, result: Any) -> None:
        """Mark the findings of `result` its waivers cover (expired waivers are counted, not applied)."""
        from .evaluate.findings import WaiverNote

        for finding in result.findings:
            for entry in self.entries:
                if entry.covers(result, finding):
                    entry.used += 1
                    if entry.waiver.expires >= self.today:
                        w = entry.waiver
                        finding.waiver = WaiverNote(
                            reason=w.reason,
                            approver=w.approver,
                            expires=w.expires.isoformat(),
                            source=entry.source,
                        )
                        break

    def problems(self) -> list[str]:
        """Expired and unused waivers, in Chinese, for the end of the run."""
        out = []
        for e in self.entries:
            w = e.waiver
            target = w.case_number or w.file
            if w.expires < self.today:
                out.append(f"{e.source} 豁免 {w.code}（{target}）已于 {w.expires} 过期，未予豁免")
            elif not e.used:
                out.append(f"{e.source} 豁免 {w.code}（{target}）未匹配任何问题，可能已不需要")
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.entries[0].source.rsplit(":", 1)[0] if self.entries else None,
            "applied": sum(1 for e in self.entries if e.used and e.waiver.expires >= self.today),
            "expired": [e.source for e in self.expired()],
            "unused": [e.source for e in self.entries if not e.used and e.waiver.expires >= self.today],
        }


def load_waivers(path: Path, today: dt.date | None = None) -> WaiverSet:
    from .load import InputRejected
    from .load.source import read_document

    try:
        source = read_document(path)
        data = source.data
    except InputRejected as exc:
        raise WaiverError(f"豁免文件无法读取：\n{exc.format()}") from None
    except OSError as exc:
        raise WaiverError(f"豁免文件 {path} 无法读取：{exc}") from None
    try:
        doc = _Doc.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = err["loc"]
            line = _line(source, loc)
            where = f"{path}:{line}" if line else str(path)
            dotted = ".".join(str(p) for p in loc)
            lines.append(f"{where} {dotted}：{_message(err)}")
        raise WaiverError("豁免文件有误：\n" + "\n".join(lines)) from None
    entries = []
    for i, w in enumerate(doc.waivers):
        line = _line(source, ("waivers", i))
        entries.append(LoadedWaiver(w, line, path.parent, f"{path}:{line}" if line else f"{path}#{i + 1}"))
    return WaiverSet(entries, today or dt.date.today())


def _line(source: Any, loc: tuple[Any, ...]) -> int | None:
    try:
        return source.locate(tuple(loc))[0]
    except Exception:
        return None


_MESSAGES = {
    "missing": "缺少此项",
    "extra_forbidden": "不认识的键",
    "string_too_short": "内容过短（须写明）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
}


def _message(err: dict[str, Any]) -> str:
    if err["type"] == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return _MESSAGES.get(err["type"], err["msg"])
