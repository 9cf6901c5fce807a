"""SARIF 2.1.0: one result per finding (at the offending field's file:line:column) and per rejected file.

The level follows `--fail-on` (a finding that fails the check is `error`, one below it `warning` or
`note`), so code scanning blocks exactly what the exit code blocks. Waived findings carry a SARIF
suppression with the waiver's justification; every result has a stable `partialFingerprints` entry
(case, rule, field: not the line); `invocations` records the command line, times and exit code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..exitcodes import exit_code
from ..fingerprint import fingerprint
from ..review import CaseResult
from .catalog import rule_catalog

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"veto": "error", "deduct": "error", "warn": "warning", "review": "note"}
INPUT_RULE = "INPUT-000"


def _uri(path: str) -> str:
    return Path(path).as_posix()


def _region(line: int | None, column: int | None) -> dict[str, int]:
    region = {"startLine": max(1, line or 1)}
    if column:
        region["startColumn"] = max(1, column)
    return region


FINGERPRINT_KEY = "casereview/v1"


def information_uri() -> str | None:
    """The project's home page as the installed package declares it (pyproject [project.urls]);
    none is invented when it declares none (the key is optional in SARIF)."""
    from importlib import metadata

    try:
        meta = metadata.metadata("casereview")
    except metadata.PackageNotFoundError:
        return None
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() in {"homepage", "home", "source", "repository"} and url.strip():
            return url.strip()
    return meta.get("Home-page") or None


def _level(finding: Any, fail_on: str) -> str:
    if fails_unwaived(finding, fail_on):  # a waived one keeps its level; its suppression says why
        return "error"
    return "note" if finding.severity == "review" else "warning"


def fails_unwaived(finding: Any, fail_on: str) -> bool:
    from ..packs.schema import SEVERITY_RANK

    return SEVERITY_RANK.get(finding.severity, -1) >= SEVERITY_RANK[fail_on]


def document(results: list[CaseResult], meta: dict[str, Any], fail_on: str | None = None) -> dict[str, Any]:
    fail_on = fail_on or meta.get("fail_on") or "deduct"
    catalog = rule_catalog(results, meta)
    rules = []
    for code, info in catalog.items():
        basis = "；".join(info["basis"])
        text = "\n".join(x for x in (info["title"], info["explain"], f"依据：{basis}" if basis else "") if x)
        rules.append(
            {
                "id": code,
                "name": code.replace("-", ""),
                "shortDescription": {"text": info["title"]},
                "fullDescription": {"text": info["explain"] or info["title"]},
                "help": {"text": text, "markdown": text.replace("\n", "\n\n")},
                "defaultConfiguration": {
                    "level": "error"
                    if fails_unwaived(_Sev(info["severity"]), fail_on)
                    else ("note" if info["severity"] == "review" else "warning")
                },
                "properties": {
                    "severity": info["severity"],
                    "category": info["category"],
                    "basis": info["basis"],
                },
            }
        )
    rules.append(
        {
            "id": INPUT_RULE,
            "name": "InputRejected",
            "shortDescription": {"text": "案卷文件无法评查（输入有误）"},
            "fullDescription": {"text": "文件无法读取或不符合案卷格式，未能评查。"},
            "help": {"text": "按错误提示修正案卷文件后重新评查。"},
            "defaultConfiguration": {"level": "error"},
        }
    )
    index = {r["id"]: i for i, r in enumerate(rules)}
    out: list[dict[str, Any]] = []
    for result in results:
        for f in result.findings:
            loc = f.location
            item = {
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": _level(f, fail_on),
                "message": {"text": f"{f.title}：{f.message}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(loc.file)},
                            "region": _region(loc.line, loc.column),
                        },
                        "logicalLocations": [{"fullyQualifiedName": loc.field, "kind": "member"}],
                    }
                ],
                "properties": {
                    "severity": f.severity,
                    "severity_label": f.severity_label,
                    "rule_id": f.rule_id,
                    "basis": f.basis,
                    "case_number": result.case_number,
                    "values": f.values,
                },
                "partialFingerprints": {FINGERPRINT_KEY: fingerprint(result, f)},
            }
            waiver = getattr(f, "waiver", None)
            if waiver is not None:
                item["suppressions"] = [
                    {
                        "kind": "external",
                        "status": "accepted",
                        "justification": (
                            f"{waiver.reason}（批准人 {waiver.approver}，有效期至 {waiver.expires}）"
                        ),
                    }
                ]
            out.append(item)
        if result.status == "rejected":
            errors = result.errors or []
            first = errors[0] if errors else None
            out.append(
                {
                    "ruleId": INPUT_RULE,
                    "ruleIndex": index[INPUT_RULE],
                    "level": "error",
                    "message": {"text": "无法评查：" + ("；".join(e.message for e in errors) or "原因未知")},
                    "partialFingerprints": {FINGERPRINT_KEY: fingerprint(result, _InputFinding())},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": _uri(first.file if first else result.file)},
                                "region": _region(
                                    first.line if first else None, first.column if first else None
                                ),
                            }
                        }
                    ],
                }
            )
    driver: dict[str, Any] = {
        "name": "casereview",
        "version": str(meta.get("tool_version", "")),
        "semanticVersion": str(meta.get("tool_version", "")),
        "rules": rules,
        "properties": {"rules_version": meta.get("rules_version"), "fail_on": fail_on},
    }
    uri = information_uri()
    if uri:
        driver["informationUri"] = uri
    invocation = dict(meta.get("invocation") or {})
    notifications = invocation.pop("notifications", [])
    invocation = {
        "executionSuccessful": True,
        "exitCode": exit_code(results, fail_on),
        **invocation,
    }
    if notifications:
        invocation["toolExecutionNotifications"] = [
            {"level": "warning", "message": {"text": text}} for text in notifications
        ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": out,
            }
        ],
    }


class _Sev:
    def __init__(self, severity: str):
        self.severity = severity


class _InputFinding:
    code = INPUT_RULE

    class location:
        field = ""


def dumps(results: list[CaseResult], meta: dict[str, Any], fail_on: str | None = None) -> str:
    return json.dumps(document(results, meta, fail_on), ensure_ascii=False, indent=2)
