"""Exit codes of `casereview check|review` — the one place they are computed.

0  nothing at or above `--fail-on` (waived and baselined findings do not count)
1  findings at or above `--fail-on`
2  some input file could not be reviewed (rejected: its reason is in the report)
3  usage or configuration error: bad option or rule code, unreadable config, rules, profile,
   roster, waiver or baseline file, an empty rules folder — nothing was reviewed
4  the report could not be written: output folder unusable (a file, read-only), disk full
5  internal error (a bug in casereview; never 1, which means findings)
6  nothing at or above `--fail-on`, but a file could not be graded: 未结案 (no decision and no
   no-penalty decision) or 无法评分 (its decision or its whole procedure record is not known);
   1, 2 and 3 take precedence
130/143  interrupted by SIGINT/SIGTERM: the reports written are complete documents marked
   partial, files not reviewed are listed; a rerun completes from the result cache
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .evaluate.findings import Finding
    from .review import CaseResult

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_USAGE = 3
EXIT_OUTPUT = 4
EXIT_INTERNAL = 5
EXIT_UNGRADED = 6

FAIL_ON_CHOICES = ("veto", "deduct", "warn", "review")


def fails(finding: Finding, fail_on: str) -> bool:
    """Whether this finding fails the check: an active (not waived) finding at or above fail_on."""
    if getattr(finding, "waiver", None) is not None:
        return False
    from .packs.schema import SEVERITY_RANK  # here: the CLI imports this module before pydantic

    return SEVERITY_RANK.get(finding.severity, -1) >= SEVERITY_RANK[fail_on]


def _ungraded(result: CaseResult) -> bool:
    return result.score is not None and not result.score.graded


def exit_code(results: Iterable[CaseResult], fail_on: str) -> int:
    tally = ExitTally(fail_on)
    for result in results:
        tally.add(result)
    return tally.code


class ExitTally:
    """The same decision made incrementally over a stream of results."""

    def __init__(self, fail_on: str):
        self.fail_on = fail_on
        self.rejected = 0
        self.failing = 0
        self.ungraded = 0

    def add(self, result: CaseResult) -> None:
        rejected = result.status == "rejected"
        failing = not rejected and any(fails(f, self.fail_on) for f in result.findings)
        self.count(rejected, failing, _ungraded(result))

    def count(self, rejected: bool, failing: bool, ungraded: bool) -> None:
        """One file's outcome, worked out where its result is (see `add`)."""
        if rejected:
            self.rejected += 1
            return
        self.failing += failing
        self.ungraded += ungraded

    @property
    def code(self) -> int:
        if self.rejected:
            return EXIT_INPUT
        if self.failing:
            return EXIT_FINDINGS
        return EXIT_UNGRADED if self.ungraded else EXIT_OK
