"""Generated boundary probes for every dated value: no period's value can change unnoticed.

For every parameter a rule compares with (`field op $param`) and every period of it (and region),
probes at the pinned value, one above and one below, on the first and last day of the period,
run through the condition the packs compile to, on both engines; the expected outcome comes from
`tests/data/dated_values.yaml`, not from the packs. Likewise for every rule's effective period and
every statute table's period in force (by the day the violation ended). Changing a value, a date
or a region in `rules/` fails here until the pin is updated on purpose (and reviewed).
"""

from __future__ import annotations

import datetime as dt
import operator
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "engine") not in sys.path:
    sys.path.insert(0, str(ROOT / "engine"))

from casereview.derive.vocabulary import DEFAULT_DATE_FIELD, fields_of  # noqa: E402
from casereview.evaluate.durable_engine import DurableEngine  # noqa: E402
from casereview.evaluate.oracle import OracleEngine  # noqa: E402
from casereview.packs.compile import param_condition  # noqa: E402
from casereview.packs.compiled import CompiledRule  # noqa: E402
from casereview.packs.conditions import All, Const, parse_condition  # noqa: E402
from casereview.packs.loader import RuleBook, load_rulebook  # noqa: E402

PINS = ROOT / "tests" / "data" / "dated_values.yaml"
OPS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le, "eq": operator.eq}
ONE = dt.timedelta(days=1)


# ---------------------------------------------------------------- what the packs say now


def dated_values(book: RuleBook) -> dict[str, Any]:
    """Every dated value of the book, in the pin file's shape."""
    params = {
        name: [
            {"from": str(v.since) if v.since else None, "regions": v.regions, "value": v.value}
            for v in param.values
        ]
        for name, param in sorted(book.parameters.items())
    }
    effective = {
        code: {
            "from": str(d.rule.effective.since) if d.rule.effective.since else None,
            "to": str(d.rule.effective.until) if d.rule.effective.until else None,
        }
        for code, d in sorted(book.rules.items())
        if d.rule.effective.since or d.rule.effective.until
    }
    statutes = {
        t.id: {
            "from": str(t.in_force),
            "to": str(t.in_force_until) if getattr(t, "in_force_until", None) else None,
        }
        for t in sorted(book.tables.of("statute"), key=lambda t: t.id)
    }
    return {"parameters": params, "effective": effective, "statutes": statutes}


def usages(book: RuleBook) -> set[tuple[str, str, str, str]]:
    """(parameter, field, op, fact kind) for every `field op $param` in a rule."""
    found: set[tuple[str, str, str, str]] = set()
    for definition in book.rules.values():
        rule = definition.rule

        def capture(field: str, op: str, name: str, kind: str = rule.applies_to) -> Any:
            found.add((name, field, op, kind))
            return Const(True)

        parse_condition(rule.when, is_field=lambda _n: True, resolve_param=capture)
    return found


# ---------------------------------------------------------------- probes from the pins


def _region_fact(regions: list[str] | None) -> dict[str, str]:
    if not regions:
        return {"province": "11", "agency_region": "110101"}
    code = regions[0]
    return {"province": code[:2], "agency_region": code if len(code) == 6 else f"{code}0101"}


def _days_of(start: str | None, nxt: str | None) -> list[dt.date]:
    first = dt.date.fromisoformat(start) if start else dt.date(2000, 1, 1)
    last = dt.date.fromisoformat(nxt) - ONE if nxt else first + dt.timedelta(days=400)
    return sorted({first, last})


def _pinned(entries: list[dict[str, Any]], day: dt.date, region: dict[str, str]) -> Any:
    """The pinned value in force on `day` for an agency in `region`: of the entries whose period
    holds the day, one naming the area, else the province, else one for all regions; MISSING:
    the pins hold none."""
    found: dict[int, Any] = {}
    for i, entry in enumerate(entries):
        regions = entry["regions"]
        if not regions:
            rank = 2
        elif region["agency_region"] in regions:
            rank = 0
        elif region["province"] in regions:
            rank = 1
        else:
            continue
        group = [e for e in entries[i + 1 :] if e["regions"] == regions]
        start = dt.date.fromisoformat(entry["from"]) if entry["from"] else dt.date.min
        end = dt.date.fromisoformat(group[0]["from"]) if group else dt.date.max
        if start <= day < end:
            found.setdefault(rank, entry["value"])
    return found[min(found)] if found else MISSING


