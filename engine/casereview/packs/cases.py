"""Example cases a pack points to (`pack.example_cases`), resolved and checked at load.

Paths are relative to the pack file. A path inside the rules folder that does not exist is a
pack error with `file:line`: the pack is broken. A path leading outside the rules folder (e.g.
`../../casefiles/…`) may legitimately be absent — the installed package ships `rules/` only —
so `rules test` skips such an entry with a note instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..load import CASE_SUFFIXES
from .schema import Pack, PackCase


@dataclass(frozen=True)
class PackCaseRef:
    """One `example_cases` entry with its paths resolved."""

    pack_id: str
    pack_file: Path
    line: int
    index: int
    case: PackCase
    path: Path
    roster: Path | None
    pack_codes: frozenset[str]  # only these codes are judged against the expectation

    @property
    def where(self) -> str:
        return f"{self.pack_file}:{self.line}"

    def absent(self) -> str | None:
        """Why the entry cannot run here (an outside path that is not present), else None."""
        for label, path in (("案卷", self.path), ("证件台账", self.roster)):
            if path is not None and not path.exists():
                return f"{label} {path} 不存在（规则目录之外的文件不随安装包提供），已跳过"
        return None


def case_files(folder: Path) -> list[Path]:
    """Case files in a folder, as `casereview check` walks it (rosters and hidden files skipped)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in CASE_SUFFIXES
        and not p.name.startswith(".")
        and not p.stem.lower().startswith("roster")
    )


def _inside(path: Path, home: Path) -> bool:
    try:
        path.resolve().relative_to(home.resolve())
    except ValueError:
        return False
    return True


def resolve_cases(
    pack_file: Path, pack: Pack, home: Path, line_of: Callable[[tuple[Any, ...]], int]
) -> tuple[list[PackCaseRef], list[str]]:
    """The pack's example cases, and `file:line` problems for the ones that are broken."""
    codes = frozenset(rule.code for rule in pack.rules)
    refs: list[PackCaseRef] = []
    problems: list[str] = []
    for i, case in enumerate(pack.pack.example_cases):
        loc = ("pack", "example_cases", i)

        def problem(key: str, text: str, loc: tuple[Any, ...] = loc, i: int = i) -> None:
            problems.append(f"{pack_file}:{line_of((*loc, key))} pack.example_cases[{i}].{key}：{text}")

        paths: dict[str, Path | None] = {"path": None, "roster": None}
        for key, value in (("path", case.path), ("roster", case.roster)):
            if value is None:
                continue
            if Path(value).is_absolute():
                problem(key, f"须为相对于规则包文件的路径，实际为 {value}")
                continue
            target = (pack_file.parent / value).resolve()
            paths[key] = target
            if not _inside(target, home):
                continue  # checked when `rules test` runs it: loading packs never walks outside folders
            if not target.exists():
                what = "案卷文件或文件夹" if key == "path" else "证件台账"
                problem(key, f"{what}不存在：{value}（相对于 {pack_file.parent}）")
            elif key == "path" and target.is_dir() and not case_files(target):
                problem(key, f"文件夹 {value} 中没有案卷文件（.yaml/.yml/.json）")
        foreign = sorted(case.expect.codes() - codes)
        if foreign:
            problem(
                "expect", f"{'、'.join(foreign)} 不是本规则包（{pack.pack.id}）的规则，只能期望本包的问题"
            )
        path = paths["path"]
        if path is None or foreign:
            continue
        refs.append(PackCaseRef(pack.pack.id, pack_file, line_of(loc), i, case, path, paths["roster"], codes))
    return refs, problems
