"""One rule's findings on a case page, as HTML built in Python rather than by a template macro.

A case page shows a few hundred values, most of them in its finding groups (each place's values
and the case file's lines around it). Through the template each value cost three Python calls
(attribute lookup, finalize, escape) and each group a macro call: ~1 ms per page, a third of a
file's review. Here each value is masked and escaped by one function (the escaping one C call):
the same HTML in a fraction of the time (`tests/test_case_page.py` renders both ways and compares
them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

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


# a value's label (a fact's Chinese name: a few hundred in all) as the start of its HTML, made
# once per label, masked or not
_LABELS: dict[bool, dict[str, str]] = {True: {}, False: {}}


def text_of(mask: bool) -> Callable[[Any], str]:
    """What `{{ value }}` shows of a value, escaped: masked unless masking is off. (Masking value
    by value is cheaper than looking for a personal number in the whole HTML once: most values
    are shorter than one.)"""
    return _masked if mask else _shown


def group_html(group: dict[str, Any], mask: bool) -> Fragment:
    """The <section> of one rule's findings (see `html.group_findings` for `group`)."""
    g = group
    _e = text_of(mask)
    places = g["places"]
    count = f"；{len(places)} 处" if len(places) > 1 else ""
    severity, code = _e(g["severity"]), _e(g["code"])
    waived = ' <span class="sev sev-waived">已豁免</span>' if g["waived"] else ""
    out = [
        f'<section class="finding {severity}{" waived" if g["waived"] else ""}" id="rule-{code}">\n'
        f'  <div class="head"><span class="sev sev-{severity}">{_e(g["severity_label"])}</span>'
        f"{waived} <code>{code}</code> "
        f'<strong>{_e(g["title"])}</strong> <span class="muted">（{_e(g["category"])}{count}）</span></div>\n'
    ]
    message = g["message"]
    if message:
        out.append(f'<div class="message">{_e(message)}</div>')
    if g["basis"]:
        out.append(f'<div class="basis">依据：{_e("；".join(g["basis"]))}</div>')
    out.append('  <ol class="places">\n')
    for p in places:
        line, field, where = _e(p["line"] or "?"), _e(p["field"]), _e(p["where"])
        out.append(
            f'    <li>\n      <div class="where">第 {line} 行 <span class="mono">{field}</span> '
            f'<span class="muted">（{where}）</span></div>\n'
        )
        if not message:
            out.append(f'<div class="message">{_e(p["message"])}</div>')
        if p["shown"]:
            out.append('<div class="values">')
            labels = _LABELS[_e is _masked]
            for k, v in p["shown"]:
                label = labels.get(k)
                if label is None:
                    if len(labels) >= 4096:  # labels are a vocabulary; bounded all the same
                        labels.clear()
                    label = labels[k] = f'<span class="value"><span class="k">{_e(k)}</span>：'
                out.append(f"{label}{_e(v)}</span>")
            out.append("</div>")
        if p["excerpt"]:
            out.append('<pre class="excerpt">')
            out.extend(
                f'<span class="{"hit" if x["hit"] else ""}"><span class="ln">{_e(x["n"])}</span>'
                f"{_e(x['text'])}</span>"
                for x in p["excerpt"]
            )
            out.append("</pre>")
        out.extend(f'<div class="muted">说明：{_e(n)}</div>' for n in p["notes"])
        w = p["waiver"]
        if w:
            out.append(
                f'<div class="waiver">已豁免：{_e(w.reason)}（批准人 {_e(w.approver)}，'
                f"有效期至 {_e(w.expires)}）</div>"
            )
        out.append("    </li>\n")
    out.append("  </ol>\n</section>\n")
    return Fragment("".join(out))
