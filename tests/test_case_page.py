"""The case page's finding groups, built in Python from the result (report/finding_html.py)
rather than by a template macro: the same HTML as the macro they replace, over the groups the
report made for it before (`reference_groups`), masked and escaped the same way."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))

from casereview.evaluate.findings import Finding, Location, WaiverNote  # noqa: E402
from casereview.packs.schema import SEVERITY_RANK  # noqa: E402
from casereview.report.finding_html import Fragment, groups_html  # noqa: E402
from casereview.report.html import make_environment  # noqa: E402
from casereview.report.labels import value_label  # noqa: E402
from casereview.report.location import where  # noqa: E402
from casereview.review import CaseResult  # noqa: E402
from casereview.score.scoring import CategoryScore, Score  # noqa: E402

# the template macro the Python builder replaced (case.html before issue 16), the reference
MACRO = (ROOT / "tests" / "data" / "case_group_macro.html").read_text(encoding="utf-8")


def reference_groups(
    result: Any, labels: dict[str, str], display: Any, lines: list[str] | None
) -> list[dict]:
    """The finding groups the macro was given (html.group_findings before the groups were built in
    one pass): grouped by rule, severity first, then the first place in the file."""
    categories = {c.id: c.name for c in result.score.categories} if result.score else {}
    groups: dict[str, dict[str, Any]] = {}
    for f in result.findings:
        g = groups.setdefault(
            f.code,
            {
                "code": f.code,
                "title": f.title,
                "severity": f.severity,
                "severity_label": f.severity_label,
                "category": categories.get(f.category, f.category),
                "basis": f.basis,
                "places": [],
            },
        )
        line = f.location.line
        excerpt = []
        if lines and line and line <= len(lines):
            excerpt = [
                {"n": n, "text": lines[n - 1], "hit": n == line}
                for n in range(max(1, line - 2), min(len(lines), line + 2) + 1)
            ]
        g["places"].append(
            {
                "where": where(display(f.location.file), line, f.location.column),
                "line": line,
                "field": f.location.field,
                "message": f.message,
                "shown": [(value_label(k, labels), v) for k, v in f.values.items()],
                "notes": f.notes,
                "excerpt": excerpt,
                "waiver": f.waiver,
            }
        )
    for g in groups.values():
        g["places"].sort(key=lambda p: (p["line"] or 10**9, p["field"]))
        messages = {p["message"] for p in g["places"]}
        g["message"] = messages.pop() if len(messages) == 1 else None
        g["waived"] = all(p["waiver"] for p in g["places"])
    return sorted(
        groups.values(),
        key=lambda g: (-SEVERITY_RANK.get(g["severity"], 0), g["places"][0]["line"] or 10**9, g["code"]),
    )


def macro_groups(result: Any, labels: dict[str, str], display: Any, lines: list[str] | None, mask: bool):
    """The reference groups with their `html` made by the macro: (found, pending)."""
    macro = make_environment(mask=mask).from_string(MACRO)
    groups = reference_groups(result, labels, display, lines)
    for g in groups:
        g["html"] = Fragment(macro.render(g=g))
    return [g for g in groups if g["severity"] != "review"], [g for g in groups if g["severity"] == "review"]


ID_NO = "360102199001011234"
MOBILE = "13807915678"
# what reports meet: personal numbers (grouped, full-width, with X), markup, quotes, CJK
text = st.lists(st.sampled_from([*"0123456789０１２３ -X<>&\"'案号第条a", ID_NO, MOBILE]), max_size=20).map(
    "".join
)
value = st.one_of(
    st.none(),
    text,
    st.integers(-(10**13), 10**13),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.one_of(text, st.integers()), max_size=2),  # shown as its text; cannot be a key
)
LABELS = {"party.id": "身份证<号>", "amount": "罚款", "f_13807915678": "电话"}


@st.composite
def findings(draw: Any) -> Finding:
    return Finding(
        code=draw(st.sampled_from(["A-1", "B<2>", MOBILE, "C"])),  # a few codes: groups of several places
        rule_id="r",
        title=draw(text),
        severity=draw(st.sampled_from(["veto", "deduct", "warn", "review", "x<y"])),
        severity_label=draw(text),
        category=draw(st.sampled_from(["subject", "procedure", "other<1>", ID_NO])),
        message=draw(st.one_of(st.just("同一消息"), text)),
        basis=draw(st.lists(text, max_size=3)),
        location=Location(
            # names whose digits end where ":line:column" begins
            file=draw(
                st.sampled_from(["a.yaml", f"{ID_NO}.yaml", "<b>.yaml", ID_NO[:-1] + "X", "案1380791567"])
            ),
            field=draw(st.sampled_from(["party.id", "acts[1].by", "", MOBILE])),
            line=draw(st.one_of(st.none(), st.integers(-6, 12), st.integers(0, 10**12))),
            column=draw(st.one_of(st.none(), st.integers(0, 10**12))),
        ),
        values=draw(st.dictionaries(st.sampled_from([*LABELS, "f_x", "other", "x<y>"]), value, max_size=4)),
        notes=draw(st.lists(text, max_size=2)),
        waiver=draw(st.one_of(st.none(), st.builds(WaiverNote, reason=text, approver=text, expires=text))),
    )


def hostile_finding(**fields: Any) -> Finding:
    """A veto whose title is markup and whose message holds a mobile number, at `party.id` line 3."""
    return Finding(
        rule_id="r",
        title="<script>alert('x')</script>",
        severity="veto",
        severity_label="否决",
        category="subject",
        message=f"电话 {MOBILE}",
        location=Location(file="a.yaml", field="party.id", line=3, column=5),
        **fields,
    )


def a_result(found: list[Finding], scored: bool = True) -> CaseResult:
    score = Score(
        score=80,
        grade="良好",
        graded=True,
        status="scored",
        vetoed=False,
        categories=[CategoryScore(id="subject", name="主体<与>资格", max=15, deducted=0, score=15)],
        profile="example",
    )
    return CaseResult(file="a.yaml", status="reviewed", findings=found, score=score if scored else None)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(findings(), max_size=6),
    st.one_of(st.none(), st.lists(text, max_size=14)),
    st.booleans(),
    st.booleans(),
)
@example(
    [
        hostile_finding(
            code="CERT-001",
            basis=[f"身份证 {ID_NO}"],
            values={"party.id": ID_NO, "amount": int(MOBILE)},
            notes=[f"注 {ID_NO}"],
            waiver=WaiverNote(reason=MOBILE, approver="<b>", expires="2026-12-31"),
        )
    ],
    ["a: 1", "b: 2", f"  id: {ID_NO}"],
    True,
    True,
)
def test_finding_groups_are_the_macros_output(found: list[Finding], lines: Any, scored: bool, mask: bool):
    """Findings of any rules, places, values, lines (none, beyond the file, negative), masked or
    not: each group is what the macro made of the group the report built for it before."""
    result = a_result(found, scored)
    built = groups_html(result, LABELS, str.upper, lines, mask)
    assert built == tuple(
        [(g["html"], len(g["places"])) for g in groups]
        for groups in macro_groups(result, LABELS, str.upper, lines, mask)
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(text, text.map(lambda t: t * 3), st.integers(-(10**13), 10**13)), max_size=30))
def test_texts_kept_for_reuse_show_as_masking_each_time_would(values):
    """A masked text is kept for the next page that shows it (rule messages, the case files'
    lines): what comes from there is what masking and escaping it again gives."""
    from markupsafe import escape

    from casereview.report.finding_html import text_of
    from casereview.report.masking import mask

    e = text_of(True)
    for _ in range(2):  # the second time from what was kept
        assert [e(v) for v in values] == [str(escape(mask(str(v)))) for v in values]


def test_texts_kept_for_reuse_are_bounded(monkeypatch):
    from casereview.report import finding_html

    monkeypatch.setattr(finding_html, "_MASKED", finding_html._Html(True))
    monkeypatch.setattr(finding_html, "_MASKED_MAX", 3)
    texts = [f"电话 1380791567{i} <b>" for i in range(10)]
    shown = [finding_html.text_of(True)(t) for t in [*texts, "长" * (finding_html._MASKED_LONGEST + 1)]]
    assert shown[2] == "电话 138****5672 &lt;b&gt;" and len(finding_html._MASKED) <= 3
    assert all(len(t) <= finding_html._MASKED_LONGEST for t in finding_html._MASKED)


@pytest.mark.parametrize("mask", [True, False])
@pytest.mark.parametrize(
    "values",
    [
        {"a": 1, "b": True, "c": 1.0, "d": "1", "e": 0, "f": False, "g": 0.0},  # equal keys, shown apart
        {"a": 1, "b": True, "c": 1.0, "d": None, "e": "True"},  # None: each value as it is
        {"a": [1, MOBILE], "b": None, "c": {"k": ID_NO}},  # a value that cannot be a key
        {"a": int(MOBILE), "b": str(MOBILE), "c": 98},
    ],
)
def test_values_that_are_equal_show_each_as_itself(values, mask):
    """Values of the same page are shown from what was kept for other pages: 1, 1.0 and True
    (equal as keys) each show as itself, None as nothing, lists and dicts as their text."""
    found = [
        hostile_finding(code="A-1", basis=["1"], values=values, notes=["True", "1.0"]),
        hostile_finding(code="B-2", basis=[], values={"x": True, "y": 1.0}),
    ]
    for _ in range(2):  # the second time from what was kept
        built = groups_html(a_result(found), LABELS, str, ["1", "True", "1.0"], mask)
        assert built == tuple(
            [(g["html"], len(g["places"])) for g in groups]
            for groups in macro_groups(a_result(found), LABELS, str, ["1", "True", "1.0"], mask)
        )


def test_what_one_page_kept_shows_on_the_next_as_its_own():
    """A rule's heading and a finding's values are kept for the pages after (the same on most):
    a page where the same rule is waived, has more places, another category or basis, or the
    same value names other values (or the same texts other names) shows its own."""
    waiver = WaiverNote(reason="r", approver="a", expires="2026-12-31")
    variants = [
        {},
        {"waiver": waiver},
        {"category": "procedure"},
        {"basis": ["另一依据"]},
        {"basis": []},
        {"values": {"party.id": "2", "amount": 1}},
        {"values": {"amount": "1", "party.id": 1}},
        {"values": {"party.id": "1", "amount": None}},
        {"severity_label": "扣分"},
    ]
    for mask in (True, False):
        for fields in variants:
            for places in (1, 2):
                base = {
                    "rule_id": "r",
                    "code": "K-1",
                    "title": f"规则 {MOBILE} <b>",
                    "severity": "veto",
                    "severity_label": "否决",
                    "category": "subject",
                    "message": "消息",
                    "basis": ["依据"],
                    "values": {"party.id": "1", "amount": 1},
                    "location": Location(file="a.yaml", field="f", line=3, column=1),
                }
                found = [Finding(**{**base, **fields}) for _ in range(places)]
                result = a_result(found)
                assert groups_html(result, LABELS, str, None, mask) == tuple(
                    [(g["html"], len(g["places"])) for g in groups]
                    for groups in macro_groups(result, LABELS, str, None, mask)
                ), (fields, places, mask)


def test_places_in_one_file_show_each_its_line_and_column():
    """A page's places in one file show the file's name once made: each its own line and
    column (none, 0, negative, of an ID's length), on pages shown masked or not, by either name."""
    spots = [(3, 5), (3, 0), (None, 4), (0, None), (4, 10**11), (-2, 3), (10**11, 1), (7, None), (8, 9)]
    file = f"{ID_NO}.yaml"  # one text for all places, as a review gives them
    found = [
        Finding(
            rule_id="r",
            code=f"C-{i % 3}",
            title="t",
            severity="deduct",
            severity_label="扣分",
            category="subject",
            message="m",
            basis=[],
            location=Location(file=file, field="f", line=line, column=column),
        )
        for i, (line, column) in enumerate(spots)
    ]
    for display in (str, str.upper):
        for mask in (True, False):
            result = a_result(found)
            assert groups_html(result, LABELS, display, None, mask) == tuple(
                [(g["html"], len(g["places"])) for g in groups]
                for groups in macro_groups(result, LABELS, display, None, mask)
            ), (display, mask)


def test_finding_groups_mask_and_escape():
    finding = hostile_finding(code="A-1", basis=[], values={"party.id": ID_NO})
    lines = ["a: 1", "b: 2", f"  id: {ID_NO}"]
    [(masked, places)], _ = groups_html(a_result([finding]), LABELS, str, lines, True)
    assert places == 1 and ID_NO not in masked and MOBILE not in masked and "<script>" not in masked
    assert "3601**********1234" in masked and "138****5678" in masked and "&lt;script&gt;" in masked
    [(shown, _)], _ = groups_html(a_result([finding]), LABELS, str, lines, False)
    assert ID_NO in shown and MOBILE in shown and "<script>" not in shown


def test_value_labels_are_each_reports_own():
    """A value's label is made once per set of labels and way of showing them: a report with
    other labels, or masking otherwise, shows its own."""
    finding = hostile_finding(code="A-1", basis=[], values={"party.id": 1, "f_13807915678": 2})
    other = {"party.id": f"证件{MOBILE}"}
    for labels, mask, shown in [
        (LABELS, True, ["身份证&lt;号&gt;", "电话"]),
        (other, True, ["证件138****5678", "138****5678"]),
        (other, False, [f"证件{MOBILE}", "13807915678"]),
        (LABELS, False, ["身份证&lt;号&gt;", "电话"]),
    ]:
        [(html, _)], _ = groups_html(a_result([finding]), labels, str, None, mask)
        assert [part.split("</span>")[0] for part in html.split('<span class="k">')[1:]] == shown


@pytest.mark.parametrize("status", ["无法评分", "未结案"])
def test_an_ungraded_file_shows_no_score_large_only_a_reference_score_small(tmp_path, status):
    """A file that is not graded (未结案 / 无法评分) has no score to read off the page: the score card
    shows a dash in the neutral status colour, the computed score small as a reference, and the
    note is neutral too (red is for defects). A graded file keeps its score large."""
    from casereview.report.html import write_html

    def result(graded: bool) -> CaseResult:
        score = Score(
            score=100,
            grade="优秀" if graded else status,
            graded=graded,
            status="scored" if graded else status,
            status_reason=None if graded else "决定日期未载明",
            vetoed=False,
            categories=[CategoryScore(id="subject", name="主体", max=15, deducted=0, score=15)],
            profile="example",
        )
        return CaseResult(file="a.yaml", status="reviewed", case_number="X", score=score)

    write_html([result(False), result(True)], tmp_path, {"tool_version": "t", "rules_version": "t"})
    ungraded = (tmp_path / "cases" / "1.html").read_text(encoding="utf-8")
    card = re.search(r'<div class="card" id="score-ungraded">(.*?)</div></div>', ungraded).group(1)
    assert '<div class="value grade-none">—</div>' in card and "参考分 100" in card
    assert re.search(r'<div class="value">\s*100', ungraded) is None  # no large 100 anywhere
    assert f'<span class="grade-none">{status}</span>' in ungraded
    note = re.search(r'<p class="([^"]+)">本案卷', ungraded)
    assert note and note.group(1) == "status-note"
    graded = (tmp_path / "cases" / "2.html").read_text(encoding="utf-8")
    assert '<div class="label">得分</div><div class="value">100</div>' in graded
    assert "score-ungraded" not in graded and "本案卷" not in graded


# the template cell `html.peers_cells` replaced (like_cases_body.html before issue 16), the reference
PEERS_CELL = (
    '{{ describe(o.group) }}<br><span class="muted">{% for p in o.peers %}'
    "{{ p.case_number or display(p.file) }}（{{ p.amount | yuan }} 元）"
    '{{ "；" if not loop.last else "" }}{% endfor %}'
    "{% if o.group_size > o.peers | length %} 等共 {{ o.group_size }} 件{% endif %}</span>"
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), text), st.integers(0, 10**12) | st.floats(0, 1e12)),
        min_size=1,
        max_size=5,
    ),
    st.integers(0, 8),
    st.booleans(),
)
def test_like_case_cells_are_the_templates_and_built_once_per_group(peers, extra, mask):
    """同案异罚 rows of one peer group share their group-and-peers cell; it is what the template
    showed (masked and escaped alike), whether it comes from the cache or not."""
    from casereview.analysis import describe_group
    from casereview.report.html import peers_cells, yuan

    group = {"benchmark_item": "SX-<1>", "tier": 2, "target": "unit", "branch": "initial", "facts": {}}
    members = [
        {"case_number": c, "file": f"cases/{ID_NO}-{i}.yaml", "amount": a} for i, (c, a) in enumerate(peers)
    ]
    outliers = [
        {"group": group, "peers": members, "group_size": len(members) + extra, "file": m["file"]}
        for m in members
    ]
    display = str.upper  # stands for the report's file-name display
    env = make_environment(mask=mask)
    env.globals.update(describe=describe_group, display=display)
    env.filters["yuan"] = yuan
    reference = env.from_string(PEERS_CELL)
    cell = peers_cells(display, mask)
    cells = [cell(o) for o in outliers]
    assert all(c is cells[0] for c in cells)  # built once for the group
    assert [str(c) for c in cells] == [reference.render(o=o) for o in outliers]


