"""Generate realistic, varied case files with a fixed seed.

Used by the differential test (durable_rules vs the oracle) and the benchmark. Cases start
from the shipped example cases and vary what the rules read: amounts, dates and gaps,
officers and certificates, escalation, discretion claims, exemptions and defects at
realistic rates. Every generated case validates against the case model.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .load import read_document
from .packs.loader import default_rules_dir

OFFICERS = [
    ("张明", "36011120200001"),
    ("李华", "36011120200002"),
    ("吴敏", "36011120200007"),
    ("赵强", "36011120200004"),  # expires 2024-03-04
    ("孙丽", "36011120200005"),  # suspended since 2024-01-01
    ("钱进", "36019999999999"),  # not in the roster
]
ARTICLES = [
    (94, None),
    (96, None),
    (97, 4),
    (98, 1),
    (99, 1),
    (101, 3),
    (102, None),
    (103, None),
    (108, None),
    (114, None),
]
ACT_KINDS_OPTIONAL = [
    "hearing_notification",
    "hearing",
    "collective_discussion",
    "extension_approval",
    "preservation",
]


def _base_cases(root: Path) -> list[dict[str, Any]]:
    return [read_document(root / "examples" / name).data for name in ("general.yaml", "simple.yaml")]


def _shift(day: Any, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


def generate_case(rng: random.Random, bases: list[dict[str, Any]], index: int) -> dict[str, Any]:
    case = copy.deepcopy(rng.choice(bases) if rng.random() < 0.2 else bases[0])
    case["case"]["number"] = f"（测）应急罚〔{2022 + index % 5}〕{index}号"
    offset = rng.randint(-900, 900)
    year_shift = dt.timedelta(days=offset)
    for act in case["acts"]:
        act["on"] = act["on"] + year_shift
        if "deadline" in act:
            act["deadline"] = act["deadline"] + year_shift
    for key in ("opened_on", "closed_on"):
        if key in case["case"]:
            case["case"][key] = case["case"][key] + year_shift
    violation = case["violations"][0]
    violation["committed_on"] = (
        violation["committed_on"] + year_shift - dt.timedelta(days=rng.choice([0, 0, 30, 800]))
    )
    decision = case.get("decision")
    if decision:
        decision["decided_on"] = decision["decided_on"] + year_shift
        if rng.random() < 0.3:
            delay = rng.choice([1, 5, 60, 120])
            decision["decided_on"] = _shift(decision["decided_on"], delay)
            for act in case["acts"]:
                if act["kind"] == "decision":
                    act["on"] = decision["decided_on"]
        fine = next((p for p in decision["penalties"] if p["type"] == "fine"), None)
        if fine:
            fine["amount"] = rng.choice(
                [200, 1000, 3000, 3001, 15000, 19999, 20000, 50000, 50001, 100000, 150000, 250000]
            )
    article, item = rng.choice(ARTICLES)
    violation["penalty_basis"] = {"law": "安全生产法", "version": "2021", "article": article}
    if item:
        violation["penalty_basis"]["item"] = item
    violation["branch"] = rng.choice(
        ["initial"] * 4 + ["overdue_uncorrected", "refused_execution", "refused_correction"]
    )
    violation["facts"] = {
        "locations_count": rng.randint(1, 6),
        "affected_share": round(rng.random() * 0.5, 2),
        "affected_persons": rng.randint(1, 20),
    }
    violation["first_offence"] = rng.random() < 0.7
    violation["harm"] = rng.choice(["none", "none", "minor", "serious"])
    violation["major_hazard"] = rng.random() < 0.1
    violation["corrected_in_time"] = rng.random() < 0.6
    if rng.random() < 0.3:
        violation["illegal_gains"] = rng.choice([0, 50000, 100000, 300000])
    discretion = violation.setdefault("discretion", {})
    discretion["tier"] = rng.randint(1, 5)
    discretion["stated_in_decision"] = rng.random() < 0.8
    discretion["adjustment"] = rng.choice(["none"] * 6 + ["lighter", "mitigated", "heavier"])
    if rng.random() < 0.1:
        discretion["list_item"] = "JS-2023-1"
    case["party"]["kind"] = rng.choice(["organisation"] * 4 + ["individual", "individual_business"])
    flags = case["party"].setdefault("flags", {})
    flags["fatal_accident_within_3y"] = rng.random() < 0.05
    flags["serious_dishonesty"] = rng.random() < 0.05
    for act in case["acts"]:
        if act.get("by") and rng.random() < 0.15:
            name, cert = rng.choice(OFFICERS)
            act["by"][rng.randrange(len(act["by"]))] = {"name": name, "cert": cert}
        if act.get("by") and rng.random() < 0.05:
            act["by"] = act["by"][:1]
        if rng.random() < 0.1:
            act["on"] = _shift(act["on"], rng.choice([-20, 3, 9, 15]))
        if act["kind"] == "legal_review" and rng.random() < 0.1:
            act["result"] = rng.choice(["returned", "rejected"])
        if act["kind"] == "notice" and rng.random() < 0.3:
            act["hearing_right_notified"] = True
    if rng.random() < 0.1:
        case["acts"] = [
            a
            for a in case["acts"]
            if a["kind"] != rng.choice(["legal_review", "notice", "publicity", "service"])
        ]
    if rng.random() < 0.15 and case["acts"]:
        last = case["acts"][-1]["on"]
        kind = rng.choice(ACT_KINDS_OPTIONAL)
        case["acts"].append(
            {
                "kind": kind,
                "on": _shift(last, -rng.randint(1, 40)),
                "by": [
                    {"name": "张明", "cert": "36011120200001"},
                    {"name": "李华", "cert": "36011120200002"},
                ],
            }
        )
    if decision and rng.random() < 0.1:
        decision["major_case"] = True
    if decision and rng.random() < 0.15:
        case.setdefault("persons", []).append(
            {
                "id": "p1",
                "name": "刘某",
                "role": "responsible_supervisor",
                "last_year_income": rng.choice([80000, 200000]),
            }
        )
        decision["penalties"].append(
            {
                "target": "person",
                "person_id": "p1",
                "type": "fine",
                "amount": rng.choice([10000, 20000, 60000]),
                "violation_ids": ["v1"],
            }
        )
    return case


def generate_cases(n: int, seed: int = 20261126, root: Path | None = None) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    bases = _base_cases(root or default_rules_dir())
    for index in range(n):
        yield generate_case(rng, bases, index)
