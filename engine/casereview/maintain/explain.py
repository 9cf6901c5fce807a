"""`casereview explain CASE`: how the verdict on one case came about, step by step.

`explain_case(path, codes, book, roster)` returns a JSON-ready dict: the derived facts (with
the vocabulary's Chinese labels), for each rule each variant's condition in words evaluated
leaf by leaf on every fact of its kind, the dated parameter values chosen and why, the
working-day arithmetic, and the final verdict. `render_text` prints it for people.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..derive.calendar import WorkCalendar, default_calendar
from ..derive.facts import derive
from ..derive.unsure import WHY
from ..derive.vocabulary import CIRCUMSTANCE_PREFIX, fields_of
from ..evaluate.findings import build_findings, display
from ..evaluate.oracle import OracleEngine
from ..load import load_case
from ..model.roster import Roster
from ..packs.conditions import OP_SYMBOL, All, AnyOf, Cmp, Cond, Const, In, Not, Present, describe
from ..packs.loader import RuleBook
from ..packs.schema import SEVERITY_LABELS, VERIFICATION_LABELS
from ..packs.uncertain import UNK

KIND_LABELS = {
    "case": "案件",
    "act": "执法环节",
    "performer": "执法人员",
    "penalty": "处罚",
    "violation": "违法行为",
}


def _label(kind: str, name: str) -> str:
    spec = fields_of(kind).get(name)
    if spec:
        return spec.label
    if name.startswith(CIRCUMSTANCE_PREFIX):
        return f"情节事实 {name[len(CIRCUMSTANCE_PREFIX) :]}"
    return {"kind": "事实类型", "fid": "事实编号"}.get(name, name)


def _show(kind: str, name: str, value: Any) -> Any:
    try:
        return display(name, value, kind)
    except Exception:
        return value


def _value_text(kind: str, fact: dict[str, Any], name: str) -> str:
    if name not in fact:
        if fact.get(name + UNK) is True:
            return f"{name}=（未知：{(fact.get(WHY) or {}).get(name, '相关事实未载明')}）"
        return f"{name}=（无）"
    return f"{name}={_show(kind, name, fact[name])}"


def _safe(cond: Cond, fact: dict[str, Any]) -> tuple[bool, str | None]:
    from ..evaluate.oracle import holds

    try:
        return holds(cond, fact), None
    except Exception as exc:
        return False, str(exc)


def simplify(cond: Cond) -> Cond:
    """Flatten nested all/any and drop always-true parts of an `all` (for reading, same meaning)."""
    if isinstance(cond, All | AnyOf):
        items: list[Cond] = []
        for item in (simplify(i) for i in cond.items):
            if isinstance(item, type(cond)):
                items.extend(item.items)
            elif isinstance(cond, All) and isinstance(item, Const) and item.value:
                continue
            else:
                items.append(item)
        if not items:
            return Const(isinstance(cond, All))
        return items[0] if len(items) == 1 else type(cond)(tuple(items))
    if isinstance(cond, Not):
        return Not(simplify(cond.item))
    return cond


def words(cond: Cond, kind: str | None = None) -> str:
    """`describe` with dates shown as dates (facts store them as ordinal days)."""
    if isinstance(cond, Cmp) and cond.ref is None and isinstance(cond.value, int) and kind:
        spec = fields_of(kind).get(cond.field)
        if spec and spec.type == "date":
            return f"{cond.field} {OP_SYMBOL[cond.op]} {dt.date.fromordinal(cond.value).isoformat()}"
    if isinstance(cond, All | AnyOf):
        joiner = " 且 " if isinstance(cond, All) else " 或 "
        return "(" + joiner.join(words(i, kind) for i in cond.items) + ")"
    if isinstance(cond, Not):
        return f"非 {words(cond.item, kind)}"
    return describe(cond)


def trace(cond: Cond, fact: dict[str, Any], kind: str) -> dict[str, Any]:
    """The condition tree with each node's result and, at the leaves, the actual values."""
    result, error = _safe(cond, fact)
    node: dict[str, Any] = {"text": words(cond, kind), "result": result}
    if error:
        node["error"] = error
    if isinstance(cond, All | AnyOf):
        node["op"] = "all" if isinstance(cond, All) else "any"
        node["children"] = [trace(item, fact, kind) for item in cond.items]
    elif isinstance(cond, Not):
        node["op"] = "not"
        node["children"] = [trace(cond.item, fact, kind)]
    else:
        node["op"] = "leaf"
        names: list[str] = []
        if isinstance(cond, Cmp | In | Present):
            names.append(cond.field)
        if isinstance(cond, Cmp) and cond.ref:
            names.append(cond.ref.field)
        node["values"] = {n: (_show(kind, n, fact[n]) if n in fact else None) for n in names}
        node["values_text"] = "，".join(_value_text(kind, fact, n) for n in names) or "—"
        if isinstance(cond, Cmp) and cond.ref and cond.ref.field in fact and cond.field in fact:
            try:
                right = fact[cond.ref.field] * cond.ref.times + cond.ref.plus
                node["values_text"] += f"（右边计算得 {right:g}）"
            except TypeError:
                pass
        if isinstance(cond, Const):
            node["values_text"] = "—"
    return node