def test_html_and_excel_are_the_same_whether_the_parent_gets_the_results_or_not(tmp_path, make_sample_folder):
    """With HTML, Excel and JSON the parent takes in only what the workers prepared (pages are
    written there, the summary and rows come back); with JUnit too it receives the results as
    well. The reports are the same either way."""
    from openpyxl import load_workbook

    from casereview.cli import main

    names = ("02-xinjian-peixun-jilu.yaml", "05-nankang-chaoxian-fakuan.yaml", "26-xinjian-wei-jiean.yaml")
    src = make_sample_folder(tmp_path / "in", names)

    def review(formats: str) -> Path:
        out = tmp_path / formats
        args = ["review", str(src), "-o", str(out), "--format", formats, "--workers", "2", "--no-cache"]
        assert main([*args, "--engine", "oracle", "--campaign", "测试"]) == 2
        return out

    lean, full = review("html,xlsx,json"), review("html,xlsx,json,junit")

    def pages(out: Path) -> dict[str, str]:
        found = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in out.rglob("*.html")}
        return {k: re.sub(r"生成时间 [^·]*·|\d{4}-\d\d-\d\d \d\d:\d\d", "", v) for k, v in found.items()}

    assert len(pages(lean)) == 5 + 2 and pages(lean) == pages(full)
    assert "13812345678" not in "".join(pages(lean).values())

    def cells(out: Path) -> list[list[object]]:
        book = load_workbook(out / "评查结果.xlsx")
        return [[c.value for c in row] for ws in book.worksheets for row in ws.iter_rows(min_row=3)]

    assert cells(lean) == cells(full)