MISSING = object()


def parameter_probes(book: RuleBook, pins: dict[str, Any]):
    """(probe rules, facts, expected (rule_id, fid, undecided) matches): a pinned value decides
    the comparison; a day or region the pins hold no value for (or `value: null`) gives only the
    review form (a 待人工评查 item), whatever the compared number."""
    rules, facts, expected = [], [], set()
    for name, field, op, kind in sorted(usages(book)):
        param = book.parameters[name]
        rule_id = f"PROBE#{name}#{field}#{op}#{kind}"
        cond = param_condition(param, name, field, op, fields_of(kind)[field])
        rules.append(CompiledRule(rule_id, "PROBE", kind, cond, parameters=((name, param),)))
        entries = pins["parameters"].get(name, [])
        for i, entry in enumerate(entries):
            group = [e for e in entries[i + 1 :] if e["regions"] == entry["regions"]]
            nxt = group[0]["from"] if group else None
            first = dt.date.fromisoformat(entry["from"]) if entry["from"] else dt.date(2000, 1, 1)
            days = [*_days_of(entry["from"], nxt), first - ONE]  # and the day before: another period or none
            places = [_region_fact(entry["regions"])] + ([_region_fact(None)] if entry["regions"] else [])
            for day in days:
                for place in places:
                    value = _pinned(entries, day, place)
                    if value is None or value is MISSING:
                        samples = [(0, None), (10**9, None)]  # no value: review whatever the number
                    else:
                        step = 1 if isinstance(value, int) else 0.01
                        samples = [(v, OPS[op](v, value)) for v in (value - step, value, value + step)]
                    for x, hit in samples:
                        fid = f"{rule_id}@{day}@{x}@{place['agency_region']}"
                        facts.append(
                            {"kind": kind, "fid": fid, param.date_field: day.toordinal(), field: x, **place}
                        )
                        if hit is None:
                            expected.add((rule_id, fid, True))
                        elif hit:
                            expected.add((rule_id, fid, False))
    return rules, facts, expected


def effective_probes(book: RuleBook, pins: dict[str, Any]):
    from casereview.derive.vocabulary import fields_of
    from casereview.packs.compile import rule_scope

    rules, facts, expected = [], [], set()
    for code, period in sorted(pins["effective"].items()):
        definition = book.rules.get(code)
        if definition is None:
            continue
        rule = definition.rule
        kind = rule.applies_to
        date_field = rule.effective.date_field or DEFAULT_DATE_FIELD[kind]
        rule_id = f"PROBE-EFF#{code}"
        rules.append(CompiledRule(rule_id, "PROBE", kind, All(tuple(rule_scope(rule, fields_of(kind))))))
        days = []
        if period["from"]:
            start = dt.date.fromisoformat(period["from"])
            days += [(start - ONE, False), (start, True)]
        if period["to"]:
            end = dt.date.fromisoformat(period["to"])
            days += [(end, True), (end + ONE, False)]
        procedure = sorted(p.value for p in rule.procedures)[0]
        for day, hit in days:
            fid = f"{rule_id}@{day}"
            facts.append({"kind": kind, "fid": fid, date_field: day.toordinal(), "procedure": procedure})
            if hit:
                expected.add((rule_id, fid, False))
    return rules, facts, expected


def statute_probes(book: RuleBook, pins: dict[str, Any]):
    from casereview.packs.tables.statute import law_match

    rules, facts, expected = [], [], set()
    for table in book.tables.of("statute"):
        rule_id = f"PROBE-LAW#{table.id}"
        rules.append(CompiledRule(rule_id, "PROBE", "penalty", law_match(table)))
        period = pins["statutes"][table.id]
        start = dt.date.fromisoformat(period["from"])
        days = [(start - ONE, False), (start, True)]
        if period["to"]:
            end = dt.date.fromisoformat(period["to"])
            days += [(end, True), (end + ONE, False)]
        for day, hit in days:
            fid = f"{rule_id}@{day}"
            facts.append(
                {
                    "kind": "penalty",
                    "fid": fid,
                    "basis_law": table.law,
                    "basis_version_stated": False,
                    "committed_on": day.toordinal(),
                    "ended_on": day.toordinal(),
                }
            )
            if hit:
                expected.add((rule_id, fid, False))
    return rules, facts, expected