def _parameters(
    book: RuleBook, pack_id: str, names: tuple[str, ...], fact: dict[str, Any], kind: str
) -> list[dict[str, Any]]:
    out = []
    params = book.parameters
    for name in dict.fromkeys(names):
        param = params.get(name)
        if param is None:
            continue
        day = fact.get(param.date_field)
        entry: dict[str, Any] = {
            "name": name,
            "description": param.description,
            "unit": param.unit,
            "date_field": param.date_field,
            "date_label": _label(kind, param.date_field),
            "date": dt.date.fromordinal(day).isoformat() if isinstance(day, int) else None,
            "periods": [],
        }
        chosen = None
        selected = param.entry_for(fact)
        for value, end in param.periods():
            start = value.since
            period = {
                "from": start.isoformat() if start else None,
                "before": end.isoformat() if end else None,
                "value": value.value,
                "regions": value.regions,
                "basis": [b.cite() for b in value.basis],
                "note": value.note,
            }
            entry["periods"].append(period)
            if value is selected:
                chosen = period
        entry["chosen"] = chosen
        if chosen is None:
            entry["why"] = (
                f"{entry['date_label']}缺失，无法选取参数值（条件不成立）"
                if entry["date"] is None
                else f"{entry['date']} 或执法机关所在地区没有载入的取值（规则给出待人工评查事项）"
            )
        else:
            span = f"{chosen['from'] or '最早'} 起" + (
                f"、{chosen['before']} 前" if chosen["before"] else "至今"
            )
            value = (
                "未载入（法定数额未核实）"
                if chosen["value"] is None
                else f"{chosen['value']}{param.unit or ''}"
            )
            entry["why"] = (
                f"按{entry['date_label']}（{param.date_field}）{entry['date']} 取 {span}的取值 "
                f"{value}，依据 {'；'.join(chosen['basis'])}"
            )
        out.append(entry)
    return out


