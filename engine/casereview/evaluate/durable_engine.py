"""durable_rules back end, used only in the safe subset of the evaluation notes (§6).

- one ruleset per process, built in the worker; no stock `Host` (no timer threads);
- all cases share one `sid`, and each case's facts are retracted once its actions ran: creating
  a state costs time in proportion to the ruleset (every beta and action node gets its pools,
  ~0.4 ms with the shipped packs), and a state holding the matched facts of earlier cases grows
  (each stored fact is a ~7 kB node); single-fact rules never look at earlier facts, so a case is
  kept apart by draining all its actions before the next case is asserted, and by retracting its
  facts (each sent with its own `id`, so identity is never a hash of content); a sentinel fact and
  rule fire in every case, so `delete_state` never meets a state in which no action ran (§4.3);
- single-fact rules only: facts are denormalised, so no cross-fact references (§4.6);
- no regex, no integer division, no nulls on facts, `not` pushed to the leaves;
- `$or` fires once per true disjunct, so matches are de-duplicated on (rule, fact);
- the lean C-API driver (assert → start_action_for_state → complete_and_start_action).
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterable
from typing import Any

from ..fastjson import dumps as _dumps
from ..fastjson import loads as _loads
from ..memo import remember
from ..packs.compiled import CompiledRule
from ..packs.conditions import NEGATED_OP, All, AnyOf, Cmp, Cond, Const, In, Not, Present, Ref
from ..packs.uncertain import HAS_UNKNOWN, UNK, bound_source, complete_form, flagged
from . import durable_prebuild
from .model import EvalResult, Match
from .oracle import OracleEngine, RulePredicates
from .parameters import ParameterValues
from .variant_index import VariantIndex

SENTINEL_KIND = "__end__"
SENTINEL_RULE = "__sentinel__"
MAX_FACT_PROPERTIES = 200  # durable_rules segfaults above 253 flattened properties (§4.1)
ALWAYS_SENT = ("kind",)  # a fired fact is known by its `id` (see `activations`), not by its fid
DURABLE_KEYS = frozenset({"sid", "id"})  # set per fact by the engine: state and identity

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
        if isinstance(cond, Cmp) and cond.ref:
            # an absent referenced field makes the comparison false (IR semantics); durable_rules
            # matches `tier == amount` with `amount` absent inside an $and, so say it explicitly
            return All((Present(cond.ref.field, True), cond))
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
        kept: list[Cond] = []
        for item in items:
            if isinstance(item, Const):
                if item.value != is_all:  # False in an All, True in an AnyOf decides it
                    return Const(item.value)
                continue
            if isinstance(item, All if is_all else AnyOf):
                kept.extend(item.items)  # flatten nested $and/$and and $or/$or
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
        return {"$and": [to_durable(i) for i in sorted(cond.items, key=_alpha_order)]}
    if isinstance(cond, AnyOf):
        return {"$or": [to_durable(i) for i in cond.items]}
    raise TypeError(f"cannot compile {cond!r} to durable_rules")


# A pattern that contains a same-fact `$m` reference becomes an expression sequence in
# durable_rules, limited to ~32 expressions (MAX_SEQUENCE_EXPRESSIONS, error 113 at build time,
# measured: 20 two-way `$or`s plus one reference already fail). Such patterns are split on their
# largest disjunction into several rules that map back to the same rule id.
SEQUENCE_LEAF_LIMIT = 20
MAX_REFUSED = 4  # rules durable refuses before the rest of the ruleset is evaluated in Python
MAX_SPLIT_PARTS = 48
PART_SEPARATOR = "~"
UNDECIDED_MARK = "?"  # the review form of a rule (packs/uncertain.py) is registered as "<rule_id>?"
TABLE_VARIANT = "#"  # rule ids of table variants: CODE#row


def _leaves(cond: Cond) -> int:
    if isinstance(cond, In):
        return len(cond.values)
    if isinstance(cond, All | AnyOf):
        return sum(_leaves(i) for i in cond.items)
    return 1


def _has_ref(cond: Cond) -> bool:
    if isinstance(cond, Cmp):
        return cond.ref is not None
    if isinstance(cond, All | AnyOf):
        return any(_has_ref(i) for i in cond.items)
    return False


def _as_disjunction(cond: Cond) -> tuple[Cond, ...] | None:
    if isinstance(cond, AnyOf):
        return cond.items
    if isinstance(cond, In) and len(cond.values) > 1:
        return tuple(Cmp(cond.field, "eq", value=v) for v in cond.values)
    return None


def split_for_durable(cond: Cond, accepts: Any = None) -> list[Cond] | None:
    """Pieces whose disjunction equals `cond`, each within durable's sequence limit; None if impossible.

    `accepts(piece)` (optional) is asked about pieces without a reference that are still large:
    the three-valued rule forms (packs/uncertain.py) can exceed the limit without one."""
    todo, done = [cond], []
    while todo:
        piece = simplify(todo.pop())
        small = _leaves(piece) <= SEQUENCE_LEAF_LIMIT
        if small or (not _has_ref(piece) and (accepts is None or accepts(piece))):
            done.append(piece)
        elif isinstance(piece, AnyOf):
            todo.extend(piece.items)
        elif isinstance(piece, All):
            options = [(i, _as_disjunction(item)) for i, item in enumerate(piece.items)]
            options = [(i, d) for i, d in options if d]
            if not options:
                return None
            index, branches = max(options, key=lambda o: _leaves(piece.items[o[0]]))
            rest = piece.items[:index] + piece.items[index + 1 :]
            todo.extend(All((*rest, branch)) for branch in branches)
        else:
            return None
        if len(done) + len(todo) > MAX_SPLIT_PARTS:
            return None
    return done


_probe_names = itertools.count(1)


def durable_accepts(kind: str) -> Any:
    """Whether durable_rules builds a one-rule ruleset holding `piece` (error 113 is structural
    and not predicted by a leaf count; measured: 23 leaves may fail, 31 may pass)."""

    def accepts(piece: Cond) -> bool:
        import durable_rules_engine

        name = f"casereview-probe-{next(_probe_names)}"
        rule = {"all": [{"m": {"$and": [{"kind": kind}, to_durable(piece)]}}]}
        durable_prebuild.wait()  # one durable_rules call at a time
        try:
            durable_rules_engine.create_ruleset(name, json.dumps({"r": rule}, ensure_ascii=False))
        except Exception:
            return False
        return True

    return accepts


def _alpha_order(cond: Cond) -> int:
    """Equality tests first: durable_rules hashes them, while each alpha node holds at most a short
    list of non-equality successors (NEXT_LIST_LENGTH, error 107). Leading with the selective
    equalities (article, target, act kind …) spreads the comparisons over many nodes."""
    if isinstance(cond, Cmp) and cond.op == "eq" and cond.ref is None:
        return 0
    if isinstance(cond, In):
        return 1
    if isinstance(cond, AnyOf):
        return 2
    return 3


_UNK_LEN = len(UNK)


def review_in_python(rule: CompiledRule) -> bool:
    """Whether `rule` on a fact with unknowns is evaluated exactly in Python, not in durable_rules.

    A rule has three forms: as written (facts without unknowns), definite and possible (facts
    with unknowns, packs/uncertain.py). For table variants (one per statutory clause, benchmark
    tier or list item: hundreds of rules) the two extra forms would triple the ruleset
    (measured: 250 kB → 880 kB of JSON; durable_rules then ran out of memory building it), so
    durable_rules holds them as written and they run in Python on facts with unknowns only,
    by the same IR evaluator as the oracle. Complete files never reach that path."""
    return TABLE_VARIANT in rule.rule_id


def ruleset_definition(
    rules: Iterable[CompiledRule], in_python: list[str] | None = None
) -> tuple[dict[str, Any], list[CompiledRule]]:
    """The durable_rules ruleset, and the rules it cannot hold (evaluated exactly in Python).

    `in_python`, when given, receives the ids of rules held only as written: their forms for
    facts with unknowns run in Python (see `review_in_python`)."""
    definition: dict[str, Any] = {}
    outside: list[CompiledRule] = []
    ranks: dict[str, int] = {}
    accepts = durable_accepts
    for rule in rules:
        complete = _pieces(complete_form(rule.when), accepts(rule.kind))
        if complete is None:
            outside.append(rule)
            continue
        parts = {rule.rule_id: complete}
        extras = None
        if not review_in_python(rule):
            definite = _pieces(rule.definite, accepts(rule.kind))
            possible = _pieces(rule.undecided, accepts(rule.kind))
            if definite is not None and possible is not None:
                extras = {
                    rule.rule_id + PART_SEPARATOR + "u": definite,
                    rule.rule_id + UNDECIDED_MARK: possible,
                }
        if extras is None:
            if in_python is not None:
                in_python.append(rule.rule_id)
        else:
            parts.update(extras)
        for base, pieces in parts.items():
            rank = _scan_rank(base != rule.rule_id, TABLE_VARIANT in rule.rule_id)
            for i, piece in enumerate(pieces):
                name = base if len(pieces) == 1 else f"{base}{PART_SEPARATOR}{i}"
                ranks[name] = rank
                if isinstance(piece, Const):
                    definition[name] = {"all": [{"m": {"kind": rule.kind}}]}
                else:
                    definition[name] = {"all": [{"m": {"$and": [{"kind": rule.kind}, to_durable(piece)]}}]}
    definition = _merge_identical(definition)
    for name, body in definition.items():
        body["pri"] = min(ranks[alias] for alias in name.split(ALIAS_SEPARATOR))
    definition[SENTINEL_RULE] = {"pri": 0, "all": [{"m": {"kind": SENTINEL_KIND}}]}
    return definition, outside


def _scan_rank(review_form: bool, table_variant: bool) -> int:
    """A durable rule's `pri`: durable_rules numbers the actions by it, and each call for the next
    action of a case scans the actions in that order up to the first one pending (all of them
    once the case is done: ~1,100 of them, measured ~3 µs a scan). So the sentinel, which fires in
    every case, comes first; then the rules as written, table variants (each fires only on its
    clause or row) after them, and the forms for facts with unknowns last. The order of a case's
    actions is nothing else: all are collected before findings are built (measured on the
    generated corpus: 7,300 → 3,900 actions scanned per case)."""
    return 1 + 2 * review_form + table_variant


def _pieces(form: Cond, accepts: Any) -> list[Cond] | None:
    """The durable pieces of one form ([] if it can never match, None if durable cannot hold it)."""
    cond = simplify(push_not(form))
    if isinstance(cond, Const):
        return [Const(True)] if cond.value else []
    return split_for_durable(cond, accepts)


# ruleset JSON, the rules it cannot hold, and the rules held only as written (forms for facts
# with unknowns in Python)
Prepared = tuple[str, list[CompiledRule], tuple[str, ...]]

# Rules with the same condition on the same kind of fact (e.g. hundreds of near-identical rules
# in an added pack) become one durable rule named after all of them: durable_rules refuses many
# identical rules (error 108) and finding which ones by bisection would rebuild the ruleset
# hundreds of times (a hang of many minutes). The action maps the match back to every rule id.
ALIAS_SEPARATOR = " "


def _merge_identical(definition: dict[str, Any]) -> dict[str, Any]:
    by_body: dict[str, list[str]] = {}
    for name, body in definition.items():
        by_body.setdefault(json.dumps(body, sort_keys=True, ensure_ascii=False), []).append(name)
    if all(len(names) == 1 for names in by_body.values()):
        return definition
    merged: dict[str, Any] = {}
    for names in by_body.values():
        merged[ALIAS_SEPARATOR.join(names)] = definition[names[0]]
    return merged


def rule_ids(name: str) -> list[str]:
    """The rule ids a durable rule name stands for (merged rules, split parts); the review form
    of a rule keeps its UNDECIDED_MARK (see `matches_of`)."""
    return [alias.split(PART_SEPARATOR, 1)[0] for alias in name.split(ALIAS_SEPARATOR)]


@functools.lru_cache(maxsize=1 << 14)
def matches_of(name: str, fid: str) -> tuple[Match, ...]:
    """The matches a fired durable rule stands for: definite forms, and review forms (`CODE?`)
    (the same few rules fire on the same fids, `case` or `decision.penalties[0]`, in every case)."""
    return tuple(Match(rule_id, fid, undecided) for rule_id, undecided in _forms_of(name))


@functools.lru_cache(maxsize=1 << 14)
def _forms_of(name: str) -> tuple[tuple[str, bool], ...]:
    """(rule id, review form?) of each rule a durable rule name stands for (parsed once per name)."""
    return tuple(
        (rule_id[: -len(UNDECIDED_MARK)], True) if rule_id.endswith(UNDECIDED_MARK) else (rule_id, False)
        for rule_id in rule_ids(name)
    )


_FRAME, _ID = '":{"m":{', ',"id":'


def activations(message: str) -> list[tuple[str, int | None]]:
    """(rule name, `id` of the matched fact) of each activation in a durable_rules action message
    (`{"<rule>":{"m":{<fact>}}}`).

    The fact in the message is the fact as sent, its `id` last (`DurableEngine.evaluate`): a
    message of one activation whose name holds no escapes is read by position (the text after
    its last `,"id":` must be digits then `}}}`). Anything else is parsed as JSON."""
    head = message.find(_FRAME)
    if head > 2 and message.startswith('{"') and message.endswith("}}}") and message.count(_FRAME) == 1:
        at = message.rfind(_ID)
        digits, name = message[at + len(_ID) : -3], message[2:head]
        if at > head and digits.isascii() and digits.isdigit() and "\\" not in name:
            return [(name, int(digits))]
    out: list[tuple[str, int | None]] = []
    for name, frame in _loads(message).items():
        fact = frame.get("m") if isinstance(frame, dict) else None
        ident = fact.get("id") if isinstance(fact, dict) else None
        out.append((name, ident if isinstance(ident, int) and not isinstance(ident, bool) else None))
    return out


def prepare(rules: Iterable[CompiledRule]) -> Prepared:
    in_python: list[str] = []
    definition, outside = ruleset_definition(rules, in_python)
    return json.dumps(definition, ensure_ascii=False, sort_keys=True), outside, tuple(in_python)


# What durable_rules is sent of a fact of one kind (see `projection_tree`): None (no durable
# rule of the kind may match it), a frozenset (the fields read by every rule left), or
# (fields read whatever the fact, field tested, {value: subtree}, whether the values are text
# (None: mixed), subtree of the rules that do not test the field, fields of the rules that do)
Projection = Any
PROJECTION_DEPTH = 6  # fields tested per path (measured: 3 → 6 sends violations 22 → 12 properties)
MEMO_SIZE = 1 << 12  # projections remembered per kind (the tested values of a batch repeat)

# a durable rule's equality tests {field: values, one of which it must equal} and the fields its
# pattern reads
Guard = tuple[dict[str, frozenset[Any]], frozenset[str]]

# per fact kind: the fields its projection tests (their values decide it), and its projection
Reads = dict[str, tuple[tuple[str, ...], Projection]]


def _equalities(pattern: dict[str, Any]) -> dict[str, frozenset[Any]] | None:
    """{field: values, one of which it must equal} of a durable pattern's top-level conjuncts:
    `{field: value}` and an in-list (`$or` of equalities on one field); None if the pattern
    can never match (two equalities on one field that exclude each other)."""
    items = [pattern]
    tests: dict[str, frozenset[Any]] = {}
    while items:
        item = items.pop()
        [(key, value)] = item.items()
        if key == "$and":
            items.extend(value)
            continue
        if key == "$or":
            if not all(len(d) == 1 and not next(iter(d)).startswith("$") for d in value):
                continue
            if len({next(iter(d)) for d in value}) != 1:
                continue
            key, values = next(iter(value[0])), frozenset(next(iter(d.values())) for d in value)
        elif key.startswith("$") or isinstance(value, dict):
            continue  # a comparison or a reference: not a guard
        else:
            values = frozenset([value])
        if any(isinstance(v, dict | list) for v in values):
            continue
        tests[key] = tests[key] & values if key in tests else values
        if not tests[key]:
            return None
    return tests


def pattern_fields(pattern: Any) -> set[str]:
    """Every fact field a durable pattern reads: tested, referenced (`$m`), tested for presence."""
    fields: set[str] = set()
    items = [pattern]
    while items:
        item = items.pop()
        if isinstance(item, list):
            items.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key == "$m":
                    fields.add(value)
                    continue
                if not key.startswith("$"):
                    fields.add(key)
                items.append(value)
    return fields


def rule_guards(definition: dict[str, Any]) -> dict[str, list[Guard]] | None:
    """Per fact kind, the equality tests (`kind` itself left out) and the fields read of each
    durable rule; None for a ruleset of another shape than one pattern per rule, each testing
    its kind (then every fact is sent with every field its kind's rules read)."""
    guards: dict[str, list[Guard]] = {}
    for body in definition.values():
        patterns = body.get("all")
        if set(body) - {"all", "pri"} or not isinstance(patterns, list) or len(patterns) != 1:
            return None
        if not isinstance(patterns[0], dict) or len(patterns[0]) != 1:
            return None
        pattern = next(iter(patterns[0].values()))
        try:
            tests = _equalities(pattern)
            fields = frozenset(pattern_fields(pattern))
        except (ValueError, TypeError, AttributeError):  # a test of a shape read nowhere here
            return None
        if tests is None:
            continue  # never matches
        kinds = tests.pop("kind", None)
        if kinds is None:
            return None
        for kind in kinds:
            guards.setdefault(kind, []).append((tests, fields))
    return guards


def projection_tree(guards: list[Guard], depth: int = PROJECTION_DEPTH) -> Projection:
    """A decision tree giving, for a fact, the fields read by the durable rules whose equality
    tests it passes (and a few more: below `depth` fields, or where a value's type differs from
    the tested values' — durable_rules compares mixed types as text, so such a fact is sent with
    the fields of every rule that tests the field). A rule whose equality tests fail cannot
    match whatever else the fact holds, so durable_rules decides the same on the smaller fact
    (each property sent costs it a probe in every alpha node the fact reaches). Built from the
    ruleset alone: no rule is known here, and durable_rules still decides every match."""
    if not guards:
        return None
    merged: dict[tuple[Any, ...], Guard] = {}  # rules with the same tests: one guard
    for tests, fields in guards:
        key = tuple(sorted(tests.items(), key=lambda t: t[0]))
        merged[key] = (tests, merged[key][1] | fields) if key in merged else (tests, fields)
    always = frozenset().union(*(f for t, f in merged.values() if not t))
    tested = [g for g in merged.values() if g[0]]
    if not tested:
        return always
    if depth == 0:
        return always.union(*(f for _, f in tested))
    counts: dict[str, int] = {}
    for tests, _ in tested:
        for name in tests:
            counts[name] = counts.get(name, 0) + 1
    name = min(counts, key=lambda n: (-counts[n], n))  # the field most rules test
    testing = [g for g in tested if name in g[0]]
    values = {v for tests, _ in testing for v in tests[name]}
    text = {isinstance(v, str) for v in values}
    branches = {
        value: projection_tree(
            [({k: x for k, x in t.items() if k != name}, f) for t, f in testing if value in t[name]],
            depth - 1,
        )
        for value in values
    }
    rest = projection_tree([g for g in tested if name not in g[0]], depth)
    read = frozenset().union(*(f for _, f in testing))
    return (always, name, branches, text.pop() if len(text) == 1 else None, rest, read)


_ABSENT = object()
_NOTHING = itertools.repeat(_ABSENT)


def projected(tree: Projection, fact: dict[str, Any]) -> set[str]:
    """The fields durable_rules reads of `fact` (see `projection_tree`); empty if no durable rule
    of the fact's kind may match it."""
    out: set[str] = set()
    while tree is not None:
        if isinstance(tree, frozenset):
            out |= tree
            break
        always, name, branches, text, rest, read = tree
        out |= always
        value = fact.get(name, _ABSENT)
        if value is not _ABSENT:  # an absent field equals nothing (durable_rules and the IR)
            if text is None or isinstance(value, str) != text:
                out |= read
            else:
                try:
                    branch = branches.get(value)
                except TypeError:  # an unhashable value: durable_rules decides
                    out |= read
                else:
                    out |= projected(branch, fact)
        tree = rest
    return out


def tested_fields(tree: Projection) -> tuple[str, ...]:
    """The fields whose values decide `projected` (a fact's memo key)."""
    names: set[str] = set()
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, tuple):
            names.add(node[1])
            todo.extend(node[2].values())
            todo.append(node[4])
    return tuple(sorted(names))