def test_the_json_analysis_is_the_same_with_or_without_the_html_report(tmp_path, make_sample_folder):
    """With the HTML report the file's summary made for its page (naming the page) also feeds the
    batch analysis: the JSON document, analysis included, is what a JSON-only review writes."""
    import json

    from casereview.cli import main

    names = ("05-nankang-chaoxian-fakuan.yaml", "26-xinjian-wei-jiean.yaml", "31-nankang-hebing-fakuan.yaml")
    src = make_sample_folder(tmp_path / "in", names)

    def review(formats: str) -> dict[str, Any]:
        out = tmp_path / formats
        main(["review", str(src), "-o", str(out), "--format", formats, "--workers", "2", "--no-cache"])
        document = json.loads((out / "results.json").read_text(encoding="utf-8"))
        return {k: v for k, v in document.items() if k not in ("generated", "invocation")}

    alone, beside = review("json"), review("html,json")
    assert alone["analysis"]["campaign"]["files"] == len(names) + 2
    assert alone == beside


def test_the_ranking_puts_ungraded_files_last_without_a_score_to_rank_by(tmp_path):
    """A file not graded (未结案 / 无法评分) keeps a computed score of e.g. 100; the ranking must not
    place it above graded files nor show that score as its own: it comes last, a dash in the
    score column with the reference score small."""
    from casereview.report.html import write_html

    def result(number: str, score: float, graded: bool) -> CaseResult:
        grade = "良好" if graded else "无法评分"
        return CaseResult(
            file=f"{number}.yaml",
            status="reviewed",
            case_number=number,
            score=Score(
                score=score,
                grade=grade,
                graded=graded,
                status="scored" if graded else grade,
                vetoed=False,
                categories=[CategoryScore(id="subject", name="主体", max=15, deducted=0, score=15)],
                profile="example",
            ),
        )

    results = [result("甲", 100, False), result("乙", 85, True), result("丙", 90, True)]
    write_html(results, tmp_path, {"tool_version": "t", "rules_version": "t"})
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    table = index[index.index('id="ranking-table"') :]
    rows = re.findall(r"<tr><td class=\"num\">(\d+)</td><td><a [^>]*>(.)</a>.*?</tr>", table)
    assert rows == [("1", "丙"), ("2", "乙"), ("3", "甲")]
    last = table[table.index(">甲<") :]
    assert '<span class="grade-none">—</span> <span class="muted">参考 100</span>' in last.split("</tr>")[0]