def _workday_trace(case: Any, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """Recompute the working-day counts derive() puts on the case fact, showing the dates used."""
    acts: dict[str, Any] = {}
    # only exact dates are traced: an unknown or partial date is shown among the facts (__unk)
    dated = [a for a in case.acts_list if isinstance(a.on, dt.date)]
    for act in sorted(dated, key=lambda a: a.on):
        acts.setdefault(act.kind.value, act)
    decision = case.decision_record
    decided = decision.decided_on if decision and isinstance(decision.decided_on, dt.date) else None
    opened = case.case.opened_on if isinstance(case.case.opened_on, dt.date) else None

    def on(kind: str) -> dt.date | None:
        return acts[kind].on if kind in acts else None

    specs = [
        ("hearing_request_workdays", "告知", on("notice"), "听证申请", on("hearing_request"), "workdays"),
        ("notice_decision_workdays", "告知", on("notice"), "决定", decided, "workdays"),
        ("service_workdays", "决定", decided, "送达", on("service"), "workdays"),
        ("publicity_workdays", "决定", decided, "公示", on("publicity"), "workdays"),
        (
            "preservation_decision_workdays",
            "登记保存",
            on("preservation"),
            "处理决定",
            on("preservation_decision"),
            "workdays",
        ),
        ("hearing_notice_gap_workdays", "听证通知", on("hearing_notification"), "听证", on("hearing"), "gap"),
        ("decision_natural_days", "立案", opened, "决定", decided, "natural"),
    ]
    method_text = {
        "workdays": "工作日数（起算日不计入，法定节假日与周末不计，调休上班日计入）",
        "gap": "两日之间的工作日数（不含两端）",
        "natural": "自然日数（期限末日为节假日的顺延至节假日后第一个工作日）",
    }
    out = []
    for name, start_label, start, end_label, end, method in specs:
        if start is None or end is None:
            continue
        if method == "workdays":
            if end < start:
                continue
            count = calendar.workdays_between(start, end)
        elif method == "gap":
            count = calendar.gap_workdays_strict(start, end)
        else:
            count = calendar.natural_days_effective(start, end)
        out.append(
            {
                "field": name,
                "label": fields_of("case")[name].label,
                "from": f"{start_label} {start.isoformat()}",
                "to": f"{end_label} {end.isoformat()}",
                "method": method_text[method],
                "count": count.days,
                "calendar_note": count.note or f"按官方日历计算（{calendar.data_source}）",
            }
        )
    return out


def applicable(cond: Cond, fact: dict[str, Any]) -> bool:
    """Whether a (simplified) variant concerns this fact: every top-level equality / `in` test —
    the table row's identity (item, clause, branch, target) — holds; range and amount tests may fail."""
    items = cond.items if isinstance(cond, All) else (cond,)
    for item in items:
        identity = (isinstance(item, Cmp) and item.op == "eq" and item.ref is None) or isinstance(item, In)
        if identity and not _safe(item, fact)[0]:
            return False
    return True


def explain_case(
    path: Path,
    codes: list[str] | None,
    book: RuleBook,
    roster: Roster | None = None,
    calendar: WorkCalendar | None = None,
    full: bool = False,
) -> dict[str, Any]:
    """Trace of the verdict for one case file; `codes=None` explains every rule.

    For a rule expanded from a table, variants whose row identity does not match a fact (another
    benchmark item, clause, branch or target) are counted, not traced, unless `full`."""
    calendar = calendar or default_calendar()
    case, source = load_case(path)
    derived = derive(case, roster, calendar, book.tables)
    unknown = [c for c in codes or [] if c not in book.rules]
    if unknown:
        raise KeyError(f"没有规则 {', '.join(unknown)}")
    selected = sorted(codes) if codes else sorted(book.rules)
    variants = [v for v in book.compiled if v.code in selected]
    result = OracleEngine(variants).evaluate(derived.facts)
    findings = build_findings(
        book, result, derived.facts, derived.sources, str(path), source.locate, acts=derived.acts
    )

    facts_out = []
    for fact in derived.facts:
        kind = fact["kind"]
        facts_out.append(
            {
                "kind": kind,
                "kind_label": KIND_LABELS.get(kind, kind),
                "fid": fact["fid"],
                "source": derived.sources.get(fact["fid"], fact["fid"]),
                "fields": [
                    {"field": k, "label": _label(kind, k), "value": _show(kind, k, v)}
                    for k, v in fact.items()
                    if k not in ("kind", "fid", "__why") and not (k.endswith("__unk") and v is False)
                ],
            }
        )

    rules_out = []
    for code in selected:
        definition = book.rules[code]
        rule = definition.rule
        facts = [f for f in derived.facts if f["kind"] == rule.applies_to]
        rule_findings = [f for f in findings if f.code == code]
        variants_out = []
        omitted = 0
        expanded = len(definition.variants) > 1
        for variant in definition.variants:
            per_fact = []
            readable = simplify(variant.when)
            for fact in facts:
                if expanded and not full and not applicable(readable, fact):
                    omitted += 1
                    continue
                node = trace(readable, fact, rule.applies_to)
                per_fact.append(
                    {
                        "fid": fact["fid"],
                        "source": derived.sources.get(fact["fid"], fact["fid"]),
                        "result": node["result"],
                        "trace": node,
                        "parameters": _parameters(
                            book,
                            definition.pack_id,
                            variant.context.get("_params", ()),
                            fact,
                            rule.applies_to,
                        ),
                    }
                )
            if expanded and not full and not per_fact:
                continue
            variants_out.append(
                {
                    "rule_id": variant.rule_id,
                    "condition": words(readable, rule.applies_to),
                    "context": {k: v for k, v in variant.context.items() if not k.startswith("_")},
                    "facts": per_fact,
                }
            )
        rules_out.append(
            {
                "code": code,
                "title": rule.title,
                "severity": rule.severity,
                "severity_label": SEVERITY_LABELS[rule.severity],
                "applies_to": rule.applies_to,
                "applies_to_label": KIND_LABELS.get(rule.applies_to, rule.applies_to),
                "basis": [
                    {"cite": b.cite(), "verification": VERIFICATION_LABELS[b.verification], "quote": b.quote}
                    for b in rule.basis
                ],
                "n_facts": len(facts),
                "n_variants": len(definition.variants),
                "variants": variants_out,
                "omitted": omitted,
                "fired": bool(rule_findings),
                "verdict": (
                    f"触发（{SEVERITY_LABELS[rule.severity]}）{len(rule_findings)} 处"
                    if rule_findings
                    else ("未触发：案卷没有此类事实" if not facts else "未触发：没有事实满足条件")
                ),
                "findings": [f.model_dump(mode="json") for f in rule_findings],
            }
        )
    return {
        "file": str(path),
        "case_number": case.case.number,
        "title": case.case.title,
        "rules_version": book.version,
        "notes": [*source.notes, *derived.notes, *result.notes],
        "errors": list(result.errors),
        "facts": facts_out,
        "workdays": _workday_trace(case, calendar),
        "rules": rules_out,
    }


# ---------------------------------------------------------------- text


def _tree_lines(node: dict[str, Any], depth: int) -> list[str]:
    mark = "✔" if node["result"] else "✘"
    pad = "  " * depth
    if node["op"] == "leaf":
        line = f"{pad}{mark} {node['text']}　实际：{node['values_text']}"
        if node.get("error"):
            line += f"　出错：{node['error']}"
        return [line]
    head = {"all": "以下全部成立", "any": "以下任一成立", "not": "以下不成立"}[node["op"]]
    lines = [f"{pad}{mark} {head}："]
    for child in node["children"]:
        lines += _tree_lines(child, depth + 1)
    return lines


def render_text(data: dict[str, Any], show_facts: bool = True, only_relevant: bool = False) -> str:
    """Verdict first (each rule: fired or not, and its conditions), then the condition-by-condition
    trace per fact, then the derived facts and the deadline arithmetic they rest on."""
    out = [f"案卷 {data['file']}　{data.get('case_number') or ''} {data.get('title') or ''}".rstrip()]
    out.append(f"规则版本 {data['rules_version']}")
    for note in data["notes"]:
        out.append(f"注：{note}")
    out.append("")
    out.append("一、结论")
    for rule in data["rules"]:
        out.append(f"■ {rule['code']} {rule['title']}（{rule['severity_label']}）：{rule['verdict']}")
        for finding in rule["findings"]:
            loc = finding["location"]
            where = f"{loc['field']}" + (f"，第 {loc['line']} 行" if loc.get("line") else "")
            out.append(f"    → {finding['message']}（{where}）")
        met = [v for v in rule["variants"] if any(f["result"] for f in v["facts"])]
        conditions = list(dict.fromkeys(v["condition"] for v in met or rule["variants"]))
        if conditions:
            label = "成立的条件" if met else "条件"
            out.append(f"  {label}：{conditions[0]}")
            others = len(rule["variants"]) - 1
            if others > 0:
                out.append(f"  （共 {len(rule['variants'])} 个表格变体，逐项核对见下文）")
        for b in rule["basis"]:
            out.append(f"  依据：{b['cite']}" + (f"「{b['quote']}」" if b["quote"] else ""))
    out.append("")
    out.append("二、条件逐项核对")
    for rule in data["rules"]:
        out.append(
            f"■ {rule['code']} {rule['title']}"
            f"（适用于{rule['applies_to_label']}事实，共 {rule['n_facts']} 个）"
        )
        for variant in rule["variants"]:
            if only_relevant and len(rule["variants"]) > 1 and not any(f["result"] for f in variant["facts"]):
                continue
            out.append(f"  变体 {variant['rule_id']}")
            out.append(f"  条件：{variant['condition']}")
            if variant["context"]:
                out.append("  表格取值：" + "，".join(f"{k}={v}" for k, v in variant["context"].items()))
            for f in variant["facts"]:
                out.append(f"  · 事实 {f['fid']}（{f['source']}）：{'成立' if f['result'] else '不成立'}")
                for p in f["parameters"]:
                    out.append(f"    参数 ${p['name']}（{p['description']}）：{p['why']}")
                out += _tree_lines(f["trace"], 3)
        if rule.get("omitted"):
            out.append(
                f"  （另有 {rule['omitted']} 个「变体×事实」组合未列出："
                "表格行的事项、条款、情形或对象与该事实不符；--full 可全部列出）"
            )
        out.append("")
    if show_facts:
        out.append("三、推导出的事实")
        for fact in data["facts"]:
            out.append(f"【{fact['kind_label']}】{fact['fid']}（来源：{fact['source']}）")
            for f in fact["fields"]:
                out.append(f"    {f['label']}（{f['field']}）：{f['value']}")
    if data["workdays"]:
        out.append("")
        out.append("四、期限计算")
        for w in data["workdays"]:
            out.append(
                f"  {w['label']}（{w['field']}）：{w['from']} → {w['to']}，"
                f"{w['method']}，共 {w['count']} 日；{w['calendar_note']}"
            )
    return "\n".join(out).rstrip() + "\n"
