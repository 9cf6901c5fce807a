"""A case page (cases/<n>.html) as HTML built in Python.

The page's frame (base.html: head, header, footer) is the same on every case page of a report
but for its title and heading: jinja2 renders it once per report with marks where the blocks go
(`frame`), and each page only fills them in. The body (facts, score cards, categories, finding
groups, checks not run, notes) is built here with one masking-and-escaping function per value
(`finding_html.text_of`), as the template `case.html` did it before issue 16, at a fraction of
the cost (`tests/test_case_page.py` renders both ways and compares them byte for byte).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from ..memo import remember
from .finding_html import Group
from .location import where
from .masking import mask as mask_text

_HOLES = ("\x01title\x01", "\x01heading\x01", "\x01body\x01")
_CHILD = (
    '{% extends "base.html" %}'
    f"{{% block title %}}{_HOLES[0]}{{% endblock %}}"
    f"{{% block heading %}}{_HOLES[1]}{{% endblock %}}"
    f"{{% block body %}}{_HOLES[2]}{{% endblock %}}"
)

Frame = tuple[str, str, str, str]  # before the title, before the heading, before the body, after it


def frame(env: SandboxedEnvironment, **values: Any) -> Frame:
    """base.html rendered with `values` (the report's meta, masking, links), cut where the title,
    the heading and the body go."""
    text = env.from_string(_CHILD).render(**values)
    parts = []
    for hole in _HOLES:
        head, found, text = text.partition(hole)
        if not found:
            raise ValueError(f"base.html: block for {hole.strip(chr(1))} missing or repeated")
        parts.append(head)
    return parts[0], parts[1], parts[2], text


def _g(x: float) -> str:
    """`"%g" | format(x)`."""
    return f"{x:g}"


def _grade(g: str, e: Callable[[Any], str]) -> str:
    """The `grade` macro: 不合格 red, the statuses 未结案 / 无法评分 neutral, other grades green."""
    cls = "grade-fail" if g == "不合格" else ("grade-none" if g in ("未结案", "无法评分") else "grade-ok")
    return f'<span class="{cls}">{e(g)}</span>'


def _bar(cat: Any) -> str:
    return str(round(100 * cat.score / cat.max, 1)) if cat.max else "0"


# (the escaping function, id of a category's score) → (that score, its row in the categories
# table). Scoring shares one frozen score object per category and points deducted across files
# (`scoring._Sheet.known`), so a page's six rows are six look-ups where building them cost
# ~2.5 µs each (four values escaped, the bar's width rounded and formatted). The score is kept
# beside its row: its id cannot be reused while the row is known.
_ROWS: dict[tuple[Callable[[Any], str], int], tuple[Any, str]] = {}
_ROWS_MAX = 4096


def _category_row(c: Any, e: Callable[[Any], str]) -> str:
    """A category's row in the categories table (`c`: a frozen `CategoryScore`)."""
    known = _ROWS.get((e, id(c)))
    if known is not None:
        return known[1]
    row = (
        f'<tr><td>{e(c.name)}</td><td class="num">{e(c.max)} 分</td><td class="num">{e(c.deducted)} 分</td>'
        f'<td class="num">{e(c.score)} 分</td><td class="noprint"><div class="bar"><span style="width: '
        f'{_bar(c)}%"></span></div></td></tr>\n'
    )
    remember(_ROWS, (e, id(c)), (c, row), _ROWS_MAX)
    return row


def page(
    frame: Frame,
    r: Any,
    *,
    file: str,
    status: str,
    found: list[Group],
    pending: list[Group],
    profile: str,
    home: str,
    e: Callable[[Any], str],
    masked: bool,
) -> str:
    """The case page of result `r`; `found` and `pending` are its finding groups (their HTML and
    number of places, `finding_html.groups_html`), `e` masks and escapes a value as the report
    does."""
    title = e(r.case_number or file)
    out = [frame[0], title, " — 案卷评查", frame[1], e(r.case_number or "无法评查的文件"), frame[2]]
    out.append(f'<nav class="toc">跳转：<a href="{e(home)}">← 返回汇总</a>')
    if found:
        out.append('<a href="#findings">发现的问题</a>')
    if pending:
        out.append('<a href="#pending">待人工评查</a>')
    out.append(
        f'</nav>\n<table class="facts">\n<tr><th>文件</th><td class="mono">{e(file)}</td></tr>\n'
        f"<tr><th>状态</th><td>{e(status)}</td></tr>\n"
    )
    if r.status == "reviewed":
        region = f"（{e(r.region)}）" if r.region else ""
        out.append(
            f"<tr><th>案由</th><td>{e(r.title)}</td></tr>\n"
            f"<tr><th>执法单位</th><td>{e(r.agency)}{region}</td></tr>\n"
            f"<tr><th>当事人</th><td>{e(r.party)}</td></tr>\n"
            f"<tr><th>程序</th><td>{e(r.procedure)}</td></tr>\n"
        )
    out.append("</table>\n\n")
    if r.status == "rejected":
        out.append(
            "<h2>无法评查（输入有误）</h2>\n"
            '<table class="rejected-errors">\n'
            "<thead><tr><th>位置</th><th>字段</th><th>原因</th></tr></thead>\n<tbody>\n"
        )
        out.extend(
            f'<tr><td class="mono">{e(where(file, x.line, x.column))}</td>'
            f'<td class="mono">{e(x.field or "")}</td><td class="rejected">{e(x.message)}</td></tr>\n'
            for x in r.errors
        )
        out.append("</tbody>\n</table>\n")
    else:
        out += _score(r.score, found, pending, profile, e, masked)
    out.append("\n")
    if r.not_run:
        out.append(
            f'<h2 id="not-run">未能进行的检查（{e(len(r.not_run))}）</h2>\n'
            '<p class="muted">以下检查因事实未载明、未提供证件台账、日历数据缺失等原因未能自动进行，'
            "不代表合格：</p>\n"
            "<table>\n<thead><tr><th>代码</th><th>检查</th><th>原因</th></tr></thead>\n<tbody>\n"
        )
        out.extend(
            f'<tr><td class="mono">{e(n.code)}</td><td>{e(n.title)}</td><td>{e(n.reason)}</td></tr>\n'
            for n in r.not_run
        )
        out.append("</tbody>\n</table>\n")
    out.append("\n")
    if r.notes:
        out.append("<h2>说明</h2>\n<ul>")
        out.extend(f"<li>{e(n)}</li>" for n in r.notes)
        out.append("</ul>\n")
    out.append(frame[3])
    return "".join(out)


# The score cards and the categories table's head, by what they show: a few hundred kinds in a
# batch (scores, grades and points deducted recur), made once each (~5 µs a page).
_CARDS: dict[tuple[Any, ...], str] = {}
_CARDS_MAX = 4096


def _cards(
    s: Any, score: str, points: str, three: str | None, profile: str, e: Callable[[Any], str], masked: bool
) -> str:
    """The score cards of score `s` (its `score`, `points` deducted in all and 三项制度执行率 `three`
    as shown) and the categories table's head."""
    out = ['<h2>得分</h2>\n<div class="cards">\n']
    if s.graded:
        out.append(
            f'  <div class="card"><div class="label">得分</div><div class="value">{e(score)}</div></div>\n'
        )
    else:  # 未结案 / 无法评分: no score to read off; the computed one only for reference, small
        out.append(
            '  <div class="card" id="score-ungraded"><div class="label">得分</div>'
            '<div class="value grade-none">—</div>'
            f'<div class="reference">参考分 {e(score)}（不评定等次）</div></div>\n'
        )
    vetoes = e("、".join(s.veto_codes) if s.vetoed else "无")
    grade = _grade(s.grade, e)
    deducted = f"{e(points)} 分"
    rate = "—" if three is None else f"{e(three)}%"
    if masked:  # a macro's output is masked once more as a whole, as the template's `finalize` did
        grade, deducted, rate = mask_text(grade), mask_text(deducted), mask_text(rate)
    # the grade holds only once a reviewer clears the open items (a veto stands regardless)
    held = '<div class="reference">暂定</div>' if s.graded and s.provisional and not s.vetoed else ""
    out.append(
        f'  <div class="card"><div class="label">等次</div><div class="value">{grade}</div>{held}</div>\n'
        f'  <div class="card"><div class="label">扣分</div><div class="value">{deducted}</div></div>\n'
        f'  <div class="card"><div class="label">否决项</div><div class="value">{vetoes}</div></div>\n'
        f'  <div class="card"><div class="label">三项制度执行率</div><div class="value">{rate}</div></div>\n'
        '  <div class="card"><div class="label">待人工评查</div>'
        f'<div class="value">{e(s.pending_review)} 项</div></div>\n'
        "</div>\n"
    )
    if s.vetoed:
        out.append(
            f'<p class="rejected">触发否决项，案卷评为“{e(s.grade)}”，得分计为 0；下列扣分项仍逐项列出。</p>'
        )
    if not s.graded:
        reason = e(s.status_reason)
        out.append(f'<p class="status-note">本案卷{e(s.grade)}。{reason}（参考分仅供参考）。</p>\n')
    elif s.provisional and not s.vetoed:  # a veto stands whatever the open items turn out to be
        n = e(s.provisional)
        out.append(
            f'<p class="muted">等次为暂定：{n} 项否决或扣分检查未能进行'
            "（事实未载明、证件无法核验、基准、法条或法定数额未载入等），待人工评查。</p>"
        )
    out.append(
        f"<h3>分项得分（{e(profile or s.profile)}）</h3>\n"
        '<table class="narrow">\n<thead><tr><th>类别</th><th class="num">满分</th><th class="num">扣分</th>'
        '<th class="num">得分</th><th class="noprint"></th></tr></thead>\n<tbody>\n'
    )
    return "".join(out)


def _score(
    s: Any,
    found: list[Group],
    pending: list[Group],
    profile: str,
    e: Callable[[Any], str],
    masked: bool,
) -> list[str]:
    """The score cards, the categories table and the finding groups of a reviewed file, in pieces
    (the page joins them once: the groups are most of its text)."""
    # the numbers as the cards show them (two equal numbers may show apart: 0.0 and -0.0)
    score, points = _g(s.score), _g(sum(c.deducted for c in s.categories))
    three = None if s.three_systems is None else "%.1f" % (s.three_systems * 100)
    key = (e, masked, profile or s.profile, s.graded, score, s.grade, s.vetoed, tuple(s.veto_codes))
    key += (points, three, s.pending_review, s.provisional, s.status_reason)
    cards = _CARDS.get(key)
    if cards is None:
        cards = remember(_CARDS, key, _cards(s, score, points, three, profile, e, masked), _CARDS_MAX)
    out = [cards]
    out.extend(_category_row(c, e) for c in s.categories)
    places = sum(n for _, n in found)
    out.append(
        "</tbody>\n</table>\n\n\n"
        f'<h2 id="findings">发现的问题（{len(found)} 条规则{f"，{places} 处" if found else ""}）</h2>\n'
        '<p class="muted">按严重程度（否决、扣分、提示）排序，同一严重程度按在案卷中的位置；'
        "同一规则的多处问题合并列出。</p>\n"
    )
    out.extend(html for html, _ in found) if found else out.append("<p>未发现问题。</p>")
    out.append(f'\n<h2 id="pending">待人工评查事项（{sum(n for _, n in pending)}）</h2>\n')
    if pending:
        out.append('<p class="muted">以下事项需要评查人员结合案卷材料判断，引擎未计分：</p>\n')
        out.extend(html for html, _ in pending)
    else:
        out.append("<p>无。</p>")
    return out
