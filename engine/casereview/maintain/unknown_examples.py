"""Suggest an `unknown:` example for a rule: its failing example with one fact marked 未载明.

Every rule needs an example showing what it does when a fact it reads is not known to the
exporter (a 待人工评查 item naming the fact, never its veto or deduction). This tries the
case-file fields a rule can read, on the rule's failing examples, and keeps the first edit for
which both engines give the review item. Used by `casereview rules suggest-unknown` and by
maintainers adding a rule.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import yaml

from ..packs.examples import apply_example, run_unknown_example
from ..packs.loader import RuleBook
from ..packs.schema import ExampleCase

MARK = "未载明"

# Case-file fields a rule may read, most specific first; `{i}` stands for each index present.
CANDIDATES: tuple[str, ...] = (
    "decision.penalties[{i}].amount",
    "violations[{i}].penalty_basis.article",
    "violations[{i}].discretion.tier",
    "violations[{i}].discretion.benchmark_item",
    "violations[{i}].discretion.list_item",
    "violations[{i}].discretion.adjustment",
    "violations[{i}].discretion.stated_in_decision",
    "violations[{i}].discretion.benchmark",
    "violations[{i}].discretion.amount",
    "violations[{i}].facts.{key}",
    "violations[{i}].first_offence",
    "violations[{i}].harm",
    "violations[{i}].corrected_in_time",
    "violations[{i}].major_hazard",
    "violations[{i}].health_safety_harm",
    "violations[{i}].accident_grade",
    "violations[{i}].illegal_gains",
    "violations[{i}].branch",
    "violations[{i}].committed_on",
    "violations[{i}].continuing_until",
    "violations[{i}].penalty_basis.version",
    "violations[{i}].penalty_basis.law",
    "violations[{i}].penalty_basis",
    "violations[{i}].discretion",
    "persons[{i}].last_year_income",
    "persons[{i}].role",
    "decision.penalties[{i}].type",
    "decision.penalties[{i}].target",
    "decision.penalties[{i}].basis",
    "acts[{i}].by[{j}].cert",
    "acts[{i}].by[{j}].role",
    "bodies[{i}].relation",
    "bodies[{i}].kind",
    "bodies[{i}].instrument_recorded",
    "bodies[{i}].in_own_name",
    "bodies[{i}].valid_to",
    "bodies[{i}].valid_from",
    "acts[{i}].by[{j}].name",
    "acts[{i}].by",
    "acts[{i}].on",
    "acts[{i}].result",
    "acts[{i}].approved",
    "acts[{i}].hearing_right_notified",
    "acts[{i}].method",
    "acts[{i}].recorded",
    "acts[{i}].deadline",
    "case.opened_on",
    "decision.decided_on",
    "decision.major_case",
    "decision.outcome",
    "case.handlers",
    "case.procedure",
    "case.agency.region",
    "case.agency.level",
    "party.kind",
    "party.headcount",
    "party.sector",
    "party.flags.serious_dishonesty",
    "party.flags.fatal_accident_within_3y",
    "party.flags.major_hazard_source",
    "decision.penalties",
    "acts",
    "decision",
)


def _get(data: Any, path: str) -> Any:
    from ..packs.examples import parse_path

    node = data
    for step in parse_path(path):
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return None
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                return None
            node = node[step]
    return node


# leaves worth marking unknown even where the example leaves them to their default
DEFAULTED = ("role", "recorded", "relation", "kind", "instrument_recorded", "in_own_name", "result")


def _paths(data: dict[str, Any]) -> Iterator[str]:
    """Concrete paths of CANDIDATES that exist in `data`."""
    for template in CANDIDATES:
        if "{i}" not in template:
            if _get(data, template) is not None:
                yield template
            continue
        head = template.split("[{i}]", 1)[0]
        items = _get(data, head) or []
        for i in range(len(items) if isinstance(items, list) else 0):
            path = template.replace("{i}", str(i), 1)
            if "{j}" in path:
                people = _get(data, path.split("[{j}]", 1)[0]) or []
                for j in range(len(people) if isinstance(people, list) else 0):
                    concrete = path.replace("{j}", str(j))
                    if _get(data, concrete) is not None or concrete.endswith(DEFAULTED):
                        yield concrete
            elif "{key}" in path:
                facts = _get(data, path.split(".{key}", 1)[0]) or {}
                for key in facts if isinstance(facts, dict) else ():
                    yield path.replace("{key}", key)
            elif _get(data, path) is not None or path.endswith(DEFAULTED):
                yield path


def suggest(book: RuleBook, code: str, engines: list[Any]) -> ExampleCase | None:
    """The first failing example of `code` with one field marked unknown that every engine
    answers with the rule's review item; None if no single field does."""
    from ..packs.examples import _read_yaml

    rule = book.rules[code].rule
    for fail in rule.examples.fail:
        base = apply_example(_read_yaml(book.root / "examples" / f"{fail.base}.yaml"), fail)
        for path in _paths(base):
            candidate = copy.deepcopy(fail)
            candidate.set = {**fail.set, path: MARK}
            candidate.note = f"{path} 未载明：只给出待人工评查事项"
            try:
                if all(run_unknown_example(book, code, candidate, engine)[0] for engine in engines):
                    return candidate
            except Exception:
                continue
    return None


def example_yaml(example: ExampleCase, indent: int = 8) -> str:
    """The example as YAML lines for a pack's `examples.unknown` list."""
    data: dict[str, Any] = {}
    if example.base != "general":
        data["base"] = example.base
    if example.set:
        data["set"] = example.set
    if example.remove:
        data["remove"] = example.remove
    if example.append:
        data["append"] = example.append
    if example.roster:
        data["roster"] = example.roster
    if example.note:
        data["note"] = example.note
    lines = []
    for key, value in data.items():
        text = yaml.safe_dump(
            value, allow_unicode=True, default_flow_style=True, width=10_000, sort_keys=False
        ).strip()
        if text.endswith("\n..."):
            text = text[:-4].strip()
        lines.append(f"{key}: {text}")
    pad = " " * indent
    return "\n".join(f"{pad}{'- ' if i == 0 else '  '}{line}" for i, line in enumerate(lines)) + "\n"
