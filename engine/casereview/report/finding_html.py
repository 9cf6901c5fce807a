"""A case page's finding groups (one rule's findings each) as HTML built in Python from the
result, rather than by a template macro.

A case page shows a few hundred values, most of them in its finding groups (each place's values
and the case file's lines around it). Through the template each value cost three Python calls
(attribute lookup, finalize, escape) and each group a macro call: ~1 ms per page, a third of a
file's review. Here the findings are grouped and written out in one pass (no group, place or
excerpt records in between) and each value is masked and escaped by one function (the escaping
one C call): the same HTML as the macro (`tests/test_case_page.py` renders both ways and
compares them) in a fraction of the time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from ..packs.schema import SEVERITY_RANK
from .labels import value_label
from .location import where
from .masking import mask as mask_text

try:  # markupsafe's C escaper without the Markup object around its result (~10× faster)
    from markupsafe import _escape_inner as _escape
except ImportError:  # another markupsafe version: the public, slower way

    def _escape(text: str) -> str:
        return str(escape(text))


class Fragment(Markup):
    """HTML built here from escaped and masked values: the report's `finalize` passes it as is."""

    __slots__ = ()


def _shown(value: Any) -> str:
    """A value as `{{ value }}` shows it without masking: None as nothing, escaped."""
    return "" if value is None else _escape(value if value.__class__ is str else str(value))


# a text → its HTML, masked: most texts of a page are on other pages too (rule messages and
# legal bases, the case files' lines shown around a finding), and the candidate search that
# masking starts with costs ~1-2 µs a text where a look-up costs ~0.1
_MASKED: dict[str, str] = {}
_MASKED_MAX = 16_384  # texts kept (a few MB at most)
_MASKED_LONGEST = 400  # characters of a text worth keeping


def _masked(value: Any) -> str:
    """A value as `{{ value }}` shows it with masking (the report's `finalize`), escaped."""
    if value.__class__ is str:
        if len(value) < 11:  # shorter: nothing to mask
            return _escape(value)
        html = _MASKED.get(value)
        if html is None:
            html = _escape(mask_text(value))
            if len(value) <= _MASKED_LONGEST:
                if len(_MASKED) >= _MASKED_MAX:
                    _MASKED.clear()
                _MASKED[value] = html
        return html
    if value.__class__ is int:  # line numbers: digits and a sign, nothing to escape
        text = str(value)
        return text if len(text) < 11 else mask_text(text)
    return "" if value is None else _escape(mask_text(str(value)))


def text_of(mask: bool) -> Callable[[Any], str]:
    """What `{{ value }}` shows of a value, escaped: masked unless masking is off. (Masking value
    by value is cheaper than looking for a personal number in the whole HTML once: most values
    are shorter than one.)"""
    return _masked if mask else _shown


EXCERPT_CONTEXT = 2  # lines shown before and after a finding's line
_WAIVED = ' <span class="sev sev-waived">已豁免</span>'
Group = tuple[Fragment, int]  # a group's HTML, its number of places


def groups_html(
    result: Any, labels: dict[str, str], display: Callable[[str], str], lines: list[str] | None, mask: bool
) -> tuple[list[Group], list[Group]]:
    """The finding groups of `result`, found and pending (severity review): its findings grouped
    by rule, the groups ordered by severity, then by their first place in the file, then by
    code; a group's places by line and field. A group shows its rule as its first finding gives
    it, one message when all its places have the same, and is waived when all its places are.
    `labels` names the facts of a finding's values, `display` shows a file's name, `lines` are
    the case file's (None: no excerpts)."""
    by_code: dict[str, list[Any]] = {}
    for f in result.findings:
        same = by_code.get(f.code)
        if same is None:
            by_code[f.code] = [f]
        else:
            same.append(f)
    order = []
    for places in by_code.values():
        first = places[0]
        if len(places) > 1:
            places.sort(key=_place_order)
        key = (-SEVERITY_RANK.get(first.severity, 0), places[0].location.line or 10**9, first.code)
        order.append((key, first, places))
    order.sort(key=_first)
    categories = {c.id: c.name for c in result.score.categories} if result.score else {}
    _e = text_of(mask)
    names = _names_shown(labels, _e)
    found: list[Group] = []
    pending: list[Group] = []
    for _, first, places in order:
        html = _group(
            first, places, categories.get(first.category, first.category), names, display, lines, _e
        )
        (pending if first.severity == "review" else found).append((html, len(places)))
    return found, pending