# the case page's template before the page was built in Python (report/case_page.py), the reference
PAGE = (ROOT / "tests" / "data" / "case_page_template.html").read_text(encoding="utf-8")


def _page_variants(results: list[Any]) -> list[Any]:
    """Reviewed results plus what the samples rarely show: ungraded and provisional grades, no
    三项制度 rate, no veto, no findings, notes and checks not run holding markup and personal
    numbers, empty facts."""
    from casereview.review import NotRun

    base = next(r for r in results if r.status == "reviewed" and r.findings)
    s = base.score
    odd = f"<b>&\"'{ID_NO} {MOBILE}"
    return [
        *results,
        base.model_copy(update={"score": s.model_copy(update={"graded": False, "grade": "未结案"})}),
        base.model_copy(update={"score": s.model_copy(update={"provisional": 3, "three_systems": None})}),
        base.model_copy(update={"score": s.model_copy(update={"vetoed": False, "veto_codes": []})}),
        base.model_copy(
            update={
                "findings": [],
                "title": odd,
                "party": odd,
                "agency": None,
                "region": None,
                "case_number": None,
                "notes": [odd, "二"],
                "not_run": [NotRun(code="X<1>", title=odd, reason=odd)],
                "score": s.model_copy(update={"score": 87.5, "status_reason": odd, "graded": False}),
            }
        ),
    ]


