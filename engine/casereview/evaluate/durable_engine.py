"""durable_rules back end, used only in the safe subset of the evaluation notes (§6).

- one ruleset per process, built in the worker; no stock `Host` (no timer threads);
- one `sid` per case, deleted after it; a sentinel fact and rule fire in every case, so
  `delete_state` never meets a state in which no action ran (§4.3);
- single-fact rules only: facts are denormalised, so no cross-fact references (§4.6);
- no regex, no integer division, no nulls on facts, `not` pushed to the leaves;
- `$or` fires once per true disjunct, so matches are de-duplicated on (rule, fact);
- the lean C-API driver (assert → start_action_for_state → complete_and_start_action).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable
from typing import Any

from ..packs.compiled import CompiledRule
from ..packs.conditions import NEGATED_OP, All, AnyOf, Cmp, Cond, Const, In, Not, Present, Ref
from .model import EvalResult, Match

SENTINEL_KIND = "__end__"
SENTINEL_RULE = "__sentinel__"
MAX_FACT_PROPERTIES = 200  # durable_rules segfaults above 253 flattened properties (§4.1)

_DURABLE_OP = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte", "ne": "$neq"}


def push_not(cond: Cond, negate: bool = False) -> Cond:
    """Negation normal form with the IR's missing-field semantics made explicit."""
    if isinstance(cond, Not):
        return push_not(cond.item, not negate)
    if isinstance(cond, Const):
        return Const(cond.value != negate)
    if isinstance(cond, All | AnyOf):
        items = tuple(push_not(i, negate) for i in cond.items)
        flip = negate
        if isinstance(cond, All):
            return AnyOf(items) if flip else All(items)
        return All(items) if flip else AnyOf(items)
    if not negate:
        return cond
    if isinstance(cond, Present):
        return Present(cond.field, not cond.present)
    if isinstance(cond, In):
        return AnyOf(
            (Present(cond.field, False), All(tuple(Cmp(cond.field, "ne", value=v) for v in cond.values)))
        )
    if isinstance(cond, Cmp):
        missing: list[Cond] = [Present(cond.field, False)]
        if cond.ref:
            missing.append(Present(cond.ref.field, False))
        return AnyOf((Cmp(cond.field, NEGATED_OP[cond.op], cond.value, cond.ref), *missing))  # type: ignore[arg-type]
    raise TypeError(f"unknown condition {cond!r}")


def simplify(cond: Cond) -> Cond:
    """Fold constants so durable never sees them."""
    if isinstance(cond, All | AnyOf):
        items = [simplify(i) for i in cond.items]
        is_all = isinstance(cond, All)
        kept = []
        for item in items:
            if isinstance(item, Const):
                if item.value != is_all:  # False in an All, True in an AnyOf decides it
                    return Const(item.value)
                continue
            kept.append(item)
        if not kept:
            return Const(is_all)
        if len(kept) == 1:
            return kept[0]
        return All(tuple(kept)) if is_all else AnyOf(tuple(kept))
    return cond


def _ref_expr(ref: Ref) -> Any:
    expr: Any = {"$m": ref.field}
    if ref.times != 1:
        expr = {"$mul": {"$l": expr, "$r": ref.times}}
    if ref.plus:
        expr = {"$add": {"$l": expr, "$r": ref.plus}}
    return expr


def to_durable(cond: Cond) -> Any:
    """IR (already in NNF, constants folded) → durable_rules JSON expression."""
    if isinstance(cond, Cmp):
        right = _ref_expr(cond.ref) if cond.ref else cond.value
        if cond.op == "eq":
            return {cond.field: right}
        return {_DURABLE_OP[cond.op]: {cond.field: right}}
    if isinstance(cond, In):
        return {"$or": [{cond.field: v} for v in cond.values]}
    if isinstance(cond, Present):
        return {"$ex" if cond.present else "$nex": {cond.field: 1}}
    if isinstance(cond, All):
        return {"$and": [to_durable(i) for i in cond.items]}
    if isinstance(cond, AnyOf):
        return {"$or": [to_durable(i) for i in cond.items]}
    raise TypeError(f"cannot compile {cond!r} to durable_rules")


def ruleset_definition(rules: Iterable[CompiledRule]) -> dict[str, Any]:
    definition: dict[str, Any] = {}
    for rule in rules:
        cond = simplify(push_not(rule.when))
        if isinstance(cond, Const):
            if not cond.value:
                continue  # can never match
            pattern: Any = {"kind": rule.kind}
        else:
            pattern = {"$and": [{"kind": rule.kind}, to_durable(cond)]}
        definition[rule.rule_id] = {"all": [{"m": pattern}]}
    definition[SENTINEL_RULE] = {"pri": 1_000_000, "all": [{"m": {"kind": SENTINEL_KIND}}]}
    return definition


class DurableEngine:
    """One durable_rules ruleset; evaluate() runs one case in its own sid."""

    name = "durable"

    def __init__(self, rules: Iterable[CompiledRule]):
        from durable import engine as durable_engine  # imported here: the oracle must work without it

        self._dre = durable_engine.durable_rules_engine
        definition = ruleset_definition(rules)
        payload = json.dumps(definition, ensure_ascii=False, sort_keys=True)
        digest = hashlib.sha256(payload.encode()).hexdigest()[:12]
        # a versioned name: durable_rules has no unregister API (§4.7)
        self._handle = self._dre.create_ruleset(f"casereview@{digest}", payload)
        self._sids = itertools.count(1)

    def evaluate(self, facts: list[dict[str, Any]]) -> EvalResult:
        result = EvalResult(engine=self.name)
        sid = str(next(self._sids))
        batch = []
        for fact in facts:
            if len(fact) > MAX_FACT_PROPERTIES:
                raise ValueError(f"fact {fact['fid']} has {len(fact)} properties, above the durable limit")
            batch.append({**fact, "sid": sid})
        batch.append({"sid": sid, "fid": SENTINEL_KIND, "kind": SENTINEL_KIND})
        seen: set[Match] = set()
        dre, handle = self._dre, self._handle
        try:
            # code 1 (a fact matched no rule) and 2 (duplicate) are benign here (§4.4)
            _code, state_handle = dre.assert_facts(handle, json.dumps(batch, ensure_ascii=False))
            started = dre.start_action_for_state(handle, state_handle)
            message = started[1] if started else None
            while message:
                for rule_id, frame in json.loads(message).items():
                    if rule_id != SENTINEL_RULE:
                        try:
                            seen.add(Match(rule_id, frame["m"]["fid"]))
                        except Exception as exc:  # an action error is a finding, never silence
                            result.errors.append(f"{rule_id}: {exc}")
                message = dre.complete_and_start_action(handle, state_handle)
        finally:
            dre.delete_state(handle, sid)
        result.matches = sorted(seen)
        return result