def _where(loc: Any, display: Callable[[str], str], _e: Callable[[Any], str]) -> str:
    """`_e(where(display(loc.file), loc.line, loc.column))`, the file's part shown once for all
    its places: ":line:column" never changes what masking does to the file's name before it (a
    personal number has no ":" in it, nor 11 digits in one number) and needs no escaping. Saves
    a candidate search per place on a text no other place has."""
    line, column = loc.line, loc.column
    plain = line is None or (line.__class__ is int and 0 <= line < 10**10)
    if plain and (column is None or (column.__class__ is int and 0 <= column < 10**10)):
        file = display(loc.file)
        last = _LAST_FILE
        if last[0] != file or last[1] is not _e:
            last[:] = file, _e, _e(file)
        return last[2] + (f":{line}:{column}" if column else f":{line}") if line else last[2]
    return _e(where(display(loc.file), line, column))


_LAST_FILE: list[Any] = [None, None, ""]  # the file last shown (`_where`), how, its HTML


class _Names(dict[str, str]):
    """A value's name → the HTML of its label (`labels`, shown by `_e`), made on first use: a
    page shows ~40 values, named from a few dozen facts."""

    __slots__ = ("e", "labels")

    def __init__(self, labels: dict[str, str], _e: Callable[[Any], str]):
        super().__init__()
        self.labels, self.e = labels, _e

    def __missing__(self, name: str) -> str:
        if len(self) >= 4096:  # names come from the rule book: never reached, but bounded
            self.clear()
        labels = self.labels
        html = self[name] = self.e(labels[name] if name in labels else value_label(name, labels))
        return html


_NAMES: list[_Names] = []  # the labels last shown, how, and their HTML (`_names_shown`)


def _names_shown(labels: dict[str, str], _e: Callable[[Any], str]) -> _Names:
    if _NAMES and _NAMES[0].labels is labels and _NAMES[0].e is _e:
        return _NAMES[0]
    _NAMES[:] = [_Names(labels, _e)]
    return _NAMES[0]


def _place_order(finding: Any) -> tuple[int, str]:
    return finding.location.line or 10**9, finding.location.field


def _first(item: tuple[Any, ...]) -> Any:
    return item[0]


def _group(
    first: Any,
    places: list[Any],
    category: Any,
    names: _Names,
    display: Callable[[str], str],
    lines: list[str] | None,
    _e: Callable[[Any], str],
) -> Fragment:
    """The <section> of one rule's findings (`places`, sorted; `first`: the rule's first)."""
    if len(places) > 1:
        messages = {f.message for f in places}
        message = messages.pop() if len(messages) == 1 else None
        waived = all(f.waiver for f in places)
        count = f"；{len(places)} 处"
    else:
        message, waived, count = first.message, bool(first.waiver), ""
    severity, code = _e(first.severity), _e(first.code)
    out = [
        f'<section class="finding {severity}{" waived" if waived else ""}" id="rule-{code}">\n'
        f'  <div class="head"><span class="sev sev-{severity}">{_e(first.severity_label)}</span>'
        f"{_WAIVED if waived else ''} <code>{code}</code> <strong>{_e(first.title)}</strong> "
        f'<span class="muted">（{_e(category)}{count}）</span></div>\n'
    ]
    if message:
        out.append(f'<div class="message">{_e(message)}</div>')
    if first.basis:
        out.append(f'<div class="basis">依据：{_e("；".join(first.basis))}</div>')
    out.append('  <ol class="places">\n')
    last_line = len(lines) if lines else 0
    for f in places:
        loc = f.location
        line = loc.line
        shown_line = line if line.__class__ is int and 0 < line < 10**10 else _e(line or "?")  # no ID
        out.append(
            f'    <li>\n      <div class="where">第 {shown_line} 行 '
            f'<span class="mono">{_e(loc.field)}</span> '
            f'<span class="muted">（{_where(loc, display, _e)}）</span></div>\n'
        )
        if not message:
            out.append(f'<div class="message">{_e(f.message)}</div>')
        if f.values:
            out.append('<div class="values">')
            out.extend(
                f'<span class="value"><span class="k">{names[k]}</span>：{_e(v)}</span>'
                for k, v in f.values.items()
            )
            out.append("</div>")
        shown = (
            range(max(1, line - EXCERPT_CONTEXT), min(last_line, line + EXCERPT_CONTEXT) + 1) if line else ()
        )
        if shown and line <= last_line:
            assert lines is not None
            out.append('<pre class="excerpt">')
            out.extend(
                # a line's number has fewer than 11 digits: nothing to mask or escape
                f'<span class="{"hit" if n == line else ""}"><span class="ln">{n}</span>'
                f"{_e(lines[n - 1])}</span>"
                for n in shown
            )
            out.append("</pre>")
        out.extend(f'<div class="muted">说明：{_e(n)}</div>' for n in f.notes)
        w = f.waiver
        if w:
            out.append(
                f'<div class="waiver">已豁免：{_e(w.reason)}（批准人 {_e(w.approver)}，'
                f"有效期至 {_e(w.expires)}）</div>"
            )
        out.append("    </li>\n")
    out.append("  </ol>\n</section>\n")
    return Fragment("".join(out))
