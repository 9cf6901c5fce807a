"""A case page's finding groups (one rule's findings each) as HTML built in Python from the
result, rather than by a template macro.

A case page shows a few hundred values, most of them in its finding groups (each place's values
and the case file's lines around it). Through the template each value cost three Python calls
(attribute lookup, finalize, escape) and each group a macro call: ~1 ms per page, a third of a
file's review. Here the findings are grouped and written out in one pass (no group, place or
excerpt records in between) as one list of HTML and the values it shows, alternating; the
values are then masked and escaped all at once, by look-ups in C of what was kept from other
pages (a Python call per value cost ~0.15 µs, ~130 a page): the same HTML as the macro
(`tests/test_case_page.py` renders both ways and compares them) in a fraction of the time.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from markupsafe import Markup, escape

from ..memo import remember
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


def _masked_html(value: Any) -> str:
    """A value as `{{ value }}` shows it with masking (the report's `finalize`), escaped."""
    if value.__class__ is str:
        return _escape(mask_text(value))
    if value.__class__ is int:  # line numbers: digits and a sign, nothing to escape
        text = str(value)
        return text if len(text) < 11 else mask_text(text)
    return "" if value is None else _escape(mask_text(str(value)))


_MASKED_MAX = 16_384  # texts kept (a few MB at most)
_MASKED_LONGEST = 400  # characters of a text worth keeping


class _Html(dict[Any, str]):
    """A value → its HTML (`mask`: masked or not, as `_masked_html` / `_shown` show it), texts
    kept: most texts of a page are on other pages too (rule messages and legal bases, field
    names, the case files' lines shown around a finding), and a look-up in C
    (`map(kept.__getitem__, values)`) costs ~0.03 µs a value where a Python call costs ~0.15
    and masking's candidate search ~1-2 µs. Only `str` keys are kept: no other value a finding
    holds equals a text (1, 1.0 and True are one key, and show apart); a `str` subclass equal
    to a kept text shows as it (its `str()` is its text: the project's enums say so)."""

    __slots__ = ("mask",)

    def __init__(self, mask: bool):
        super().__init__()
        self.mask = mask

    def __missing__(self, value: Any) -> str:
        if value.__class__ is not str:
            return _masked_html(value) if self.mask else _shown(value)
        html = _escape(mask_text(value) if self.mask else value)
        if len(value) <= _MASKED_LONGEST:
            remember(self, value, html, _MASKED_MAX)
        return html


_MASKED = _Html(True)
_SHOWN = _Html(False)


def _masked(value: Any) -> str:
    """A value as `{{ value }}` shows it with masking, escaped (texts from `_MASKED`)."""
    if value.__class__ is str:
        return _escape(value) if len(value) < 11 else _MASKED[value]  # shorter: nothing to mask
    return _masked_html(value)


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
    the case file's (None: no excerpts).

    The page's groups are written as one list of HTML and values, alternating (`_group`); the
    values are then shown all at once, mostly by look-ups in C (`_Html`), and each group joined.
    Findings and their locations are read from their models' `__dict__`, where pydantic keeps
    the fields: an attribute of a model goes through its `__getattr__` hook (~0.1 µs, ~150 a
    page)."""
    by_code: dict[str, list[dict[str, Any]]] = {}
    for f in result.findings:
        d = f.__dict__
        same = by_code.get(d["code"])
        if same is None:
            by_code[d["code"]] = [d]
        else:
            same.append(d)
    order = []
    for places in by_code.values():
        first = places[0]
        if len(places) > 1:
            places.sort(key=_place_order)
        line = places[0]["location"].__dict__["line"]
        order.append(
            ((-SEVERITY_RANK.get(first["severity"], 0), line or 10**9, first["code"]), first, places)
        )
    order.sort(key=_FIRST)
    categories = {(c := x.__dict__)["id"]: c["name"] for x in result.score.categories} if result.score else {}
    _e = text_of(mask)
    kept = _MASKED if mask else _SHOWN
    names = _names_shown(labels, _e, kept)
    parts: list[Any] = []
    ends = []
    seen = [_NOTHING, ""]  # the file of the places last shown, its HTML (`_where`)
    for _, first, places in order:
        _group(
            parts,
            first,
            places,
            categories.get(first["category"], first["category"]),
            names,
            display,
            lines,
            _e,
            seen,
        )
        ends.append(len(parts))
    values = parts[1::2]
    try:
        parts[1::2] = map(kept.__getitem__, values)
    except TypeError:  # a value that cannot be a key (a list): shown one by one
        parts[1::2] = map(_e, values)
    found: list[Group] = []
    pending: list[Group] = []
    start = 0
    for (_, first, places), end in zip(order, ends, strict=True):
        html = _fragment(Fragment, "".join(parts[start:end]))
        start = end
        (pending if first["severity"] == "review" else found).append((html, len(places)))
    return found, pending


def _fragment(cls: type[Fragment], html: str) -> Fragment:
    """`Fragment(html)` without `Markup.__new__`'s checks (html is a `str`)."""
    return str.__new__(cls, html)


def _where(
    loc: dict[str, Any], display: Callable[[str], str], _e: Callable[[Any], str], seen: list[Any]
) -> str:
    """`_e(where(display(file), line, column))` of a location's fields, the file's part shown once
    a page (`seen`: the file last shown and its HTML, not kept for other pages: no other shows
    it): ":line:column" never changes what masking does to the file's name before it (a
    personal number has no ":" in it, nor 11 digits in one number) and needs no escaping. Saves
    a candidate search per place on a text no other place has."""
    line, column = loc["line"], loc["column"]
    plain = line is None or (line.__class__ is int and 0 <= line < 10**10)
    if plain and (column is None or (column.__class__ is int and 0 <= column < 10**10)):
        file = loc["file"]
        if file is not seen[0]:
            seen[:] = file, (_masked_html if _e is _masked else _shown)(display(file))
        return seen[1] + (f":{line}:{column}" if column else f":{line}") if line else seen[1]
    return _e(where(display(loc["file"]), line, column))


_FIRST = itemgetter(0)
_NOTHING = object()
_VALUE = '</span><span class="value"><span class="k">'


class _Names(dict[tuple[str, ...], list[Any]]):
    """A finding's value names → the HTML around its values: each name's label (`labels`,
    shown by `_e`) between the value before it and its own, a slot (None) for each value.
    Made on first use: a page shows ~40 values, of a few dozen facts, in the same few sets.
    `blocks`: the names and the values' texts → the HTML of the values (`block`, the texts
    shown by `kept`)."""

    __slots__ = ("blocks", "e", "kept", "labels")

    def __init__(self, labels: dict[str, str], _e: Callable[[Any], str], kept: _Html):
        super().__init__()
        self.labels, self.e, self.kept = labels, _e, kept
        self.blocks: dict[tuple[str, ...], str] = {}

    def block(self, key: tuple[str, ...], count: int) -> str:
        """The HTML of a finding's `count` values (`key`: their names, then their texts), kept:
        over half of the findings show the same values as one before them (a rule's legal
        basis, kinds and statuses, the same officer)."""
        html = self[key[:count]].copy()
        html[1::2] = map(self.kept.__getitem__, key[count:])
        html.append("</span></div>")
        text = "".join(html)
        if len(text) <= _BLOCK_LONGEST:
            remember(self.blocks, key, text, 4096)
        return text

    def __missing__(self, names: tuple[str, ...]) -> list[Any]:
        labels, e = self.labels, self.e
        html: list[Any] = []
        for name in names:
            html += (
                f"{_VALUE}{e(labels[name] if name in labels else value_label(name, labels))}</span>：",
                None,
            )
        html[0] = f'<div class="values">{html[0][7:]}'  # the first: no value before it
        return remember(self, names, html, 4096)  # names come from the rule book: never full, but bounded


_BLOCK_LONGEST = 2000  # characters of a block of values worth keeping
_NAMES: list[_Names] = []  # the labels last shown, how, and their HTML (`_names_shown`)


def _names_shown(labels: dict[str, str], _e: Callable[[Any], str], kept: _Html) -> _Names:
    if _NAMES and _NAMES[0].labels is labels and _NAMES[0].e is _e and _NAMES[0].kept is kept:
        return _NAMES[0]
    _NAMES[:] = [_Names(labels, _e, kept)]
    return _NAMES[0]


def _place_order(finding: dict[str, Any]) -> tuple[int, str]:
    loc = finding["location"].__dict__
    return loc["line"] or 10**9, loc["field"]


# an excerpt's lines lo..hi and the finding's → the HTML around them, a slot (None) for each
# line: the same few ranges recur on every page
_EXCERPTS: dict[tuple[int, Any, int], list[Any]] = {}


def _excerpt(lo: int, line: Any, hi: int) -> list[Any]:
    html: list[Any] = []
    for n in range(lo, hi + 1):  # a line's number has fewer than 11 digits: nothing to mask or escape
        html += (f'</span><span class="{"hit" if n == line else ""}"><span class="ln">{n}</span>', None)
    html[0] = f'<pre class="excerpt">{html[0][7:]}'  # the first: no line before it
    return remember(_EXCERPTS, (lo, line, hi), html, 4096)  # ~0.6 KB each: a few MB at most


# how a rule's group begins (what `_head` is given) → the HTML before its message and after it
# (its legal basis): the same on every page that shows the rule
_HEADS: dict[tuple[Any, ...], tuple[str, str]] = {}


def _head(key: tuple[Any, ...]) -> tuple[str, str]:
    e, severity, code, label, title, category, waived, count, *basis = key
    severity, code = e(severity), e(code)
    head = (
        f'<section class="finding {severity}{" waived" if waived else ""}" id="rule-{code}">\n'
        f'  <div class="head"><span class="sev sev-{severity}">{e(label)}</span>'
        f"{_WAIVED if waived else ''} <code>{code}</code> <strong>{e(title)}</strong> "
        f'<span class="muted">（{e(category)}{f"；{count} 处" if count > 1 else ""}）</span></div>\n'
    )
    tail = f'<div class="basis">依据：{e("；".join(basis))}</div>' if basis else ""
    # rules of the book, waived or not, a few counts: never full
    return remember(_HEADS, key, (head, tail + '  <ol class="places">\n'), 4096)


def _group(
    parts: list[Any],
    first: dict[str, Any],
    places: list[dict[str, Any]],
    category: Any,
    names: _Names,
    display: Callable[[str], str],
    lines: list[str] | None,
    _e: Callable[[Any], str],
    seen: list[Any],
) -> None:
    """The <section> of one rule's findings (`places`' fields, sorted; `first`: the rule's first) added
    to `parts` as HTML and the values it shows, alternating (HTML first, then a value, ...; its
    last value ""), the values not yet shown."""
    if len(places) > 1:
        messages = {f["message"] for f in places}
        message = messages.pop() if len(messages) == 1 else None
        waived = all(f["waiver"] for f in places)
    else:
        message, waived = first["message"], bool(first["waiver"])
    count = len(places)
    f = first
    key = (
        _e,
        f["severity"],
        f["code"],
        f["severity_label"],
        f["title"],
        category,
        waived,
        count,
        *f["basis"],
    )
    head, tail = _HEADS.get(key) or _head(key)
    if message:
        parts += (head + '<div class="message">', message)
        html = "</div>" + tail
    else:
        html = head + tail
    last_line = len(lines) if lines else 0
    for f in places:
        loc = f["location"].__dict__
        line = loc["line"]
        shown_line = line if line.__class__ is int and 0 < line < 10**10 else _e(line or "?")  # no ID
        parts += (
            f'{html}    <li>\n      <div class="where">第 {shown_line} 行 <span class="mono">',
            loc["field"],
        )
        column = loc["column"]
        if (
            loc["file"] is seen[0]
            and line.__class__ is column.__class__ is int
            and 0 < line < 10**10
            and 0 < column < 10**10
        ):  # most places: `_where`'s result without the call
            where = f"{seen[1]}:{line}:{column}"
        else:
            where = _where(loc, display, _e, seen)
        html = f'</span> <span class="muted">（{where}）</span></div>\n'
        if not message:
            parts += (html + '<div class="message">', f["message"])
            html = "</div>"
        values = f["values"]
        if values:
            shown = [*values.values()]
            if None in shown:  # None shows as nothing, not as its text: each value left to `_Html`
                block = names[(*values,)].copy()
                block[1::2] = shown
                block[0] = html + block[0]
                parts += block
                html = "</span></div>"
            else:  # a value shows as its text (`str`) does
                key = (*values, *map(str, shown))
                html += names.blocks.get(key) or names.block(key, len(shown))
        if line:
            lo, hi = max(1, line - EXCERPT_CONTEXT), min(last_line, line + EXCERPT_CONTEXT)
            if lo <= hi and line <= last_line:
                assert lines is not None
                block = (_EXCERPTS.get((lo, line, hi)) or _excerpt(lo, line, hi)).copy()
                block[1::2] = lines[lo - 1 : hi]
                block[0] = html + block[0]
                parts += block
                html = "</span></pre>"
        for note in f["notes"]:
            parts += (html + '<div class="muted">说明：', note)
            html = "</div>"
        w = f["waiver"]
        if w:
            parts += (
                html + '<div class="waiver">已豁免：',
                w.reason,
                "（批准人 ",
                w.approver,
                "，有效期至 ",
                w.expires,
            )
            html = "）</div>"
        html += "    </li>\n"
    parts += (html + "  </ol>\n</section>\n", "")
