"""Parse the money and condition wording of benchmark tables (Chinese agency style).

Amounts: "2万元以上3万元以下", "处1万元", "十万元以下", "0.5万元", "1千元", "1万–2万",
"二万元以上五万元以下". Conditions: "有1处", "有5处以上", "比例在10%以上30%以下",
"从业人员100人以下", "3名以下", "有3台(套)及以上", joined by 或/且. Anything else stays text.
"""

from __future__ import annotations

import re
from typing import Any

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
UNIT = {"万": 10000, "千": 1000, "百": 100, "": 1}
CN_NUM = "[零〇一二两三四五六七八九十百千万]+"
AR_NUM = r"\d+(?:\.\d+)?"


def cn_to_int(text: str) -> int:
    """Chinese numeral (up to 万) → int: 十→10, 二十五→25, 十万→100000, 一万五千→15000."""
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch == "万":
            section = (section + digit) * 10000
            total += section
            section, digit = 0, 0
        else:
            unit = CN_UNITS[ch]
            section += (digit or 1) * unit
            digit = 0
    return total + section + digit


def normalise(text: str) -> str:
    table = str.maketrans("０１２３４５６７８９．％（）～—–－", "0123456789.%()~---")
    text = text.translate(table).replace("~", "-").replace("至", "-").replace("到", "-")
    return re.sub(r"\s+", "", text)


_MONEY = re.compile(rf"(?P<num>{AR_NUM})(?P<unit>万|千|百)?(?P<yuan>元)?|(?P<cn>{CN_NUM})(?P<cnyuan>元)")


def _money_tokens(text: str) -> list[tuple[int, int, float | None, bool]]:
    """(start, end, yuan or None when the unit is missing, has_unit) for each amount."""
    out = []
    for m in _MONEY.finditer(text):
        if m["cn"]:
            out.append((m.start(), m.end(), float(cn_to_int(m["cn"])), True))
        else:
            has_unit = bool(m["unit"] or m["yuan"])
            if not has_unit and text[m.end() : m.end() + 1] in (
                "%",
                "处",
                "人",
                "名",
                "台",
                "套",
                "项",
                "倍",
            ):
                continue
            out.append((m.start(), m.end(), float(m["num"]) * UNIT[m["unit"] or ""], has_unit))
    return out


def _yuan(value: float) -> int:
    return round(value)


