"""What an evaluation back end returns: which rule matched which fact."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Match(NamedTuple):
    """Hashed, compared and ordered in C (a frozen dataclass did it in Python, per match)."""

    rule_id: str  # the compiled (variant) rule
    fid: str  # the fact it matched
    undecided: bool = False  # matched only because facts it reads are unknown (待人工评查)


@dataclass
class EvalResult:
    matches: list[Match] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # action or engine errors, become error findings
    engine: str = "durable"
    notes: list[str] = field(default_factory=list)

    def sorted_matches(self) -> list[Match]:
        return sorted(set(self.matches))