@pytest.mark.parametrize("mask", [True, False])
def test_case_pages_are_the_templates_byte_for_byte(
    tmp_path, book, profile, example_roster, generated_texts, make_sample_folder, mask
):
    """Every case page built in Python is what the template rendered: the samples (rejected,
    未结案, unknown facts), generated files, and the rare parts made up; masked or not, with a
    campaign name holding a mobile number in the frame."""
    from casereview.batch import make_context
    from casereview.report.formats import ReportContext
    from casereview.report.html import HtmlReport, read_lines
    from casereview.report.labels import status_label
    from casereview.review import review_file

    folder = tmp_path / "in"
    make_sample_folder(folder, tuple(p.name for p in (ROOT / "casefiles").glob("[0-9]*")))
    for i, text in enumerate(generated_texts(20, 0.5)):
        (folder / f"gen-{i}.{'json' if text.startswith('{') else 'yaml'}").write_text(text, encoding="utf-8")
    review = make_context(book, profile, example_roster, "oracle")
    results = _page_variants([review_file(p, review) for p in sorted(folder.iterdir())])
    campaign = f"评查 {MOBILE}"
    ctx = ReportContext(rules_version="r1", tool_version="<t>", mask=mask, campaign=campaign, root=folder)
    ctx.use_profile(profile)
    report = HtmlReport(tmp_path / "out", ctx)
    template = report.env.from_string(PAGE)
    shown = False
    for result in results:
        found, pending = macro_groups(result, report.labels, ctx.display, read_lines(result.file), mask)
        reference = template.render(
            r=result,
            file=ctx.display(result.file),
            status=status_label(result),
            groups=found,
            pending=pending,
            places=sum(len(g["places"]) for g in found),
            pending_places=sum(len(g["places"]) for g in pending),
            deducted=sum(c.deducted for c in result.score.categories) if result.score else None,
            meta=ctx,
            masked=mask,
            css="../style.css",
            home="../index.html",
        )
        page = report.render(result)
        assert page == reference, result.file
        shown = shown or ID_NO in page
    assert shown is not mask  # the made-up personal number: on the page only when not masking
    assert {r.status for r in results} == {"reviewed", "rejected"}