def _shared(tree: Projection, pool: dict[frozenset[str], frozenset[str]]) -> Projection:
    """`tree` with equal field sets one object: the trees travel pickled with the rule book, and
    a one-file check unpickles them (measured: 75 → 41 kB, unpickling 1.0 → 0.4 ms)."""
    if isinstance(tree, frozenset):
        return pool.setdefault(tree, tree)
    if isinstance(tree, tuple):
        always, name, branches, text, rest, read = tree
        branches = {value: _shared(branch, pool) for value, branch in branches.items()}
        return (_shared(always, pool), name, branches, text, _shared(rest, pool), _shared(read, pool))
    return tree


def fact_reads(rules: Iterable[CompiledRule], python_forms: set[str], payload: str | None = None) -> Reads:
    """Per kind of fact, what durable_rules is sent of it: only the fields read by the rules
    that may match it (`projection_tree` of the ruleset's rules), or, for a ruleset of another
    shape, the fields its kind's rules read.

    An act or performer fact carries ~25 case fields that no act/performer rule looks at, and
    every property costs JSON encoding and parsing in C and a probe in every alpha node the
    fact reaches (findings are built from the full facts). A rule whose forms for facts with
    unknowns run in Python (`python_forms`) needs its own fields and the `has_unknown` guard;
    any other rule the fields of both evaluated forms."""
    guards = rule_guards(json.loads(payload)) if payload is not None else None
    if guards is not None:
        pool: dict[frozenset[str], frozenset[str]] = {}
        trees = {kind: _shared(projection_tree(kind_guards), pool) for kind, kind_guards in guards.items()}
    else:
        trees = {}
        for rule in rules:
            read = rule.fields | {HAS_UNKNOWN} if rule.rule_id in python_forms else rule.engine_fields
            trees[rule.kind] = trees.get(rule.kind, frozenset(ALWAYS_SENT)) | rule.fields | read
        trees = {kind: fields | {HAS_UNKNOWN} for kind, fields in trees.items()}
    return {kind: (tested_fields(tree), tree) for kind, tree in trees.items()}


