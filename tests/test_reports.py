"""Report formats: SARIF 2.1.0 shape, JUnit XML shape, HTML escaping and masking, Excel sheets."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))

from casereview.evaluate.findings import Finding, Location  # noqa: E402
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
    assert wb.sheetnames[:2] == ["评查结果汇总表", "问题明细"]
    assert "南昌市青山湖区应急管理局" in wb.sheetnames
    summary = wb["评查结果汇总表"]
    rows = list(summary.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "执法单位", "案号")
    assert len(rows) == 4
    assert rows[1][9] == 1 and rows[1][10] == 1  # veto count, deduct count
    assert "CERT-001 执法人员少于两人" in rows[1][12]
    assert rows[2][6] == "无法评查" and "缺少必填字段" in rows[2][12]
    assert all(ID_NO not in str(v) for row in rows for v in row)
    assert summary.cell(4, 3).data_type == "s"  # formula-looking text stays text
    details = list(wb["问题明细"].iter_rows(values_only=True))
    assert len(details) == 1 + 3 + 1 + 3