def test_a_category_row_is_kept_per_score_and_per_masking():
    """The categories table's rows are made once per (shared, frozen) category score and way of
    masking: each shows what making it afresh shows."""
    from casereview.report import case_page
    from casereview.report.finding_html import text_of

    named = CategoryScore(id="x", name=f"事实<与>{MOBILE}", max=20, deducted=5, score=15)
    other = named.model_copy(update={"deducted": 0, "score": 20})
    shown = [
        (c, m, case_page._category_row(c, text_of(m))) for m in (True, False) for c in (named, other, named)
    ]
    for c, mask, row in shown:
        case_page._ROWS.clear()
        assert row == case_page._category_row(c, text_of(mask))
        assert (MOBILE in row) is not mask and f"{c.deducted} 分" in row and "&lt;与&gt;" in row


def test_score_cards_kept_by_what_they_show_are_each_scores_own():
    """The score cards are made once per kind of score (`case_page._CARDS`): scores that differ in
    any one thing the cards show (0.0 and -0.0 too) each show as made afresh."""
    from casereview.report import case_page
    from casereview.report.finding_html import text_of

    cats = [CategoryScore(id="x", name="事实", max=20, deducted=5, score=15)]
    base = Score(score=85, grade="良好", vetoed=False, categories=cats, profile="p", three_systems=0.5)
    scores = [
        base,
        *(
            base.model_copy(update=change)
            for change in (
                {"score": 85.5},
                {"score": 0.0},
                {"score": -0.0},
                {"grade": "合格"},
                {"graded": False, "status_reason": "未结案"},
                {"graded": False, "status_reason": f"缺 {MOBILE}"},
                {"vetoed": True, "veto_codes": ["A-1"]},
                {"vetoed": True, "veto_codes": ["A-2"]},
                {"categories": [cats[0].model_copy(update={"deducted": 6, "score": 14})]},
                {"three_systems": None},
                {"three_systems": 0.25},
                {"pending_review": 2},
                {"provisional": 1},
                {"profile": "q"},
            )
        ),
    ]
    shown = [
        (s, mask, profile, "".join(case_page._score(s, [], [], profile, text_of(mask), mask)))
        for mask in (True, False)
        for profile in ("", "标准")
        for s in scores
    ]
    for mask in (True, False):  # each change shows (but the profile's name when one is given)
        assert len({page for _, m, p, page in shown if m == mask and p == ""}) == len(scores)
        assert len({page for _, m, p, page in shown if m == mask and p}) == len(scores) - 1
    for s, mask, profile, page in shown:
        case_page._CARDS.clear()
        assert page == "".join(case_page._score(s, [], [], profile, text_of(mask), mask))


