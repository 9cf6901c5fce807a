"""Exit codes of `casereview check|review` — the one place they are computed.

0  nothing at or above `--fail-on` (waived and baselined findings do not count)
1  findings at or above `--fail-on`
2  some input file could not be reviewed (rejected: its reason is in the report)
3  usage or configuration error: bad option or rule code, unreadable config, rules, profile,
   roster, waiver or baseline file — nothing was reviewed
4  the report could not be written: output folder unusable (a file, read-only), disk full
5  internal error (a bug in casereview; never 1, which means findings)
130/143  interrupted by SIGINT/SIGTERM: the reports written are complete documents marked
   partial, files not reviewed are listed; a rerun completes from the result cache
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .packs.schema import SEVERITY_RANK

if TYPE_CHECKING:
    from .evaluate.findings import Finding
    from .review import CaseResult

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_USAGE = 3
EXIT_OUTPUT = 4
EXIT_INTERNAL = 5

FAIL_ON_CHOICES = ("veto", "deduct", "warn", "review")


def fails(finding: Finding, fail_on: str) -> bool:
    """Whether this finding fails the check: an active (not waived) finding at or above fail_on."""
    if getattr(finding, "waiver", None) is not None:
        return False
    return SEVERITY_RANK.get(finding.severity, -1) >= SEVERITY_RANK[fail_on]


def exit_code(results: Iterable[CaseResult], fail_on: str) -> int:
    worst = EXIT_OK
    for result in results:
        if result.status == "rejected":
            return EXIT_INPUT
        if worst == EXIT_OK and any(fails(f, fail_on) for f in result.findings):
            worst = EXIT_FINDINGS
    return worst


class ExitTally:
    """The same decision made incrementally over a stream of results."""

    def __init__(self, fail_on: str):
        self.fail_on = fail_on
        self.rejected = 0
        self.failing = 0

    def add(self, result: CaseResult) -> None:
        if result.status == "rejected":
            self.rejected += 1
        elif any(fails(f, self.fail_on) for f in result.findings):
            self.failing += 1

    @property
    def code(self) -> int:
        if self.rejected:
            return EXIT_INPUT
        return EXIT_FINDINGS if self.failing else EXIT_OK
