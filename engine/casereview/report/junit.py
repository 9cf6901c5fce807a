"""JUnit XML: a testsuite per case file, a testcase per rule.

A rule that fired at or above `--fail-on` is a failure; one below the threshold, or waived, passes
and says so in its `system-out` (CI shows it without failing the build). A rejected file is one
testcase marked error."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from ..exitcodes import fails
from ..review import CaseResult
from .catalog import rule_catalog
from .location import where_of


def _suite_name(result: CaseResult) -> str:
    return result.file


def _line(f: Any) -> str:
    text = f"{where_of(f.location)}：{f.message}\n  依据：{'；'.join(f.basis)}"
    waiver = getattr(f, "waiver", None)
    if waiver is not None:
        text += f"\n  已豁免：{waiver.reason}（批准人 {waiver.approver}，有效期至 {waiver.expires}）"
    return text


def document(results: list[CaseResult], meta: dict[str, Any], fail_on: str | None = None) -> ET.Element:
    fail_on = fail_on or meta.get("fail_on") or "deduct"
    catalog = rule_catalog(results, meta)
    root = ET.Element("testsuites", name="casereview")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for result in results:
        suite = ET.SubElement(root, "testsuite", name=_suite_name(result))
        tests = failures = errors = 0
        if result.status == "rejected":
            case = ET.SubElement(suite, "testcase", name="读取与校验", classname=result.file)
            err = ET.SubElement(case, "error", type="InputRejected", message="无法评查（输入有误）")
            err.text = "\n".join(f"{where_of(e)}：{e.message}" for e in result.errors)
            tests, errors = 1, 1
        else:
            by_code: dict[str, list[Any]] = {}
            for f in result.findings:
                by_code.setdefault(f.code, []).append(f)
            for code, info in catalog.items():
                tests += 1
                case = ET.SubElement(
                    suite,
                    "testcase",
                    name=f"{code} {info['title']}",
                    classname=result.case_number or result.file,
                )
                fired = by_code.get(code)
                if not fired:
                    continue
                failing = [f for f in fired if fails(f, fail_on)]
                if failing:
                    failures += 1
                    failure = ET.SubElement(
                        case,
                        "failure",
                        type=failing[0].severity,
                        message=f"[{failing[0].severity_label}] {failing[0].title}（{len(failing)} 处）",
                    )
                    failure.text = "\n".join(_line(f) for f in failing)
                rest = [f for f in fired if f not in failing]
                if rest:
                    out = ET.SubElement(case, "system-out")
                    out.text = "\n".join(
                        f"[{'已豁免·' if getattr(f, 'waiver', None) else ''}{f.severity_label}] {_line(f)}"
                        for f in rest
                    )
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", "0")
        if result.score is not None:
            props = ET.Element("properties")
            ET.SubElement(props, "property", name="score", value=f"{result.score.score:g}")
            ET.SubElement(props, "property", name="grade", value=result.score.grade)
            ET.SubElement(props, "property", name="fail_on", value=fail_on)
            suite.insert(0, props)
        totals["tests"] += tests
        totals["failures"] += failures
        totals["errors"] += errors
    for k, v in totals.items():
        root.set(k, str(v))
    return root


def dumps(results: list[CaseResult], meta: dict[str, Any], fail_on: str | None = None) -> str:
    root = document(results, meta, fail_on)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