def parse_amount(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """One fine expression → ({kind, ...}, None) or (None, reason)."""
    t = normalise(text)
    tokens = _money_tokens(t)
    if not tokens:
        return None, f"找不到金额：{text!r}"
    # range written "1万-2万" or "2-3万元": a unit missing on the first number takes the second's
    if len(tokens) >= 2:
        (_s1, e1, v1, u1), (s2, _e2, v2, u2) = tokens[0], tokens[1]
        between = t[e1:s2]
        if between in ("以上", "-", "元以上", "元-", "以上-") or between.endswith("以上"):
            if not u2:
                return None, f"金额缺少单位：{text!r}"
            if not u1:
                m2 = _MONEY.match(t, s2)
                v1 = v1 * UNIT[(m2["unit"] if m2 and m2["num"] else "") or ""]
            lo, hi = _yuan(v1), _yuan(v2)  # type: ignore[arg-type]
            if lo > hi:
                return None, f"下限高于上限：{text!r}"
            return {"kind": "interval", "min": lo, "max": hi}, None
    s, e, v, has_unit = tokens[0]
    if not has_unit:
        return None, f"金额缺少单位：{text!r}"
    after = t[e : e + 3]
    before = t[max(0, s - 3) : s]
    amount = _yuan(v)  # type: ignore[arg-type]
    if after.startswith(("以下", "以内")) or before.endswith(("不超过", "不高于")):
        return {"kind": "max_only", "max": amount}, None
    if after.startswith("以上"):
        return {"kind": "min_only", "min": amount}, None
    return {"kind": "fixed", "amount": amount}, None


def amount_text(amount: dict[str, Any]) -> str:
    def y(v: int) -> str:
        return f"{v / 10000:g}万元" if v >= 10000 else f"{v}元"

    kind = amount["kind"]
    if kind == "interval":
        return f"{y(amount['min'])}以上{y(amount['max'])}以下"
    if kind == "max_only":
        return f"{y(amount['max'])}以下"
    if kind == "min_only":
        return f"{y(amount['min'])}以上"
    return y(amount["amount"])


BRANCH_MARKERS = [
    ("逾期(?:未改正)?", "overdue_uncorrected"),
    ("拒不改正", "refused_correction"),
    ("拒不执行", "refused_execution"),
]
PERSON_MARKER = re.compile(
    r"对其?(?:直接负责的)?主管人员(?:和|及|或者)?(?:其他)?(?:直接责任人员)?|对(?:其他)?直接责任人员|对个人|个人"
)


def _fine_in(segment: str) -> tuple[dict[str, Any] | None, str | None]:
    """The amount in `处…罚款` of a segment (whole segment if there is no 罚款)."""
    m = re.search(r"处([^处]*?)(?:的)?罚款", segment)
    part = m.group(1) if m else segment
    return parse_amount(part)


def parse_standard(text: str, default_branch: str = "initial") -> tuple[dict[str, dict[str, Any]], list[str]]:
    """具体标准 → {branch: {unit|person: amount}} and problems."""
    t = normalise(text)
    cuts: list[tuple[int, str]] = [(0, branch_of_condition(t) or default_branch)]
    for marker, branch in BRANCH_MARKERS:
        for m in re.finditer(marker, t):
            if m.start() > 0:
                cuts.append((m.start(), branch))
    cuts.sort()
    fines: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for i, (start, branch) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(t)
        segment = t[start:end]
        if "罚款" not in segment and not _money_tokens(segment):
            continue
        person = PERSON_MARKER.search(segment)
        parts = [("unit", segment[: person.start()] if person else segment)]
        if person:
            parts.append(("person", segment[person.end() :]))
        for target, part in parts:
            if not _money_tokens(part):
                continue
            amount, problem = _fine_in(part)
            if amount is None:
                problems.append(problem or f"无法解析：{part}")
            else:
                fines.setdefault(branch, {})[target] = amount
    if not fines and not problems:
        problems.append(f"具体标准中没有罚款金额：{text!r}")
    return fines, problems


# ---------------------------------------------------------------- conditions

_NUM = rf"(?:{AR_NUM}|{CN_NUM})"
_COND_PATTERNS: list[tuple[re.Pattern[str], str, float]] = [
    (
        re.compile(rf"(?P<pre>不满|不足|低于|超过|高于)?(?P<n>{_NUM})%(?P<post>及?以上|以下|以内)?"),
        "f_affected_share",
        0.01,
    ),
    (
        re.compile(rf"(?P<pre>不满|不足|低于|超过|高于)?(?P<n>{_NUM})处(?P<post>及?以上|以下|以内)?"),
        "f_locations_count",
        1,
    ),
    (
        re.compile(
            rf"(?P<pre>不满|不足|低于|超过|高于)?(?P<n>{_NUM})(?:台\(套\)|台|套)(?P<post>及?以上|以下|以内)?"
        ),
        "f_units_count",
        1,
    ),
    (
        re.compile(rf"(?P<pre>不满|不足|低于|超过|高于)?(?P<n>{_NUM})项(?P<post>及?以上|以下|以内)?"),
        "f_duties_failed",
        1,
    ),
    (
        re.compile(rf"(?P<pre>不满|不足|低于|超过|高于)?(?P<n>{_NUM})(?:名|人)(?P<post>及?以上|以下|以内)?"),
        "PERSONS",
        1,
    ),
]
_FILLER = re.compile(
    r"有|的|其|在|比例|涉及|人数|占|用人单位|总人数|从业人员|特种作业人员|未安排专门管理人员进行现场管理|"
    r"在岗|及|和|、|,|，|;|；|\.|。|:|：|\(|\)|…|拒不改正|逾期未改正|违法行为|情形|或者|或|且|并且|同时|上岗作业|以上|以下"
)
DEFAULT_CONVENTION = {
    "以上": "inclusive",
    "以下": "inclusive",
    "以内": "inclusive",
    "不满": "exclusive",
    "超过": "exclusive",
}


def _num(text: str) -> float:
    return float(text) if re.fullmatch(AR_NUM, text) else float(cn_to_int(text))


def _clean_number(v: float) -> int | float:
    return int(v) if float(v).is_integer() else round(v, 6)


def _leaf(field: str, pre: str | None, post: str | None, value: float, convention: dict[str, str]) -> str:
    v = _clean_number(value)
    if pre in ("不满", "不足", "低于"):
        op = "<"
    elif pre in ("超过", "高于"):
        op = ">"
    elif post and post.endswith("以上"):
        op = ">=" if convention.get("以上", "inclusive") == "inclusive" or post.startswith("及") else ">"
    elif post in ("以下", "以内"):
        op = "<=" if convention.get(post, "inclusive") == "inclusive" else "<"
    else:
        op = "=="
    return f"{field} {op} {v}"


def parse_condition_parts(
    text: str, strip: str = ""
) -> tuple[list[list[tuple[str, str | None, str | None, float]]] | None, str | None]:
    """适用条件 → alternatives (或), each a list of (variable, word-before, word-after, value)
    joined by 且; or (None, reason). Empty text → ([], None). `strip` (the violation wording)
    is removed first."""
    t = normalise(text or "")
    if strip:
        t = t.replace(normalise(strip), "")
    if not t:
        return [], None
    out = []
    for alt in (a for a in re.split(r"或者|或", t) if a):
        leaves: list[tuple[str, str | None, str | None, float]] = []
        rest = alt
        for pattern, field, scale in _COND_PATTERNS:
            for m in pattern.finditer(rest):
                name = field
                if field == "PERSONS":
                    name = "f_headcount" if "从业人员" in rest[: m.start()] else "f_affected_staff"
                post = (m["post"] or "").removeprefix("及") or None
                leaves.append((name.removeprefix("f_"), m["pre"], post, _num(m["n"]) * scale))
            rest = pattern.sub("", rest)
        leftover = _FILLER.sub("", rest)
        if leftover or not leaves:
            return None, f"无法转换为条件：{text!r}（未识别：{leftover or alt!r}）"
        out.append(leaves)
    return out, None


def parse_condition_text(
    text: str, convention: dict[str, str] | None = None, strip: str = ""
) -> tuple[Any, str | None]:
    """适用条件 → (condition in the pack language, None) or (None, reason). Empty text → (None, None)."""
    convention = convention or DEFAULT_CONVENTION
    parts, why = parse_condition_parts(text, strip)
    if parts is None:
        return None, why
    if not parts:
        return None, None
    out: list[Any] = []
    for leaves in parts:
        words = [_leaf("f_" + var, pre, post, value, convention) for var, pre, post, value in leaves]
        out.append(words[0] if len(words) == 1 else {"all": words})
    return (out[0] if len(out) == 1 else {"any": out}), None


def branch_of_condition(text: str) -> str | None:
    t = normalise(text or "")
    for marker, branch in BRANCH_MARKERS:
        if re.match(marker, t):
            return branch
    return None