def prepare_book(book: Any) -> Prepared:
    """`prepare(book.compiled)`, computed once and kept on the book (so it is pickled with it)."""
    prepared = book.__dict__.get("_durable_prepared")
    if prepared is None:
        prepared = book.__dict__["_durable_prepared"] = prepare(book.compiled)
    return prepared


def book_reads(book: Any) -> Reads:
    """`fact_reads` for the book's prepared ruleset, kept on the book like `prepare_book`: it
    derives every rule's evaluated forms (~20 ms), which a one-file check need not redo."""
    reads = book.__dict__.get("_durable_reads")
    if reads is None:
        prepared = prepare_book(book)
        reads = book.__dict__["_durable_reads"] = fact_reads(book.compiled, set(prepared[2]), prepared[0])
    return reads


def _sent_fields(
    tree: Projection, fact: dict[str, Any]
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | None:
    """What durable_rules is sent of `fact`: the fields, and (bound, source) for the bounds among
    them; None if no durable rule may match the fact."""
    fields = projected(tree, fact)
    if not fields:
        return None
    fields.update(ALWAYS_SENT)
    if fields & DURABLE_KEYS:  # durable_rules would take them for the fact's state and identity
        raise ValueError(f"fact field named {sorted(fields & DURABLE_KEYS)} (reserved by durable_rules)")
    names = tuple(sorted(fields))
    return names, tuple((name, source) for name in names if (source := bound_source(name)))


class DurableEngine:
    """One durable_rules ruleset; evaluate() runs one case at a time in one state."""

    name = "durable"

    def __init__(
        self, rules: Iterable[CompiledRule], prepared: Prepared | None = None, reads: Reads | None = None
    ):
        """`prepared` and `reads` (from `prepare_book`/`book_reads`) spare the work of deriving
        them; `reads` is used only if the prepared ruleset builds as it is."""
        # durable_rules' C binding, imported here: the oracle must work without it (its Python
        # layer, durable.engine, is not used: it imports logging, threading … ~3 ms at every start)
        import durable_rules_engine

        self._dre = durable_rules_engine
        rules = list(rules)
        self._rules = rules
        self._parameters = ParameterValues(rules)
        self.outside: list[CompiledRule] = []
        self._rebuilt = prepared is None  # the ruleset was prepared here (or some rule refused)
        self._handle = self._build(rules, prepared)
        self.review_outside = [r for r in rules if r.rule_id in self._python_forms and r not in self.outside]
        self._outside = [RulePredicates(r) for r in self.outside]
        if reads is None or self._rebuilt:
            reads = fact_reads(rules, self._python_forms, self._payload)
        # per kind: the fields that decide a projection, the projection tree, and its memo
        # ({tested values: (fields sent, (bound, its source) pairs) or None})
        self._projections = {kind: (tested, tree, {}) for kind, (tested, tree) in reads.items()}
        self._sids = itertools.count(1)
        self._next_id = 1  # durable_rules' fact ids (`id`): one per fact sent, never reused
        self._sid: str | None = None
        self._sid_cases = 0  # cases completed in the current state (each ran the sentinel action)

    @functools.cached_property
    def _review_outside(self) -> dict[str, VariantIndex]:
        """The Python-side forms as functions, indexed per fact kind: built at the first fact with
        unknowns (building them for every table variant would cost a one-file check ~0.3 s)."""
        by_kind: dict[str, list[RulePredicates]] = {}
        for rule in self.review_outside:
            by_kind.setdefault(rule.kind, []).append(RulePredicates(rule))
        return {kind: VariantIndex(forms) for kind, forms in by_kind.items()}

    @classmethod
    def for_book(cls, book: Any) -> DurableEngine:
        """The engine for a rule book, with its ruleset JSON prepared once per book (and kept in
        the rule-book cache, see `prepare_book`): ~50 ms of a one-file check."""
        return cls(book.compiled, prepared=prepare_book(book), reads=book_reads(book))

    def _create(
        self, rules: list[CompiledRule], prepared: Prepared | None = None
    ) -> tuple[Any, list[CompiledRule]]:
        payload, outside, in_python = prepared or prepare(rules)
        self._python_forms, self._payload = set(in_python), payload
        name = durable_prebuild.ruleset_name(payload)
        handle = durable_prebuild.take(name)  # built while the process started up, if it was
        if handle is None:
            handle = self._dre.create_ruleset(name, payload)
        return handle, outside

    def _build(self, rules: list[CompiledRule], prepared: Prepared | None = None) -> Any:
        """Build the ruleset; a rule durable_rules refuses (node-list limits, error 106/107/113)
        is evaluated exactly in Python instead, and listed in `outside`.

        Each refused rule costs a bisection (~log2(n) builds of up to the whole ruleset), so
        after `MAX_REFUSED` refusals every rule from the next refused one on goes to Python:
        a pack durable cannot hold is slower, never a hang and never a different result."""
        refused = 0
        while True:
            try:
                handle, outside = self._create(rules, prepared)
                self.outside.extend(outside)
                return handle
            except Exception:
                prepared = None
                self._rebuilt = True
                refused += 1
                low, high = 1, len(rules)  # find the shortest failing prefix
                while low < high:
                    mid = (low + high) // 2
                    try:
                        self._create(rules[:mid])
                        low = mid + 1
                    except Exception:
                        high = mid
                if refused >= MAX_REFUSED:
                    self.outside.extend(rules[low - 1 :])  # rules[:low - 1] builds
                    rules = rules[: low - 1]
                    continue
                self.outside.append(rules[low - 1])
                rules = rules[: low - 1] + rules[low:]

    def _state(self) -> str:
        """The sid for the next case: the current state, or a fresh one after a release.

        One state for every case (measured against a fresh state every 64 cases, the facts left
        in it: evaluate −10 % in process; a state every 16 / 256 cases was slower still)."""
        if self._sid is None:
            self._sid = str(next(self._sids))
        return self._sid

    def _retract(self, sid: str, first: int, end: int) -> None:
        """Take the facts with ids `first` … `end - 1` out of the state (all actions ran)."""
        facts = [{"sid": sid, "id": ident} for ident in range(first, end)]
        try:
            self._dre.retract_facts(self._handle, _dumps(facts))
        except BaseException:
            self._release()  # a state in doubt is never shared with the next case
            raise

    def _release(self) -> None:
        if self._sid is not None and self._sid_cases:
            self._dre.delete_state(self._handle, self._sid)
        # a state in which no case completed is left alone: deleting it could crash (§4.3)
        self._sid, self._sid_cases = None, 0

    def evaluate(self, facts: list[dict[str, Any]]) -> EvalResult:
        result = EvalResult(engine=self.name)
        facts = flagged(facts)
        self._parameters.apply(facts)
        sid = self._state()
        first = ident = self._next_id
        batch = []
        fids = []  # of the facts sent, by `id - first` (fids are not sent: fewer properties to match)
        uncertain = []
        projections = self._projections
        for fact in facts:
            if fact[HAS_UNKNOWN]:
                uncertain.append(fact)
            projection = projections.get(fact["kind"])
            if projection is None:
                continue  # no rule looks at this kind of fact
            tested, tree, memo = projection
            try:
                key = tuple(map(fact.get, tested, _NOTHING))  # the values `projected` reads
                sent_fields = memo[key]
            except KeyError:
                sent_fields = remember(memo, key, _sent_fields(tree, fact), MEMO_SIZE)
            except TypeError:  # an unhashable value
                sent_fields = _sent_fields(tree, fact)
            if sent_fields is None:
                continue  # no durable rule can match it: durable_rules need not see it
            names, bounds = sent_fields
            sent = {name: fact[name] for name in names if name in fact}
            for name, source in bounds:  # a bound of an exact value is the value (packs/uncertain.py)
                if name not in sent and source in fact:
                    sent[name] = fact[source]
            if len(sent) > MAX_FACT_PROPERTIES:
                raise ValueError(f"fact {fact['fid']} has {len(sent)} properties, above the durable limit")
            sent["sid"], sent["id"] = sid, ident  # `id` last: `activations` reads it by position
            ident += 1
            batch.append(sent)
            fids.append(fact["fid"])
        batch.append({"sid": sid, "kind": SENTINEL_KIND, "id": ident})
        self._next_id = ident + 1
        seen: set[Match] = set()
        dre, handle = self._dre, self._handle
        try:
            # code 1 (a fact matched no rule) and 2 (duplicate) are benign here (§4.4)
            _code, state_handle = dre.assert_facts(handle, _dumps(batch))
            started = dre.start_action_for_state(handle, state_handle)
            message = started[1] if started else None
            while message:
                for name, fired in activations(message):
                    if name != SENTINEL_RULE:
                        try:
                            if fired is None or not first <= fired < ident:
                                raise KeyError(f"id {fired}")
                            seen.update(matches_of(name, fids[fired - first]))
                        except Exception as exc:  # an action error is a finding, never silence
                            result.errors.append(f"{name}: {exc}")
                message = dre.complete_and_start_action(handle, state_handle)
        except self._dre.error as exc:  # a durable_rules limit met by this case (e.g. error 303)
            self._release()  # never let a half-run case share a state with the next one
            return self._in_python(facts, exc)
        except BaseException:
            self._release()
            raise
        self._sid_cases += 1
        self._retract(sid, first, ident + 1)
        for fact in uncertain:  # forms for facts with unknowns (see review_in_python)
            index = self._review_outside.get(fact["kind"])
            if index is None:
                continue
            # the fields the forms read as unknown: those whose flag says so
            unknown = {
                name[:-_UNK_LEN] for name, value in fact.items() if value is True and name.endswith(UNK)
            }
            fid = fact["fid"]
            for forms in index.candidates(fact, unknown):
                rule_id = forms.rule.rule_id
                if forms.rule.fields.isdisjoint(unknown):
                    # it reads no unknown field: its definite and review forms are the rule as
                    # written (the review match is dropped by findings, as it always was)
                    if forms.when(fact):
                        seen.add(Match(rule_id, fid))
                        seen.add(Match(rule_id, fid, True))
                    continue
                if forms.definite(fact):
                    seen.add(Match(rule_id, fid))
                if forms.undecided(fact):
                    seen.add(Match(rule_id, fid, True))
        for forms in self._outside:  # rules beyond durable's limits: exact Python evaluation
            kind, rule_id = forms.rule.kind, forms.rule.rule_id
            for fact in facts:
                if fact["kind"] != kind:
                    continue
                if forms.decided(fact):
                    seen.add(Match(rule_id, fact["fid"]))
                if fact[HAS_UNKNOWN] and forms.undecided(fact):
                    seen.add(Match(rule_id, fact["fid"], True))
        result.matches = sorted(seen)
        return result

    @functools.cached_property
    def _oracle(self) -> OracleEngine:
        return OracleEngine(self._rules)

    def _in_python(self, facts: list[dict[str, Any]], exc: Exception) -> EvalResult:
        """The whole case evaluated by the oracle (the same rules, exactly), and said so."""
        result = self._oracle.evaluate(facts)
        note = f"durable_rules 无法评查本案（{exc}），本案规则已由参照实现（oracle）逐条评估"
        return EvalResult(
            matches=sorted(set(result.matches)), engine=self.name, notes=[note], errors=result.errors
        )
