"""What the user asked to see of a result: `--select/--ignore`, waivers and the baseline.

Applied to each result as it arrives, before any report is written, so every format and the exit
code agree. Ignored rules are dropped and the score recomputed without them (the user scoped the
review); waived findings stay listed, marked, and no longer count; baseline findings are dropped
from the listing only (the score stays the file's true score).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a check without --waivers does not build the waiver models
    from .baseline import Baseline
    from .selection import Selection
    from .waivers import WaiverSet


@dataclass
class ResultPolicy:
    profile: Any
    selection: Selection | None = None
    waivers: WaiverSet | None = None
    baseline: Baseline | None = None

    @property
    def active(self) -> bool:
        return bool((self.selection and self.selection.active) or self.waivers or self.baseline)

    def apply(self, result: Any) -> Any:
        if result.status != "reviewed":
            return result
        rescore = False
        if self.selection is not None and self.selection.active:
            kept = [f for f in result.findings if self.selection.wants(f.code)]
            rescore = len(kept) != len(result.findings)
            result.findings = kept
        if self.waivers is not None and self.waivers.entries:
            self.waivers.apply(result)
            rescore = rescore or any(f.waiver is not None for f in result.findings)
        if rescore and result.score is not None:
            from .score.scoring import score_case

            result.score = score_case([f for f in result.findings if f.waiver is None], self.profile)
        if self.baseline is not None:
            self.baseline.apply(result)
        return result
