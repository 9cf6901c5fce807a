"""JUnit XML: a testsuite per case file, a testcase per rule (failure when it fired there);
a rejected file is one testcase marked error."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from ..review import CaseResult
from .catalog import rule_catalog


def _suite_name(result: CaseResult) -> str:
    return result.file


def document(results: list[CaseResult], meta: dict[str, Any]) -> ET.Element:
    catalog = rule_catalog(results, meta)
    root = ET.Element("testsuites", name="casereview")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for result in results:
        suite = ET.SubElement(root, "testsuite", name=_suite_name(result))
        tests = failures = errors = 0
        if result.status == "rejected":
            case = ET.SubElement(suite, "testcase", name="读取与校验", classname=result.file)
            err = ET.SubElement(case, "error", type="InputRejected", message="无法评查（输入有误）")
            err.text = "\n".join(
                f"{e.file}{f':{e.line}' if e.line else ''}{f':{e.column}' if e.column else ''}"
                f"{' ' + e.field if e.field else ''}：{e.message}"
                for e in result.errors
            )
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
                if fired:
                    failures += 1
                    failure = ET.SubElement(
                        case,
                        "failure",
                        type=fired[0].severity,
                        message=f"[{fired[0].severity_label}] {fired[0].title}（{len(fired)} 处）",
                    )
                    failure.text = "\n".join(
                        f"{f.location.file}:{f.location.line or '?'}:{f.location.column or '?'} "
                        f"{f.location.field}：{f.message}\n  依据：{'；'.join(f.basis)}"
                        for f in fired
                    )
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", "0")
        if result.score is not None:
            props = ET.Element("properties")
            ET.SubElement(props, "property", name="score", value=f"{result.score.score:g}")
            ET.SubElement(props, "property", name="grade", value=result.score.grade)
            suite.insert(0, props)
        totals["tests"] += tests
        totals["failures"] += failures
        totals["errors"] += errors
    for k, v in totals.items():
        root.set(k, str(v))
    return root


def dumps(results: list[CaseResult], meta: dict[str, Any]) -> str:
    root = document(results, meta)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
