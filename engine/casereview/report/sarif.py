"""SARIF 2.1.0: one result per finding (at the offending field's file:line:column) and per rejected file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def document(results: list[CaseResult], meta: dict[str, Any]) -> dict[str, Any]:
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
                "defaultConfiguration": {"level": LEVELS.get(info["severity"], "warning")},
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
            out.append(
                {
                    "ruleId": f.code,
                    "ruleIndex": index[f.code],
                    "level": LEVELS.get(f.severity, "warning"),
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
                }
            )
        if result.status == "rejected":
            errors = result.errors or []
            first = errors[0] if errors else None
            out.append(
                {
                    "ruleId": INPUT_RULE,
                    "ruleIndex": index[INPUT_RULE],
                    "level": "error",
                    "message": {"text": "无法评查：" + ("；".join(e.message for e in errors) or "原因未知")},
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
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "casereview",
                        "version": str(meta.get("tool_version", "")),
                        "semanticVersion": str(meta.get("tool_version", "")),
                        "informationUri": "https://github.com/casereview/casereview",
                        "rules": rules,
                        "properties": {"rules_version": meta.get("rules_version")},
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": out,
            }
        ],
    }


def dumps(results: list[CaseResult], meta: dict[str, Any]) -> str:
    return json.dumps(document(results, meta), ensure_ascii=False, indent=2)