# the ranking table's macro before its rows were built in Python (html.ranking_rows_of), the reference
RANKING = (ROOT / "tests" / "data" / "ranking_table_macro.html").read_text(encoding="utf-8")


@st.composite
def summaries(draw: Any) -> Any:
    from casereview.report.html import SummaryRow

    maybe_text = st.one_of(st.none(), text)
    return SummaryRow(
        page=draw(text),
        file=draw(text),
        reviewed=True,
        case_number=draw(maybe_text),
        title=draw(maybe_text),
        agency=draw(maybe_text),
        party=draw(maybe_text),
        score=draw(st.floats(0, 100) | st.integers(0, 100)),
        graded=draw(st.booleans()),
        deducted=draw(st.one_of(st.none(), st.floats(0, 100), st.integers(0, 100))),
        grade=draw(st.sampled_from(["优秀", "良好", "合格", "不合格", "未结案", "无法评分", "<x>"])),
        vetoes=draw(st.integers(0, 10**12)),
        pending=draw(st.integers(0, 10**12)),
        status_label=draw(text),
        rejection=[],
    )


@settings(max_examples=100, deadline=None)
@given(st.lists(summaries(), max_size=4), st.integers(0, 10**4), st.booleans())
def test_ranking_rows_are_the_macros(rows, offset, mask):
    """The ranking table (index and ranking-<n>.html) with its rows built in Python is what the
    template made of them, masked and escaped alike."""
    env = make_environment(mask=mask)
    values = {"rows": rows, "offset": offset, "display": str.upper}
    call = "{{ ranking_table(rows, offset, display) }}"
    reference = env.from_string('{% from "macros.html" import grade %}' + RANKING + call).render(**values)
    built = env.from_string('{% from "macros.html" import ranking_table %}' + call).render(**values)
    assert built == reference


