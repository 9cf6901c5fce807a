"""The compiled form of a rule: what both back ends evaluate."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from .conditions import Cond, fields_read


@dataclass(frozen=True)
class CompiledRule:
    """One matchable rule over one fact kind.

    A pack rule compiles to one CompiledRule; a benchmark tier or a statutory clause becomes
    one variant each, sharing the pack rule's `code` but with its own `rule_id` and `context`
    (constants quoted in the message, e.g. the tier's range).
    """

    rule_id: str
    code: str
    kind: str
    when: Cond
    context: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @functools.cached_property
    def fields(self) -> frozenset[str]:
        """Every field the condition reads (computed once: findings quote them for each match)."""
        return frozenset(fields_read(self.when))
