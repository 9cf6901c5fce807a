"""The compiled form of a rule: what both back ends evaluate."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from .conditions import Cond, fields_read
from .uncertain import boundable_fields, decided, definite_form, undecided


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
    # (name, Parameter) of each `$name` the condition reads as `param_<name>` (evaluate/parameters.py)
    parameters: tuple[tuple[str, Any], ...] = field(default=(), hash=False, compare=False)
    # (date field, first day, last day) the rule is in force (ordinals; None: open), or None: always
    window: tuple[str, int | None, int | None] | None = field(default=None, hash=False, compare=False)

    @functools.cached_property
    def fields(self) -> frozenset[str]:
        """Every field the condition reads (computed once: findings quote them for each match)."""
        return frozenset(fields_read(self.when))

    @functools.cached_property
    def decided(self) -> Cond:
        """`when` where it holds whatever the unknown facts are: the rule's own finding."""
        return decided(self.when, boundable_fields(self.kind))

    @functools.cached_property
    def definite(self) -> Cond:
        """The decided form on a fact with unknowns only (what durable_rules holds apart)."""
        return definite_form(self.when, boundable_fields(self.kind))

    @functools.cached_property
    def undecided(self) -> Cond:
        """Where `when` may hold on a fact with unknowns: a 待人工评查 finding (packs/uncertain.py)."""
        return undecided(self.when, boundable_fields(self.kind))

    @functools.cached_property
    def engine_fields(self) -> frozenset[str]:
        """Every field the two evaluated forms read (what a back end must be given)."""
        return frozenset(fields_read(self.decided)) | frozenset(fields_read(self.undecided))
