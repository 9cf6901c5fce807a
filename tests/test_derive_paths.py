"""The derive step's fast paths give exactly the facts of its generic path (speed work, issue 16).

`derive` merges each fact with the case's common fields and settles unsure values; for speed it
copies a prebuilt head, loops once when nothing is unsure, settles the common fields once per
case, and fills act and performer facts into a copy of a prebuilt fact when nothing about them is
unsure. All must equal settling every merged fact from scratch — same keys, values and key order
(the order of `__why` is the order reasons are shown in).
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))
sys.path.insert(0, str(ROOT / "tests"))

from casereview.derive import facts as facts_module  # noqa: E402
from casereview.derive.facts import derive  # noqa: E402
from casereview.derive.unsure import Settling, Unsure, settle  # noqa: E402
from casereview.generate import generate_cases  # noqa: E402
from casereview.load import load_roster  # noqa: E402
from casereview.model.case import CaseFile  # noqa: E402


def _ordered(derived):
    return [list(f.items()) for f in derived.facts], derived.notes, list(derived.sources.items())


def _cases(n: int, seed: int) -> list[dict]:
    from test_golden_results import _unknown_variant

    rng = random.Random(seed)
    out = []
    for data in generate_cases(n, seed):
        out.append(data)
        out.append(_unknown_variant(data, rng))
        out.append(_unknown_variant(_unknown_variant(data, rng), rng))
    return out


def test_fast_paths_equal_the_generic_path_on_generated_and_partial_cases(monkeypatch):
    roster = load_roster(ROOT / "rules" / "examples" / "roster.yaml")
    checked = unsure_common = 0
    slow: list[str] = []  # fids of the facts one derive settled on the generic path
    merged, clean = facts_module._Facts.merged, facts_module._clean
    monkeypatch.setattr(
        facts_module._Facts,
        "merged",
        lambda self, kind, fid, fact: slow.append(fid) or merged(self, kind, fid, fact),
    )
    monkeypatch.setattr(facts_module, "_clean", lambda fact: slow.append(fact["fid"]) or clean(fact))
    fast_kinds: Counter[str] = Counter()  # facts built on a fast path, by kind
    for data in _cases(60, 1606):
        try:
            case = CaseFile.model_validate(json.loads(json.dumps(data, default=str)))
        except Exception:
            continue  # a variant the model refuses is the loader's business, not derive's
        for r in (roster, None):
            slow.clear()
            fast = derive(case, r)
            fast_kinds.update(f["kind"] for f in fast.facts if f["fid"] not in slow)
            monkeypatch.setattr(facts_module, "_GENERIC_ONLY", True)
            generic = derive(case, r)
            monkeypatch.setattr(facts_module, "_GENERIC_ONLY", False)
            assert _ordered(fast) == _ordered(generic)
            checked += 1
            unsure_common += any(
                k in f.get("__why", {}) for f in fast.facts for k in ("decided_on", "opened_on")
            )
    assert checked >= 300 and unsure_common >= 10  # both fast paths ran
    # templates (acts, performers: with and without a roster) and the lead (the others) ran
    assert fast_kinds["performer"] > 1000 and fast_kinds["act"] > 1000, fast_kinds
    assert min(fast_kinds[kind] for kind in ("case", "violation", "penalty")) > 100, fast_kinds


_values = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.sampled_from(["a", "b"]),
    st.builds(
        Unsure,
        st.one_of(st.none(), st.integers(0, 3)),
        st.one_of(st.none(), st.integers(0, 3)),
        st.lists(st.sampled_from(["甲未载明", "乙未记载"]), max_size=2).map(tuple),
    ),
)
_keys = st.sampled_from(["on", "n_officers", "f_x", "f_y", "f_z__lo", "name", "cert", "role", "amount"])


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["act", "performer", "case", "violation", "penalty", "other"]),
    st.dictionaries(st.sampled_from(["decided_on", "procedure", "f_common"]), _values, max_size=3),
    st.dictionaries(_keys, _values, max_size=8),
)
def test_settling_onto_a_settled_head_equals_settling_the_whole_fact(kind, head, rest):
    whole = {"kind": kind, **head, **rest}
    start = Settling({}, {}, [])
    start.add({"kind": kind, **head})
    assert list(settle(rest, start).items()) == list(settle(whole).items())
    assert start.out.get("kind") == kind  # the head itself is left as it was


def _forget_citations() -> None:
    facts_module._basis_memo.clear()
    facts_module._tier_memo.clear()


def test_citation_fields_kept_across_cases_equal_fields_built_afresh():
    """A citation's fields are kept by what it states and shared by later cases: each case's facts
    equal those derived with nothing kept (generated and partial cases, bases marked unknown)."""
    roster = load_roster(ROOT / "rules" / "examples" / "roster.yaml")
    cases = []
    for data in _cases(40, 2112):
        try:
            cases.append(CaseFile.model_validate(json.loads(json.dumps(data, default=str))))
        except Exception:
            continue
    _forget_citations()
    kept = [_ordered(derive(case, roster)) for case in cases]
    assert facts_module._basis_memo and facts_module._tier_memo  # later cases found them kept
    for case, facts in zip(cases, kept, strict=True):
        _forget_citations()
        assert _ordered(derive(case, roster)) == facts


_BASES = [
    {"law": "安全生产法", "version": "2021", "article": 99, "paragraph": 1, "item": 2, "sentence": 1},
    {"law": "《安全生产法》", "version": "2021", "article": 99, "paragraph": 1, "item": 2, "sentence": 1},
    {"law": "安全生产法", "version": "2014", "article": 99, "paragraph": 1, "item": 2, "sentence": 1},
    {"law": "安全生产法", "article": 99, "paragraph": 1, "item": 2, "sentence": 1},
    {"law": "安全生产法", "version": "2021", "article": 98, "paragraph": 1, "item": 2, "sentence": 1},
    {"law": "安全生产法", "version": "2021", "article": 99, "item": 2, "sentence": 1},
    {"law": "安全生产法", "version": "2021", "article": 99, "paragraph": 1, "sentence": 1},
    {"law": "安全生产法", "version": "2021", "article": 99, "paragraph": 1, "item": 2},
]
_DISCRETIONS = [
    {"benchmark": "应急〔2024〕90号", "tier": 2},
    {"benchmark": "应急〔2024〕90号", "tier": "2"},
    {"benchmark": "应急〔2024〕90号", "tier": "第三阶次"},
    {"benchmark": "《某基准》", "tier": 2},
    {"tier": 2},
    {"benchmark": "应急〔2024〕90号"},
]


def test_citations_differing_in_one_part_each_get_their_own_fields():
    """Kept fields are found only by a citation stating exactly the same: each case derived
    after all the others equals the same case derived with nothing kept."""
    base = next(iter(generate_cases(1, 11)))
    cases = []
    for basis in _BASES:
        for discretion in _DISCRETIONS:
            data = json.loads(json.dumps(base, default=str))
            data["violations"] = data["violations"][:1]
            data["violations"][0]["penalty_basis"] = basis
            data["violations"][0]["discretion"] = discretion
            cases.append(CaseFile.model_validate(data))
    _forget_citations()
    fresh = []
    for case in cases:
        _forget_citations()
        fresh.append(_ordered(derive(case)))
    for case, facts in zip(cases, fresh, strict=True):  # every citation kept by now
        assert _ordered(derive(case)) == facts


def test_a_citation_with_an_unknown_part_names_its_own_violation():
    """Fields whose reasons name the violation are not shared between violations citing alike."""
    data = next(iter(generate_cases(1, 5)))
    violation = data["violations"][0]
    violation["penalty_basis"] = {"law": "安全生产法", "article": 99, "paragraph": "未载明"}
    violation["discretion"] = {"benchmark": "未载明", "tier": 2}
    second = {**json.loads(json.dumps(violation, default=str)), "id": "v9"}
    data["violations"].append(second)
    case = CaseFile.model_validate(json.loads(json.dumps(data, default=str)))
    _forget_citations()
    derived = derive(case)
    for vid in (violation["id"], "v9"):
        (fact,) = [f for f in derived.facts if f["kind"] == "violation" and f["violation_id"] == vid]
        assert fact["basis_paragraph__unk"] is True
        assert fact["__why"]["basis_paragraph"].startswith(f"违法行为 {vid}的处罚依据")
    assert not facts_module._basis_memo and not facts_module._tier_memo  # their reasons name their owner


@pytest.mark.parametrize(
    ("party_kind", "expected"),
    [
        ("organisation", (7000, 7000, 300, 900, True)),
        ("individual", (7000, 9000, 300, 900, True)),
    ],
)
def test_amounts_per_party_sum_each_person_and_the_party_apart(party_kind, expected):
    """Limits apply per party: each fined person's own total, the party's total, fines and
    confiscations apart (a citizen party is itself a person fined)."""
    data = json.loads(json.dumps(next(iter(generate_cases(1, 5))), default=str))
    data["party"]["kind"] = party_kind
    data["persons"] = [{"id": "p1", "role": "principal"}, {"id": "p2", "role": "principal"}]
    vids = [data["violations"][0]["id"]]
    penalties = [
        ("unit", None, "fine", 5000),
        ("unit", None, "fine", 4000),
        ("person", "p1", "fine", 3000),
        ("person", "p1", "fine", 4000),
        ("person", "p2", "fine", 6000),
        ("unit", None, "confiscation", 300),
        ("person", "p2", "confiscation", 900),
        ("person", "p1", "warning", None),
    ]
    data["decision"]["penalties"] = [
        {"target": t, "type": k, "violation_ids": vids}
        | ({"person_id": p} if p else {})
        | ({"amount": a} if a is not None else {})
        for t, p, k, a in penalties
    ]
    (fact,) = [f for f in derive(CaseFile.model_validate(data)).facts if f["kind"] == "case"]
    names = ("fine_max_per_person", "fine_max_per_citizen", "confiscation_total_unit")
    names += ("confiscation_citizen_max", "unit_penalized")
    assert tuple(fact[n] for n in names) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["valid", "suspended", "revoked"]),
    st.one_of(st.none(), st.integers(0, 40)),
    st.integers(0, 40),
    st.one_of(st.none(), st.integers(0, 40)),
    st.integers(-5, 50),
)
def test_the_valid_days_of_a_certificate_are_where_its_status_is_valid(status, since, start, end, on):
    """derive compares an act's day with a certificate's valid days inline, calling `status_on`
    only outside them: both must agree on every day."""
    span = facts_module._CertSpan(None, "officer", status, since, start, end)  # type: ignore[arg-type]
    assert (span.first_valid <= on <= span.last_valid) == (span.status_on(on) == "valid")


def test_officer_counts_of_an_act_agree_with_its_performers():
    """The act's officer counts, counted without the unsure flags for sure roles and statuses,
    agree with its performers' facts (all built: no needs), for certificates valid, expired,
    not yet valid, suspended, not in the roster or missing, of officers and of other roles."""
    roster = load_roster(ROOT / "rules" / "examples" / "roster.yaml")
    numbers = [c.number for c in roster.certificates] + ["99999999999999", ""]
    roles = ["officer", "officer", "legal_reviewer", "auxiliary"]
    rng = random.Random(22)
    checked = 0
    for data in generate_cases(30, 2207):
        data = json.loads(json.dumps(data, default=str))
        for act in data["acts"]:
            act["by"] = [
                {"name": f"人员{i}", "cert": rng.choice(numbers), "role": rng.choice(roles)}
                for i in range(rng.randint(0, 4))
            ]
        derived = derive(CaseFile.model_validate(data), roster)
        by_act: dict[str, list[dict]] = {}
        for fact in derived.facts:
            if fact["kind"] == "performer":
                by_act.setdefault(fact["fid"].split(".by[")[0], []).append(fact)
        for fact in derived.facts:
            if fact["kind"] != "act" or fact["has_unknown"]:
                continue
            people = by_act.get(fact["fid"], [])
            officers = [p for p in people if p["role"] == "officer"]
            valid = [p for p in officers if p["cert_status"] == "valid" and p.get("roster_role") == "officer"]
            unverified = [p for p in officers if p["cert_status"] in ("not_in_roster", "no_cert")]
            assert fact["n_performers"] == len(people)
            assert fact["n_officers"] == len(officers)
            assert fact["n_valid_officers"] == len(valid)
            assert fact["n_unverified_officers"] == len(unverified)
            assert fact["n_countable_officers"] == len(valid) + len(unverified)
            assert fact["n_non_officers"] == len(people) - len(officers)
            checked += 1
    assert checked > 200