# the list pages' page links as the macro made them before they were built in Python (html.pager_of)
PAGER = (ROOT / "tests" / "data" / "pager_macro.html").read_text(encoding="utf-8")


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["ranking", "rejected"]) | text,
    st.integers(-2, 12) | st.integers(10**10, 10**12),
    st.integers(0, 12) | st.just(100),
    st.sampled_from(["index.html", "../index.html"]) | text,
    st.booleans(),
)
@example("ranking", 10**11, 100, "index.html", True)
def test_page_links_are_the_macros(kind, page, count, home, mask):
    """The list pages' page links (on the index and every ranking-<n>.html) built in Python are
    what the template macro made, masked and escaped alike, on each page of a list."""
    env = make_environment(mask=mask)
    values = {"kind": kind, "page": page, "count": count, "home": home}
    call = "{{ pager(kind, page, count, home) }}"
    reference = env.from_string(PAGER + call).render(**values)
    assert env.from_string(call).render(**values) == reference
    assert env.from_string(call).render(**values) == reference  # the links made once, reused


# the 同案异罚 rows of like_cases_body.html before they were built in Python (html.outlier_rows_of)
OUTLIER_ROWS = (ROOT / "tests" / "data" / "like_case_rows.html").read_text(encoding="utf-8")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "file": text,
                "case_number": st.one_of(st.none(), text),
                "agency": st.one_of(st.none(), text),
                "amount": st.integers(0, 10**12) | st.floats(0, 1e12),
                "median": st.integers(0, 10**12) | st.floats(0, 1e12),
                "deviation": st.floats(-1e3, 1e3),
            }
        ),
        max_size=4,
    ),
    st.booleans(),
)
def test_like_case_rows_are_the_templates(outliers, mask):
    from casereview.report.finding_html import Fragment
    from casereview.report.html import yuan

    env = make_environment(mask=mask)
    env.filters["yuan"] = yuan
    pages = {o["file"]: f"cases/{i}.html" for i, o in enumerate(outliers[:2])}
    values = {
        "outliers": outliers,
        "pages": pages,
        "display": str.upper,
        "peers_cell": lambda o: Fragment(f"<i>{len(o['file'])}</i>"),
    }
    reference = env.from_string(OUTLIER_ROWS).render(**values)
    built = env.from_string("{{ outlier_rows(outliers, pages, display, peers_cell) }}").render(**values)
    assert built == reference


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_excerpts_come_from_the_text_just_reviewed_and_are_the_files_lines(
    tmp_path, book, profile, example_roster, make_sample_folder, newline, encoding, monkeypatch
):
    """The case page quotes the text the review has just decoded (no second read of the file):
    the same lines as reading the file again, whatever its line endings and encoding; the pages
    of the files reviewed last (a worker's chunk) still have their excerpts when the files are gone."""
    from casereview.batch import make_context
    from casereview.load import source
    from casereview.report.formats import ReportContext
    from casereview.report.html import HtmlReport, read_lines
    from casereview.review import review_file, review_files

    sample = make_sample_folder(tmp_path / "s", ("05-nankang-chaoxian-fakuan.yaml",))
    other = sample / "05-nankang-chaoxian-fakuan.yaml"
    text = other.read_text(encoding="utf-8")
    case = tmp_path / "case.yaml"
    case.write_bytes(text.replace("\n", newline).encode(encoding))
    review = make_context(book, profile, example_roster, "oracle")
    result = review_file(case, review)
    just_reviewed = read_lines(str(case))
    monkeypatch.setattr(source, "_recent", {})  # forgotten: read from disk
    monkeypatch.setattr(source, "_recent_chars", 0)
    assert just_reviewed == read_lines(str(case)) == text.splitlines()

    ctx = ReportContext(mask=True, root=tmp_path)
    ctx.use_profile(profile)
    report = HtmlReport(tmp_path / "out", ctx)
    page = report.render(result)
    assert result.findings and '<pre class="excerpt">' in page
    copies = [tmp_path / f"copy{i}.yaml" for i in range(3)]
    for copy in copies:
        copy.write_bytes(case.read_bytes())
    results = review_files([case, *copies], review)
    for path in (case, *copies):
        path.unlink()
    assert report.render(results[0]) == page
    assert all('<pre class="excerpt">' in report.render(r) for r in results)