def probe_failures(book: RuleBook, engine_name: str) -> list[str]:
    """Probes whose outcome on `engine_name` differs from what the pins say."""
    pins = yaml.safe_load(PINS.read_text(encoding="utf-8"))
    rules, facts, expected = [], [], set()
    for make in (parameter_probes, effective_probes, statute_probes):
        r, f, e = make(book, pins)
        rules += r
        facts += f
        expected |= e
    engine = OracleEngine(rules) if engine_name == "oracle" else DurableEngine(rules)
    got = {(m.rule_id, m.fid, m.undecided) for m in engine.evaluate(facts).matches}
    probed = {r.rule_id for r in rules}
    got = {(rule, fid, u) for rule, fid, u in got if fid.startswith(rule + "@") and rule in probed}
    # a fact another probe's missing value made uncertain shows both forms where the rule holds:
    # findings keep the decided one (evaluate/findings.py)
    got -= {(rule, fid, True) for rule, fid, u in got if not u}
    return sorted(
        f"{'多' if x in got else '缺'} {x[1]}{'（待人工评查）' if x[2] else ''}" for x in got ^ expected
    )


# ---------------------------------------------------------------- tests


def test_pins_are_the_packs_dated_values(book):
    """A changed, added or removed dated value must be pinned on purpose (update the pin file)."""
    pins = yaml.safe_load(PINS.read_text(encoding="utf-8"))
    assert dated_values(book) == pins, (
        "带日期的法定数值与 tests/data/dated_values.yaml 不一致：确认修改后更新该文件"
    )


def test_the_probed_parameters_include_every_kind_of_limit(book):
    names = {u[0] for u in usages(book)}
    assert {
        "simple_max_org",
        "hearing_line_org",
        "review_line_org",
        "decision_limit_days",
        "decision_extension_upper_max_days",
        "service_limit",
        "limitation_months",
    } <= names


@pytest.mark.parametrize("engine_name", ["oracle", "durable"])
def test_boundary_probes(book, engine_name):
    assert probe_failures(book, engine_name) == []


def test_a_changed_dated_value_fails_a_probe(edited_rules):
    """The 2026-02-01 service limit 7 → 8 working days (quoted text still 七日): a probe fails on
    both engines, and pack loading refuses it too (its quote says 七日)."""
    old = "      - from: 2026-02-01\n        value: 7\n"
    root = edited_rules("procedure", "  service_limit:", old, old.replace("value: 7", "value: 8"))
    from casereview.packs.loader import PackError

    with pytest.raises(PackError, match="service_limit"):
        load_rulebook(root)
    # with the quote check waived, the probes still catch it
    waived = "        value: 8\n        text_waiver: 测试\n"
    edited_rules("procedure", "  service_limit:", "        value: 8\n", waived)
    book = load_rulebook(root)
    for engine_name in ("oracle", "durable"):
        failures = probe_failures(book, engine_name)
        assert failures and all("service_limit" in f for f in failures), failures


def test_a_changed_period_start_fails_a_probe(edited_rules):
    """The unverified 180-day cap ends 2026-01-31 (2026 办法 not obtained): moving the start of the
    unknown period makes the old value apply in February 2026, and a probe says so."""
    root = edited_rules(
        "procedure",
        "  decision_extension_upper_max_days:",
        "      - from: 2026-02-01\n",
        "      - from: 2026-03-01\n",
    )
    book = load_rulebook(root)
    assert dated_values(book) != yaml.safe_load(PINS.read_text(encoding="utf-8"))
    failures = probe_failures(book, "oracle")
    assert failures and all("decision_extension_upper_max_days" in f for f in failures), failures


if __name__ == "__main__":  # `python tests/test_dated_probes.py --update`: pin the packs' current values
    if sys.argv[1:] != ["--update"]:
        sys.exit(
            "usage: python tests/test_dated_probes.py --update   (rewrites tests/data/dated_values.yaml)"
        )
    header = "".join(PINS.read_text(encoding="utf-8").splitlines(True)[:3])
    values = dated_values(load_rulebook())
    PINS.write_text(
        header + yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8"
    )
    print(f"已更新 {PINS}")
