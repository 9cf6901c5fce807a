"""Report formats: SARIF 2.1.0 shape, JUnit XML shape, HTML escaping and masking, Excel sheets."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))

from casereview.evaluate.findings import Finding, Location, WaiverNote  # noqa: E402
from casereview.report import formats  # noqa: E402
from casereview.report.html import write_html  # noqa: E402
from casereview.report.junit import dumps as junit_dumps  # noqa: E402
from casereview.report.masking import mask  # noqa: E402
from casereview.report.sarif import dumps as sarif_dumps  # noqa: E402
from casereview.report.xlsx import write_xlsx  # noqa: E402
from casereview.review import CaseResult, RejectedInput  # noqa: E402
from casereview.score.scoring import CategoryScore, Score  # noqa: E402

ID_NO = "360102199001011234"
MOBILE = "13807915678"
EVIL = "<script>alert('x')</script>"


def finding(code="CERT-001", severity="veto", label="否决", message="询问只有 1 人", line=78) -> Finding:
    return Finding(
        code=code,
        rule_id=f"{code}#0",
        title="执法人员少于两人",
        severity=severity,
        severity_label=label,
        category="subject",
        message=message,
        basis=["《中华人民共和国行政处罚法》（2021）第42条第1款"],
        location=Location(file="cases/a.yaml", field="acts[3].by", line=line, column=5),
        values={"n_performers": 2, "phone": MOBILE},
        notes=["注意"],
    )


def reviewed(**kw) -> CaseResult:
    findings = kw.pop(
        "findings",
        [
            finding(),
            finding("TS-001", "deduct", "扣分", "未公示", 12),
            finding("CERT-003", "review", "待人工评查", "证件无法核验", 20),
        ],
    )
    data = dict(
        file="cases/a.yaml",
        status="reviewed",
        case_number="（洪青）应急罚〔2024〕15号",
        title=f"某公司未设置安全警示标志案{EVIL}",
        agency="南昌市青山湖区应急管理局",
        region="360111",
        party=f"张三（身份证 {ID_NO}，电话 {MOBILE}）",
        procedure="一般程序",
        score=Score(
            score=0,
            grade="不合格",
            vetoed=True,
            categories=[CategoryScore(id="subject", name="主体与执法资格", max=15, deducted=0, score=15)],
            veto_codes=["CERT-001"],
            pending_review=1,
            three_systems=0.5,
            profile="example",
        ),
        findings=findings,
        notes=[f"备注 {EVIL}"],
        facts_digest={"penalties": [], "outcome": "penalty", "fine_total": 1000},
    )
    data.update(kw)
    return CaseResult(**data)


def rejected_result() -> CaseResult:
    return CaseResult(
        file="cases/bad.yaml",
        status="rejected",
        errors=[RejectedInput(file="cases/bad.yaml", line=3, column=1, field="case", message="缺少必填字段")],
    )


META = {"tool_version": "0.1.0", "rules_version": "test"}


# ------------------------------------------------------------------ SARIF


def check_sarif_shape(doc: dict) -> None:
    """Required properties of SARIF 2.1.0 (sarif-schema-2.1.0.json, §3) for what we emit."""
    assert doc["version"] == "2.1.0"
    assert isinstance(doc["runs"], list) and doc["runs"]
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str) and driver["name"]
        ids = []
        for rule in driver.get("rules", []):
            assert isinstance(rule["id"], str) and rule["id"]
            assert isinstance(rule["shortDescription"]["text"], str)
            assert rule["defaultConfiguration"]["level"] in {"none", "note", "warning", "error"}
            ids.append(rule["id"])
        assert len(ids) == len(set(ids))
        for res in run["results"]:
            assert isinstance(res["message"]["text"], str) and res["message"]["text"]
            assert res["level"] in {"none", "note", "warning", "error"}
            assert res["ruleId"] in ids
            assert ids[res["ruleIndex"]] == res["ruleId"]
            for loc in res["locations"]:
                phys = loc["physicalLocation"]
                assert isinstance(phys["artifactLocation"]["uri"], str)
                region = phys["region"]
                assert isinstance(region["startLine"], int) and region["startLine"] >= 1
                if "startColumn" in region:
                    assert region["startColumn"] >= 1


def test_sarif_shape_levels_and_locations():
    doc = json.loads(sarif_dumps([reviewed(), rejected_result()], META))
    check_sarif_shape(doc)
    results = doc["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in results}
    assert by_rule["CERT-001"]["level"] == "error"
    assert by_rule["TS-001"]["level"] == "error"
    assert by_rule["CERT-003"]["level"] == "note"
    region = by_rule["CERT-001"]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 78, "startColumn": 5}
    assert by_rule["CERT-001"]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "acts[3].by"
    rejected = by_rule["INPUT-000"]
    assert rejected["level"] == "error"
    assert rejected["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "cases/bad.yaml"
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert "行政处罚法" in rules["CERT-001"]["help"]["text"]


def test_warn_is_warning():
    doc = json.loads(sarif_dumps([reviewed(findings=[finding("X-001", "warn", "提示")])], META))
    assert doc["runs"][0]["results"][0]["level"] == "warning"


# ------------------------------------------------------------------ JUnit


def test_junit_shape():
    root = ET.fromstring(junit_dumps([reviewed(), rejected_result()], META))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["cases/a.yaml", "cases/bad.yaml"]
    total = 0
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("errors")) == sum(c.find("error") is not None for c in cases)
        for c in cases:
            assert c.get("name") and c.get("classname")
        total += len(cases)
    assert int(root.get("tests")) == total
    good, bad = suites
    failed = {c.get("name").split()[0] for c in good.findall("testcase") if c.find("failure") is not None}
    assert failed == {"CERT-001", "TS-001"}  # CERT-003 is 待人工评查: below the default --fail-on deduct
    (pending,) = [c for c in good.findall("testcase") if c.get("name").startswith("CERT-003")]
    assert "证件无法核验" in pending.find("system-out").text
    root = ET.fromstring(junit_dumps([reviewed()], META, fail_on="veto"))
    failed = {c.get("name").split()[0] for c in root.iter("testcase") if c.find("failure") is not None}
    assert failed == {"CERT-001"}  # --fail-on veto: deductions and review items pass
    root = ET.fromstring(junit_dumps([reviewed()], META, fail_on="review"))
    failed = {c.get("name").split()[0] for c in root.iter("testcase") if c.find("failure") is not None}
    assert failed == {"CERT-001", "TS-001", "CERT-003"}
    # one testcase per rule: rules that did not fire here still appear (as passes)
    assert len(good.findall("testcase")) >= 3
    (only,) = bad.findall("testcase")
    assert only.find("error") is not None and "缺少必填字段" in only.find("error").text


def test_check_formats_registered():
    assert {"junit", "sarif", "text", "json"} <= set(formats.FORMATS)


# ------------------------------------------------------------------ masking / escaping


def test_mask_patterns():
    assert mask(f"身份证{ID_NO}") == "身份证3601**********1234"
    assert mask(f"手机{MOBILE}号") == "手机138****5678号"
    assert mask("36010219900101123X") == "3601**********123X"
    assert mask("罚款 20000 元，案号 2024015") == "罚款 20000 元，案号 2024015"
    assert mask("91360111MA35K7R235") == "91360111MA35K7R235"  # credit codes are not personal


def _html_text(out: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in [out / "index.html", *sorted((out / "cases").iterdir())]
    )


def test_html_masks_by_default_and_escapes(tmp_path):
    write_html([reviewed(), rejected_result()], tmp_path, META)
    text = _html_text(tmp_path)
    assert ID_NO not in text and MOBILE not in text
    assert "3601**********1234" in text and "138****5678" in text
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    case = (tmp_path / "cases" / "1.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in case
    assert "cases/a.yaml:78:5" in case and "acts[3].by" in case
    assert "《中华人民共和国行政处罚法》（2021）第42条第1款" in case
    assert "待人工评查事项（1）" in case
    rejected = (tmp_path / "cases" / "2.html").read_text(encoding="utf-8")
    assert "缺少必填字段" in rejected
    css = (tmp_path / "style.css").read_text(encoding="utf-8")
    assert "@page" in css and "Noto Sans CJK SC" in css
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text


def test_html_no_mask(tmp_path):
    write_html([reviewed()], tmp_path, META, mask=False)
    text = _html_text(tmp_path)
    assert ID_NO in text and MOBILE in text
    assert "<script>" not in text


def test_xlsx_sheets_and_masking(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    evil = reviewed(case_number='=HYPERLINK("http://x")')
    path = write_xlsx([reviewed(), rejected_result(), evil], tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["评查结果汇总表", "问题明细", "各单位统计", "同案异罚"]
    summary = wb["评查结果汇总表"]
    rows = list(summary.iter_rows(values_only=True))
    header = rows[2]
    assert header[:3] == ("序号", "执法单位", "案号")
    col = {name: i for i, name in enumerate(header)}
    data = rows[3:]
    assert len(data) == 3
    assert data[0][col["否决项"]] == "CERT-001" and data[0][col["扣分项数"]] == 1
    assert "CERT-001 执法人员少于两人" in data[0][col["主要问题"]]
    assert data[1][col["状态"]] == "无法评查" and "缺少必填字段" in data[1][col["主要问题"]]
    assert all(ID_NO not in str(v) for row in rows for v in row)
    assert summary.cell(6, 3).data_type == "s"  # formula-looking text stays text
    details = list(wb["问题明细"].iter_rows(values_only=True))
    assert len(details) == 3 + 3 + 1 + 3
    assert details[3][6] == "主体与执法资格"  # category in Chinese, not `subject`


def test_xlsx_cells_keep_their_text_and_type(tmp_path):
    """The workbook's data rows are written without openpyxl's cell writer: text with markup,
    spaces, formula signs or control characters, and numbers, read back as they were given."""
    openpyxl = pytest.importorskip("openpyxl")
    tricky = reviewed(
        case_number="=SUM(A1:A9)",
        title='  前后有空格 & <b>加粗</b> "引号"  ',
        agency="@单位",
        party="",
        procedure="bad\x01char",
    )
    path = write_xlsx([tricky], tmp_path / "r.xlsx", mask=False)
    sheet = openpyxl.load_workbook(path)["评查结果汇总表"]
    header = [c.value for c in sheet[3]]
    row = {h: c for h, c in zip(header, sheet[4], strict=True)}
    assert row["案号"].value == "=SUM(A1:A9)" and row["案号"].data_type == "s"  # not a formula
    assert row["案由"].value == '  前后有空格 & <b>加粗</b> "引号"  '
    assert row["执法单位"].value == "@单位"
    assert row["当事人"].value is None  # an empty text is an empty cell
    assert row["程序"].value == "bad\\x01char"  # shown escaped: not valid in a workbook
    assert row["序号"].value == 1 and row["得分"].value == 0 and row["得分"].data_type == "n"
    assert row["扣分项数"].value == 1
    details = list(openpyxl.load_workbook(path)["问题明细"].iter_rows(min_row=4, values_only=True))
    assert [r[3] for r in details] == ["CERT-001", "TS-001", "CERT-003"]
    assert all(r[0] == 1 for r in details)


@pytest.mark.parametrize("masked", [True, False])
def test_xlsx_details_show_each_place_and_waiver(tmp_path, masked):
    """问题明细: each finding's place (file:line:column field) and waiver note, masked unless masking
    is off, an empty 豁免 for a finding not waived; the 汇总表 counts only findings not waived."""
    openpyxl = pytest.importorskip("openpyxl")

    waived = finding("TS-001", "deduct", "扣分", "未公示")
    waived.waiver = WaiverNote(reason=f"经批准 {MOBILE}", approver="李四", expires="2026-12-31")
    other = finding("TS-002", "deduct", "扣分", "未公示")
    other.location = Location(file=f"cases/{MOBILE}.yaml", field="party.id", line=7, column=None)
    path = write_xlsx([reviewed(findings=[finding(), waived, other])], tmp_path / "r.xlsx", mask=masked)
    book = openpyxl.load_workbook(path)
    details = list(book["问题明细"].iter_rows(min_row=4, values_only=True))
    shown = mask(MOBILE) if masked else MOBILE
    assert [(r[10], r[11]) for r in details] == [
        ("cases/a.yaml:78:5 acts[3].by", None),
        ("cases/a.yaml:78:5 acts[3].by", f"已豁免：经批准 {shown}（李四，至 2026-12-31）"),
        (f"cases/{shown}.yaml:7 party.id", None),
    ]
    header = [c.value for c in book["评查结果汇总表"][3]]
    summary = dict(zip(header, [c.value for c in book["评查结果汇总表"][4]], strict=True))
    assert summary["扣分项数"] == 1 and "TS-001 执法人员少于两人（已豁免）" in summary["主要问题"]


@settings(max_examples=300, deadline=None)
@given(st.integers() | st.floats() | st.integers(-(2**54), 2**54) | st.sampled_from([2**53 - 1, 2**53]))
def test_xlsx_number_cells_are_written_as_excel_reads_them(value):
    """A number's cell holds it as `%.16g` writes it (what openpyxl writes), integers taken
    a shorter way: the same digits."""
    import math

    from casereview.report.xlsx import _REFS, _cell

    text = "" if math.isnan(value) or math.isinf(value) else f"{value:.16g}"
    assert _cell(_REFS[0], value) == f'{_REFS[0]} t="n"><v>{text}</v></c>'


_PIECES = st.lists(
    st.sampled_from([*"0123456789 -Xx\u00a0－１案&<>\t\x01;：.", MOBILE, ID_NO, "1380791", "5678"]),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    name=_PIECES,
    field=_PIECES,
    titles=st.lists(_PIECES, min_size=1, max_size=3),
    line=st.integers(0, 10**12),
    column=st.none() | st.integers(0, 10**12),
    masked=st.booleans(),
)
def test_xlsx_cells_made_of_parts_are_the_cells_of_the_whole_texts(name, field, titles, line, column, masked):
    """问题明细's 位置 is made from the file's name and the rest of the place apart, 汇总表's 主要问题
    from each rule's label apart, masked and escaped each (xlsx.rows): the cells are those of the
    whole texts, masked and escaped."""
    from casereview.report.formats import ReportContext
    from casereview.report.location import where
    from casereview.report.xlsx import _REFS, XlsxReport, _cell

    findings = []
    for i, title in enumerate(titles):
        f = finding(f"R{i}-1", line=line)
        f.title, f.location = title, Location(file=name, field=field, line=line, column=column)
        findings.append(f)
    findings[-1].waiver = WaiverNote(reason="经批准", approver="李四", expires="2026-12-31")
    ctx = ReportContext(mask=masked)
    report = XlsxReport(Path("unused.xlsx"), ctx)
    summary, details = report.rows(reviewed(file=name, findings=findings), 0)

    def cell(column: int, text: str) -> bytes:
        return _cell(_REFS[column], mask(text) if masked else text).encode()

    labels = [f"R{i}-1 {t}" for i, t in enumerate(titles)]
    labels[-1] += "（已豁免）"
    assert cell(len(report.summary_header) - 2, "；".join(labels)) in summary
    place = cell(10, where(ctx.display(name), line, column, field))
    assert all(place in row for row in details)


def test_xlsx_keeps_cells_of_short_texts_only():
    """A repeated cell (a message, a legal basis) is made once and kept (xlsx._kept), but a long
    text (a message quoting a case text) is made again each time, so the kept cells stay small;
    both are the cells of their masked texts."""
    from casereview.report.formats import ReportContext
    from casereview.report.xlsx import _REFS, XlsxReport, _cell

    long = "当事人陈述：" + "说明" * 600 + " 13812345678"
    short = "罚款金额超出裁量基准 13812345678"
    findings = [finding("R1-1"), finding("R2-1")]
    findings[0].message, findings[1].message = short, long
    report = XlsxReport(Path("unused.xlsx"), ReportContext(mask=True))
    _, details = report.rows(reviewed(findings=findings), 0)
    for text in (short, long):
        assert any(_cell(_REFS[8], mask(text)).encode() in row for row in details)
    kept = {key[1] for key in report._encoded if len(key) == 2}  # (column, text): `_kept`'s
    assert short in kept and long not in kept


@pytest.mark.parametrize("count", [0, 1, 2, 4])
def test_xlsx_rows_made_with_what_other_files_left_are_those_made_afresh(count):
    """The workbook keeps the cells it made (a text's, a place's, a rule's columns, a score block)
    in one memo keyed by what each shows: rows made after other files' are the rows a report made
    afresh, whatever the number of score categories (0, 1, 2, 4 make a score block's key as long
    as a text's, a place's or a rule's)."""
    from casereview.report.formats import ReportContext
    from casereview.report.xlsx import _REFS, XlsxReport, _cell

    ids = ["subject", "procedure", "evidence", "law"][:count]
    results = []
    for i in range(6):
        r = reviewed(file=f"cases/{i % 2}.yaml")
        r.score.categories = [
            CategoryScore(id=c, name=f"类{c}", max=10, deducted=(i + n) % 3, score=10 - (i + n) % 3)
            for n, c in enumerate(ids)
        ]
        r.score.grade = ("合格", "不合格", "R1-1")[i % 3]
        for n, f in enumerate(r.findings):
            f.location = Location(file=r.file, field=f"subject.{n}", line=i + n + 1, column=i % 2 or None)
            f.message = ("相同的说明", f"说明 {i}")[n % 2]
            f.basis = ["相同的说明"]  # the same text in two columns: two cells
        results.append(r)

    def context() -> ReportContext:
        ctx = ReportContext(mask=True)
        ctx.categories = [(c, f"类{c}") for c in ids]
        return ctx

    shared = XlsxReport(Path("unused.xlsx"), context())
    for _ in range(2):
        for i, r in enumerate(results):
            summary, details = shared.rows(r, i)
            assert (summary, details) == XlsxReport(Path("unused.xlsx"), context()).rows(r, i), (count, i)
            for column in (8, 9):
                assert all(_cell(_REFS[column], "相同的说明").encode() in row for row in details[::2])


def test_xlsx_summary_rows_show_each_files_own_score(tmp_path):
    """汇总表's score columns of files with the same points deducted (made once, xlsx._scored)
    still show each file's own grade, vetoes and counts."""
    openpyxl = pytest.importorskip("openpyxl")

    def scored(grade, deducted, vetoes, score):
        cats = [
            CategoryScore(id="subject", name="主体与执法资格", max=15, deducted=deducted, score=15 - deducted)
        ]
        return Score(
            score=score,
            grade=grade,
            vetoed=bool(vetoes),
            categories=cats,
            veto_codes=vetoes,
            profile="example",
        )

    results = [
        reviewed(score=scored("不合格", 0, ["CERT-001"], 0.0)),
        reviewed(
            score=scored("优秀", 0, [], 100.0), findings=[finding("TS-001", "deduct", "扣分", "未公示")]
        ),
        reviewed(score=scored("合格", 5, [], 92.5), findings=[]),
        reviewed(score=scored("不合格", 0, ["CERT-001", "CERT-003"], 0.0)),
        rejected_result(),
    ]
    sheet = openpyxl.load_workbook(write_xlsx(results, tmp_path / "r.xlsx"))["评查结果汇总表"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    col = {name: i for i, name in enumerate(rows[0])}
    shown = [
        tuple(
            row[col[name]]
            for name in ("得分", "等次", "扣分合计", "主体与执法资格扣分", "否决项", "扣分项数")
        )
        for row in rows[1:]
    ]
    assert shown == [
        (0, "不合格", 0, 0, "CERT-001", 1),
        (100, "优秀", 0, 0, None, 1),
        (92.5, "合格", 5, 5, None, 0),
        (0, "不合格", 0, 0, "CERT-001、CERT-003", 1),
        (None, None, None, None, None, 0),
    ]


def test_xlsx_columns_are_named_as_openpyxl_names_them_without_importing_it():
    """Rows are made (in the workers) without openpyxl, which only lays the workbook out: the
    column letters are openpyxl's."""
    import subprocess

    from openpyxl.utils import get_column_letter

    from casereview.report.xlsx import _column_letters

    assert [_column_letters(i) for i in range(1, 18279)] == [get_column_letter(i) for i in range(1, 18279)]
    code = (
        "import sys; from casereview.report.formats import ReportContext; from casereview.report.xlsx "
        "import XlsxReport; XlsxReport('r.xlsx', ReportContext()); print('openpyxl' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("kept", [0, 2])
@pytest.mark.parametrize("masked", [True, False])
def test_xlsx_cells_made_once_are_the_cells_made_each_time(tmp_path, monkeypatch, kept, masked):
    """A text repeated from row to row is turned into its cell once (xlsx._row): the workbook is
    the same when (almost) nothing is kept for reuse, masked or not."""
    openpyxl = pytest.importorskip("openpyxl")
    from casereview.report import xlsx

    results = [reviewed(case_number=f"案〔2024〕{i}号", party=f"张三 {MOBILE}") for i in range(5)]
    results.append(rejected_result())

    def cells(path: Path) -> list[list[object]]:
        book = openpyxl.load_workbook(path)
        return [[c.value for c in row] for ws in book.worksheets for row in ws.iter_rows(min_row=3)]

    reused = cells(write_xlsx(results, tmp_path / "a.xlsx", mask=masked))
    monkeypatch.setattr(xlsx, "_MADE_MAX", kept)
    assert cells(write_xlsx(results, tmp_path / "b.xlsx", mask=masked)) == reused
    assert (MOBILE in str(reused)) is not masked


@pytest.mark.parametrize(
    "expression",
    [
        "r.case_number",
        "r.score.categories[0].name",
        "d.key",
        "d.missing",
        "d.items",
        "d.get('key')",
        "r._private",
        "r.__class__",
        "r.__class__.__mro__",
        "r.model_dump()['file']",
        "f.__globals__",
        "f.__code__.co_name",
        "'{0.__class__}'.format(r)",
        "r.case_number.format(1)",
        "r.findings[0].values.phone",
    ],
)
def test_html_sandbox_fast_path_answers_as_the_sandbox(tmp_path, expression):
    """Attribute lookups take a fast path (html._Environment): every expression renders the
    same, or fails the same way, as in jinja2's own SandboxedEnvironment."""
    from jinja2.sandbox import SandboxedEnvironment

    from casereview.report.html import make_environment

    values = {"r": reviewed(), "d": {"key": 1, "items": 2}, "f": reviewed}

    def outcome(env):
        try:
            return env.from_string("{{ " + expression + " }}").render(**values)
        except Exception as exc:  # the same exception type either way
            return type(exc)

    fast = make_environment(tmp_path, mask=False)
    stock = SandboxedEnvironment(autoescape=True, finalize=lambda v: "" if v is None else v)
    assert outcome(fast) == outcome(stock)


# ------------------------------------------------------------------ Excel 评查结果 ready for a 通报


@pytest.fixture(scope="module")
def campaign_report(tmp_path_factory) -> Path:
    from casereview.cli import main

    out = tmp_path_factory.mktemp("campaign")
    code = main(
        [
            "review",
            str(ROOT / "casefiles"),
            "-o",
            str(out),
            "--roster",
            str(ROOT / "casefiles" / "roster.yaml"),
            "--campaign",
            "2026年全省应急管理行政处罚案卷评查",
            "--engine",
            "oracle",
            "--workers",
            "0",
            "--no-cache",
            "--isolated",
        ]
    )
    assert code in (0, 1, 2)
    return out


def test_excel_is_ready_for_a_circular(campaign_report: Path):
    openpyxl = pytest.importorskip("openpyxl")
    doc = json.loads((campaign_report / "results.json").read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(campaign_report / "评查结果.xlsx")
    assert wb.sheetnames == ["评查结果汇总表", "问题明细", "各单位统计", "同案异罚"]
    for ws in wb:
        title, run, header = (next(ws.iter_rows(min_row=n, max_row=n, values_only=True)) for n in (1, 2, 3))
        assert title[0].startswith("2026年全省应急管理行政处罚案卷评查")
        assert (
            "评查日期：" in run[0]
            and "评查标准：" in run[0]
            and f"规则版本：{doc['rules_version']}" in run[0]
        )
        assert f"A1:{ws.cell(3, ws.max_column).column_letter}1" in {str(r) for r in ws.merged_cells.ranges}
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A3:")  # autofilter on the header
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$3:$3" and ws.freeze_panes == "A4"
        texts = [str(v) for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
        assert all(not t.startswith("/") and str(ROOT) not in t for t in texts)  # no local paths
        assert all(h for h in header) and all(not h.isascii() for h in header)  # Chinese headers
    summary = list(wb["评查结果汇总表"].iter_rows(min_row=3, values_only=True))
    col = {name: i for i, name in enumerate(summary[0])}
    for name in ("得分", "等次", "扣分合计", "主体与执法资格扣分", "程序扣分", "适用法律与裁量扣分"):
        assert name in col
    rows = summary[1:]
    assert len(rows) == len(doc["results"])
    for row, result in zip(rows, doc["results"], strict=True):
        cats = {c["name"]: c["deducted"] for c in result["score"]["categories"]}
        assert row[col["扣分合计"]] == sum(cats.values())
        assert row[col["程序扣分"]] == cats["程序"]
    details = list(wb["问题明细"].iter_rows(min_row=3, values_only=True))
    dcol = {name: i for i, name in enumerate(details[0])}
    categories = {r[dcol["类别"]] for r in details[1:]}
    assert categories and all(not c.isascii() for c in categories)  # 类别 in Chinese
    assert any(r[dcol["扣分（分）"]] for r in details[1:] if r[dcol["严重程度"]] == "扣分")
    agencies = list(wb["各单位统计"].iter_rows(min_row=3, values_only=True))
    acol = {name: i for i, name in enumerate(agencies[0])}
    for name in ("案卷数", "合格率", "平均分", "否决率", "三项制度执行率", "载明裁量基准比例", "提示"):
        assert name in acol
    assert any("零处罚" in (r[acol["提示"]] or "") for r in agencies[1:])
    assert agencies[-1][0] == "合计" and agencies[-1][acol["案卷数"]] == len(doc["results"])
    like = list(wb["同案异罚"].iter_rows(min_row=3, values_only=True))
    groups = doc["analysis"]["like_cases"]["groups"]
    assert len(like) - 1 == sum(len(g["members"]) for g in groups)
    assert like[1][0] == groups[0]["label"]


def test_xlsx_rows_written_in_batches_are_the_rows_written_at_once(tmp_path, monkeypatch):
    """The parent writes the numbered rows to their temporary file ~1 MB at a time (xlsx._Rows):
    the workbook is the same when every file's rows are written at once."""
    import zipfile

    from casereview.report import xlsx

    results = [reviewed(case_number=f"案〔2024〕{i}号") for i in range(40)] + [rejected_result()]
    batched = write_xlsx(results, tmp_path / "a.xlsx")
    monkeypatch.setattr(xlsx, "_WRITE_BYTES", 1)
    at_once = write_xlsx(results, tmp_path / "b.xlsx")
    stamp = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")  # docProps: when written
    with zipfile.ZipFile(batched) as a, zipfile.ZipFile(at_once) as b:
        assert all(stamp.sub(b"", a.read(name)) == stamp.sub(b"", b.read(name)) for name in a.namelist())
        rows = re.findall(rb'<row r="(\d+)"', a.read("xl/worksheets/sheet2.xml"))
    assert [int(n) for n in rows] == list(range(1, 3 + 3 * 40 + 1 + 1))


@pytest.mark.parametrize("partial", [True, False])
def test_an_interrupted_review_is_marked_partial_in_html_and_excel(tmp_path, partial):
    """Only JSON carried `partial`; the summary pages and every sheet say so too."""
    openpyxl = pytest.importorskip("openpyxl")
    from casereview.report.formats import ReportContext

    ctx = ReportContext(rules_version="r1", generated="2026-03-01 10:00")
    ctx.extra["partial"] = partial
    results = [reviewed(), rejected_result()]
    sink = formats.get("html").open_folder(tmp_path, ctx)
    xlsx = formats.get("xlsx").open_path(tmp_path / "r.xlsx", ctx)
    for i, result in enumerate(results):
        sink.add(result, i)
        xlsx.add(result, i)
    sink.finish(None)
    xlsx.finish(formats.analysis_of(results))
    banner = "评查被中断：本报告不完整"
    assert (banner in (tmp_path / "index.html").read_text(encoding="utf-8")) is partial
    assert (banner in (tmp_path / "like-cases.html").read_text(encoding="utf-8")) is partial
    assert banner not in (tmp_path / "cases" / "1.html").read_text(encoding="utf-8")
    for sheet in openpyxl.load_workbook(tmp_path / "r.xlsx"):
        assert ("评查被中断：结果不完整" in sheet["A2"].value) is partial


def test_excel_full_paths_only_when_asked(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from casereview.report.formats import ReportContext

    absolute = reviewed(file=str(tmp_path / "secret" / "a.yaml"))
    ctx = ReportContext(root=tmp_path)
    write_xlsx([absolute], tmp_path / "r.xlsx", ctx=ctx)
    cells = [v for row in openpyxl.load_workbook(tmp_path / "r.xlsx")["评查结果汇总表"].values for v in row]
    assert "secret/a.yaml" in cells and str(tmp_path) not in " ".join(map(str, cells))
    write_xlsx([absolute], tmp_path / "f.xlsx", ctx=ReportContext(root=tmp_path, full_paths=True))
    cells = [v for row in openpyxl.load_workbook(tmp_path / "f.xlsx")["评查结果汇总表"].values for v in row]
    assert str(tmp_path / "secret" / "a.yaml") in cells


# ------------------------------------------------------------------ HTML that reads well


def test_html_case_page_groups_sorts_labels_and_quotes_the_file(campaign_report: Path):
    doc = json.loads((campaign_report / "results.json").read_text(encoding="utf-8"))
    index = next(
        i for i, r in enumerate(doc["results"]) if r["file"].endswith("05-nankang-chaoxian-fakuan.yaml")
    )
    page = (campaign_report / "cases" / f"{index + 1}.html").read_text(encoding="utf-8")
    assert "2026年全省应急管理行政处罚案卷评查" in page and "生成时间 20" in page
    assert "f_" not in page and "n_performers" not in page  # value labels in Chinese
    assert "罚款金额" in page or "罚款" in page
    assert '<pre class="excerpt">' in page and '<span class="hit"><span class="ln">190</span>' in page
    sections = re.findall(r'<section class="finding (\w+)[^"]*" id="rule-([\w-]+)"', page)
    order = {"veto": 0, "deduct": 1, "warn": 2, "review": 3}
    ranks = [order[s] for s, _ in sections]
    assert ranks == sorted(ranks)  # severity first


def test_html_repeated_findings_grouped_with_places(campaign_report: Path):
    doc = json.loads((campaign_report / "results.json").read_text(encoding="utf-8"))
    found = None
    for i, r in enumerate(doc["results"]):
        codes = [f["code"] for f in r["findings"]]
        repeated = {c for c in codes if codes.count(c) > 1}
        if repeated:
            found = i
            break
    assert found is not None, "casefiles/ has a case with a rule firing at several places"
    page = (campaign_report / "cases" / f"{found + 1}.html").read_text(encoding="utf-8")
    code = sorted(repeated)[0]
    assert page.count(f'id="rule-{code}"') == 1
    section = page[page.index(f'id="rule-{code}"') :]
    section = section[: section.index("</section>")]
    assert section.count("<li>") == codes.count(code) and f"{codes.count(code)} 处" in section
    lines = [int(n) for n in re.findall(r"第 (\d+) 行", section)]
    assert lines == sorted(lines)


def test_finding_points_at_the_specific_act(campaign_report: Path):
    doc = json.loads((campaign_report / "results.json").read_text(encoding="utf-8"))
    located = [f["location"]["field"] for r in doc["results"] for f in r["findings"]]
    assert located and "acts" not in located  # never just the `acts:` list
    late = [
        f
        for r in doc["results"]
        if r["file"].endswith("11-qingshanhu-songda-chaoqi.yaml")
        for f in r["findings"]
        if f["code"] == "DEAD-002"
    ]
    assert late and re.fullmatch(r"acts\[\d+\]", late[0]["location"]["field"])


def test_html_index_points_and_campaign(campaign_report: Path):
    index = (campaign_report / "index.html").read_text(encoding="utf-8")
    assert "2026年全省应急管理行政处罚案卷评查" in index and "生成时间 20" in index
    table = index[index.index('id="ranking-table"') :]
    table = table[: table.index("</table>")]
    assert '<th class="num">扣分</th>' in table and re.search(r">\d+ 分</td>", table)


def test_score_histogram_draws_every_bar_and_masks_nothing_in_it(campaign_report: Path):
    """A bar's height of 150·6/21 once came out as 42.857142857142854, which masking took for a
    personal number and broke (42.8571*******2854): the bars of 6 and 5 files were not drawn."""
    index = (campaign_report / "index.html").read_text(encoding="utf-8")
    svg = index[index.index('<svg class="hist"') : index.index("</svg>")]
    assert "*" not in svg
    bars = re.findall(r'<rect x="\d+" y="([\d.]+)" width="50" height="([\d.]+)"><title>[^<]*：(\d+) 件', svg)
    # 33 samples, of which 3 are ungraded (2 无法评分, 1 未结案): their reference scores are not drawn
    assert len(bars) == 10 and sum(int(n) for _, _, n in bars) == 30
    assert all((float(h) > 0) == (int(n) > 0) for _, h, n in bars)


def test_html_index_is_paged_and_bounded_for_thousands(tmp_path):
    results = [
        reviewed(file=f"cases/{i:04d}.yaml", case_number=f"（测）应急罚〔2026〕{i}号", party=f"某公司{i}")
        for i in range(1, 1201)
    ]
    write_html(results, tmp_path, META)
    index = tmp_path / "index.html"
    assert index.stat().st_size < 300_000
    pages = sorted(tmp_path.glob("ranking-*.html"))
    assert len(pages) == 11  # 1,200 files, 100 per page, the first on the index
    seen = set()
    for page in [index, *pages]:
        text = page.read_text(encoding="utf-8")
        seen |= set(re.findall(r"（测）应急罚〔2026〕(\d+)号", text))
        assert 'data-filter="#ranking-table"' in text
        assert page.stat().st_size < 300_000
    assert len(seen) == 1200


def test_value_labels_are_chinese_for_facts_and_benchmark_circumstances():
    from casereview.packs.loader import load_rulebook
    from casereview.report.labels import value_label, value_labels

    labels = value_labels(load_rulebook())
    assert value_label("f_locations_count", labels).startswith("未设置明显安全警示标志的场所")
    assert value_label("procedure", labels) == "程序类型"
    assert value_label("province", labels) == "执法机关所在省级行政区划代码前两位"
    assert all(not label.isascii() for name, label in labels.items() if not name.startswith("f_"))


def test_finish_all_finishes_every_sink_and_raises_the_first_error():
    """The workbook is finished in a thread beside the HTML pages (formats.finish_all): every
    report is still finished, and a failure in either thread reaches the caller (exit code 4).
    While both run, a thread taking the GIL back after a system call waits at most
    TAIL_SWITCH_INTERVAL behind the other; the process's own interval is restored after."""
    import sys
    import threading

    from casereview.report.formats import TAIL_SWITCH_INTERVAL, Sink, finish_all

    done: list[str] = []
    switches: list[float] = []

    class Pages(Sink):
        def finish(self, analysis):
            done.append(("pages", threading.current_thread() is threading.main_thread()))
            switches.append(sys.getswitchinterval())

    class Workbook(Sink):
        threaded_finish = True

        def __init__(self, fail: bool):
            self.fail = fail

        def finish(self, analysis):
            done.append(("workbook", threading.current_thread() is threading.main_thread()))
            if self.fail:
                raise OSError(28, "No space left on device")

    before = sys.getswitchinterval()
    assert before > TAIL_SWITCH_INTERVAL
    finish_all([Pages(), Workbook(False)], None)
    assert sorted(done) == [("pages", True), ("workbook", False)]
    done.clear()
    with pytest.raises(OSError, match="No space"):
        finish_all([Workbook(True), Pages()], None)
    assert sorted(done) == [("pages", True), ("workbook", False)]
    assert switches == [TAIL_SWITCH_INTERVAL] * 2 and sys.getswitchinterval() == before
    finish_all([Pages()], None)  # no thread beside it: the interval is left alone
    assert switches[-1] == before


class _Written(formats.Sink):
    """A sink whose finishing writes the process it ran in (or fails as told)."""

    forked_finish = True

    def __init__(self, path: Path, fail: str = "", parent: int = 0):
        self.path, self.fail, self.parent = path, fail, parent

    def finish(self, analysis):
        import os

        if self.fail == "killed" and os.getpid() != self.parent:  # the child ends without a word
            os._exit(3)
        if self.fail == "disk":
            raise OSError(28, "No space left on device", str(self.path))
        if self.fail == "bug":
            raise KeyError("missing")
        self.path.write_text(str(os.getpid()), encoding="utf-8")


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork on this platform")
def test_finish_all_renders_a_forked_sink_in_a_child_and_reports_what_it_raised(
    tmp_path, threads_of_this_test
):
    """The HTML summary pages are rendered in a forked child beside the other sinks' finishing
    (formats.finish_all): the child's work is done once, in another process; its OSError reaches
    the caller as that OSError (the CLI names the file, exit code 4); any other failure as an
    error carrying the child's traceback; a child killed on the way is finished by the parent."""
    import os

    from casereview.report.formats import Sink, finish_all

    class Json(Sink):
        def finish(self, analysis):
            (tmp_path / "json").write_text(str(os.getpid()), encoding="utf-8")

    pages = _Written(tmp_path / "pages")
    finish_all([pages, Json()], None)
    assert int(pages.path.read_text()) != os.getpid() == int((tmp_path / "json").read_text())
    assert formats.get("html").open_folder(tmp_path / "html", formats.ReportContext()).forked_finish

    (tmp_path / "json").unlink()
    with pytest.raises(OSError) as raised:
        finish_all([_Written(tmp_path / "full", "disk"), Json()], None)
    assert (raised.value.errno, raised.value.filename) == (28, str(tmp_path / "full"))
    assert (tmp_path / "json").exists()  # the others are finished all the same

    with pytest.raises(RuntimeError, match="KeyError: 'missing'"):
        finish_all([_Written(tmp_path / "bug", "bug"), Json()], None)

    killed = _Written(tmp_path / "killed", "killed", os.getpid())  # the parent finishes it
    finish_all([killed, Json()], None)
    assert int(killed.path.read_text()) == os.getpid()

    alone = _Written(tmp_path / "alone")  # nothing to finish beside it: no child
    finish_all([alone], None)
    assert int(alone.path.read_text()) == os.getpid()


def test_finish_all_forks_no_child_while_another_thread_runs(tmp_path, threads_of_this_test):
    """A thread of this process could hold a lock a forked child would then wait for forever:
    while one runs, the summary pages are rendered here."""
    import os
    import threading

    from casereview.report.formats import Sink, finish_all

    class Json(Sink):
        def finish(self, analysis):
            pass

    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        pages = _Written(tmp_path / "pages")
        finish_all([pages, Json()], None)
        assert int(pages.path.read_text()) == os.getpid()
    finally:
        release.set()
        other.join()
    finish_all([pages, Json()], None)
    assert int(pages.path.read_text()) != os.getpid()


def test_the_workbook_deflated_by_isal_holds_what_zlib_writes(tmp_path, monkeypatch):
    """The workbook's rows are deflated by ISA-L (xlsx.isal_zlib): every part of the workbook is
    what zlib's deflate gives, and its checksums hold."""
    import zipfile
    import zlib

    from casereview.report import xlsx

    used = []
    isal_zlib = xlsx.isal_zlib

    class Counting:
        @staticmethod
        def compressobj(*args):
            used.append(args)
            return isal_zlib.compressobj(*args)

    results = [reviewed(case_number=f"案〔2024〕{i}号") for i in range(300)] + [rejected_result()]
    with monkeypatch.context() as patch:
        patch.setattr(xlsx, "isal_zlib", Counting)
        fast = write_xlsx(results, tmp_path / "fast.xlsx")
    monkeypatch.setattr(xlsx, "isal_zlib", zlib)
    slow = write_xlsx(results, tmp_path / "zlib.xlsx")
    assert len(used) == 4  # each sheet's rows
    with zipfile.ZipFile(fast) as a, zipfile.ZipFile(slow) as b:
        assert a.testzip() is None and b.testzip() is None
        assert a.namelist() == b.namelist()
        stamp = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")  # docProps: when written
        assert all(stamp.sub(b"", a.read(name)) == stamp.sub(b"", b.read(name)) for name in a.namelist())
        assert a.read("xl/worksheets/sheet2.xml").count(b"<row ") == 3 + 3 * 300 + 1
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in a.infolist())


def test_a_case_page_written_again_is_the_new_page_whatever_was_there(tmp_path):
    """Case pages are overwritten in place (a review into the same folder): a shorter page over a
    longer one leaves nothing of the old one behind; a new name is created."""
    from casereview.report.html import write_file

    page = tmp_path / "1.html"
    write_file(str(page), "旧页面".encode() * 5000)
    write_file(str(page), b"<html>new</html>")
    assert page.read_bytes() == b"<html>new</html>"
    write_file(str(page), b"x" * 70_000)
    assert page.read_bytes() == b"x" * 70_000
    write_file(str(page), b"y" * 70_000)  # as long: written over, nothing to cut
    assert page.read_bytes() == b"y" * 70_000
    write_file(str(tmp_path / "2.html"), b"")
    assert (tmp_path / "2.html").read_bytes() == b""


def test_summary_pages_written_again_are_the_new_pages_whatever_was_there(tmp_path):
    """Summary pages and assets are written over the last review's in place too: a review of fewer
    files into the same folder gives the pages a review into a new folder gives."""
    from casereview.report.html import write_html
    from casereview.review import CaseResult
    from casereview.score.scoring import CategoryScore, Score

    score = Score(
        score=90,
        grade="良好",
        graded=True,
        status="scored",
        vetoed=False,
        categories=[CategoryScore(id="subject", name="主体", max=15, deducted=0, score=15)],
        profile="example",
    )

    def results(n: int) -> list[CaseResult]:
        return [
            CaseResult(file=f"{i}.yaml", status="reviewed", case_number=f"第{i}号", score=score)
            for i in range(n)
        ]

    meta = {"tool_version": "t", "rules_version": "t"}
    write_html(results(230), tmp_path / "again", meta)
    longer = (tmp_path / "again" / "index.html").stat().st_size
    write_html(results(3), tmp_path / "again", meta)
    write_html(results(3), tmp_path / "new", meta)
    names = ("index.html", "like-cases.html", "style.css", "filter.js")
    assert (tmp_path / "again" / "index.html").stat().st_size < longer
    for name in names:
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "new" / name).read_bytes(), name


def test_file_names_shown_with_folders_resolved_once_are_those_resolved_each_time(tmp_path, monkeypatch):
    """`ReportContext.display` resolves each folder once and only looks at the file itself: the
    names it shows are `display_file`'s, also for links (to files inside and outside the reviewed
    folder, to folders), missing files, relative names and files outside the folder."""
    import os

    from casereview.report.location import display_file, display_file_in

    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    for name in ("a.yaml", "sub/b.yaml"):
        (root / name).write_text("x", encoding="utf-8")
    (tmp_path / "out" / "c.yaml").write_text("x", encoding="utf-8")
    (root / "inside.yaml").symlink_to(root / "sub" / "b.yaml")
    (root / "outside.yaml").symlink_to(tmp_path / "out" / "c.yaml")
    (root / "linked").symlink_to(root / "sub", target_is_directory=True)
    (root / "away").symlink_to(tmp_path / "out", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    names = ["a.yaml", "sub/b.yaml", "inside.yaml", "outside.yaml", "linked/b.yaml", "away/c.yaml"]
    names.append("gone.yaml")
    paths = [str(root / n) for n in names] + [f"in/{n}" for n in names]
    paths += [str(tmp_path / "out" / "c.yaml"), "out/c.yaml", "in/sub/../a.yaml", "-", "", "in/sub/", "/"]
    dirs: dict[str, str] = {}
    for resolved in (root.resolve(), None):
        for path in paths * 2:  # the second time from the folders remembered
            assert display_file_in(path, resolved, dirs) == display_file(path, resolved, resolved=True), path
    assert os.path.realpath(root) in dirs.values()


def test_file_names_of_files_just_read_are_shown_without_looking_again(tmp_path, monkeypatch):
    """A case file the review has just read (`read_bytes`) and found no symbolic link is shown
    without a second look at it (no `lstat`): the same names as `display_file`; a link read so,
    or a file read once plain and then found a link, is still shown as its target."""
    from casereview.load import reader
    from casereview.report.location import display_file, display_file_in

    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (root / "a.yaml").write_text("x", encoding="utf-8")
    (root / "sub" / "b.yaml").write_text("x", encoding="utf-8")
    (tmp_path / "out" / "c.yaml").write_text("x", encoding="utf-8")
    (root / "inside.yaml").symlink_to(root / "sub" / "b.yaml")
    (root / "outside.yaml").symlink_to(tmp_path / "out" / "c.yaml")
    (root / "swapped.yaml").write_text("x", encoding="utf-8")
    names = ["a.yaml", "sub/b.yaml", "inside.yaml", "outside.yaml", "swapped.yaml"]
    paths = [str(root / n) for n in names]
    resolved = root.resolve()
    expected = {p: display_file(p, resolved, resolved=True) for p in paths}
    assert expected[str(root / "inside.yaml")] == "sub/b.yaml"
    for path in paths:
        assert reader.read_bytes(path) == b"x"
    assert [reader.not_a_link(p) for p in paths] == [True, True, False, False, True]
    looked = []
    real_lstat = os.lstat
    monkeypatch.setattr(os, "lstat", lambda p, *a, **k: looked.append(p) or real_lstat(p, *a, **k))
    for path in paths:
        assert display_file_in(path, resolved, {}) == expected[path], path
    looked_at = {str(p) for p in looked}
    assert {str(root / n) for n in ("inside.yaml", "outside.yaml")} <= looked_at  # links: looked at
    assert not looked_at & {str(root / n) for n in ("a.yaml", "swapped.yaml")}  # read plain: not
    # read plain, then made a link and read again: shown as the link's target
    swapped = str(root / "swapped.yaml")
    (root / "swapped.yaml").unlink()
    (root / "swapped.yaml").symlink_to(root / "sub" / "b.yaml")
    assert reader.read_bytes(swapped) == b"x"
    assert not reader.not_a_link(swapped)
    assert (
        display_file_in(swapped, resolved, {})
        == display_file(swapped, resolved, resolved=True)
        == "sub/b.yaml"
    )
    # a dangling link is refused as before, and not taken for a plain file
    (root / "dangling.yaml").symlink_to(tmp_path / "nothing.yaml")
    with pytest.raises(reader.InputRejected, match="符号链接指向的文件不存在"):
        reader.read_bytes(str(root / "dangling.yaml"))
    assert not reader.not_a_link(str(root / "dangling.yaml"))
