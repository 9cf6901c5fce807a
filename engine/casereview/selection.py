"""`--select` / `--ignore`: rule codes or code prefixes, case-insensitive (the ruff convention).

For each rule the longest matching entry decides: `--select CERT --ignore CERT-003` reports every
CERT rule but CERT-003; `--ignore BM --select BM-009` reports only BM-009 of the BM rules. `ALL`
selects every rule. An entry that is neither a code nor a prefix of one is an error with the
nearest codes as suggestions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class UnknownCodeError(ValueError):
    """Chinese message naming the unknown entries and the nearest known codes."""


def normalise(entries: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for entry in entries or []:
        out += [part.strip().upper() for part in entry.replace("，", ",").split(",") if part.strip()]
    return out


def suggest(entry: str, codes: Iterable[str]) -> list[str]:
    import difflib  # only for an unknown rule code (~1 ms to import, with heapq)

    codes = sorted(set(codes))
    close = difflib.get_close_matches(entry.upper(), codes, n=3, cutoff=0.5)
    if not close:
        prefix = entry.split("-")[0].upper()
        close = [c for c in codes if c.startswith(prefix)][:3]
    return close


def check_codes(entries: Iterable[str], codes: Iterable[str], option: str) -> None:
    codes = {c.upper() for c in codes}
    problems = []
    for entry in entries:
        if entry == "ALL" or any(c.startswith(entry) for c in codes):
            continue
        hint = suggest(entry, codes)
        problems.append(
            f"{option} {entry}：没有这个规则代码或前缀" + (f"，是否要找 {'、'.join(hint)}？" if hint else "")
        )
    if problems:
        raise UnknownCodeError("\n".join(problems))


@dataclass
class Selection:
    select: list[str]
    ignore: list[str]

    @classmethod
    def build(
        cls,
        select: Iterable[str] | None,
        ignore: Iterable[str] | None,
        codes: Iterable[str],
        extend_select: Iterable[str] | None = None,
    ) -> Selection:
        codes = list(codes)
        sel, ign, ext = normalise(select), normalise(ignore), normalise(extend_select)
        check_codes(sel + ext, codes, "--select")
        check_codes(ign, codes, "--ignore")
        if ext:
            sel = (sel or ["ALL"]) + ext
        return cls(sel, ign)

    @property
    def active(self) -> bool:
        return bool(self.select or self.ignore)

    @staticmethod
    def _longest(code: str, entries: list[str]) -> int:
        best = -1
        for e in entries:
            if e == "ALL":
                best = max(best, 0)
            elif code.startswith(e):
                best = max(best, len(e))
        return best

    def wants(self, code: str) -> bool:
        code = code.upper()
        chosen = self._longest(code, self.select) if self.select else 0
        if chosen < 0:
            return False
        return (
            self._longest(code, self.ignore) < chosen
            or not self.ignore
            or self._longest(code, self.ignore) < 0
        )
