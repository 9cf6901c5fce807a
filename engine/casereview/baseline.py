"""Baselines (checkov `--baseline`): record today's findings once, then report only new ones.

`casereview check 案卷/ --create-baseline .casereview-baseline.json` writes the fingerprints of
every finding (case, rule, field — see fingerprint.py; line moves do not matter);
`casereview check 案卷/ --baseline .casereview-baseline.json` drops the findings found in it, so
adopting the tool on an existing archive does not drown a team in old findings. Scores stay the
true scores of the files; a note says how many findings the baseline hid.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .fingerprint import case_key, fingerprint

SCHEMA = "casereview.baseline"
VERSION = 1


class BaselineError(ValueError):
    """The baseline file cannot be used (Chinese message)."""


def write_baseline(path: Path, results: Iterable[Any], rules_version: str = "") -> int:
    entries: dict[str, dict[str, str]] = {}
    for result in results:
        for f in result.findings:
            entries[fingerprint(result, f)] = {
                "case": case_key(result),
                "code": f.code,
                "field": f.location.field,
            }
    doc = {"schema": SCHEMA, "version": VERSION, "rules_version": rules_version, "findings": entries}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return len(entries)


class Baseline:
    def __init__(self, fingerprints: set[str], source: Path):
        self.fingerprints = fingerprints
        self.source = source
        self.hidden = 0

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as exc:
            raise BaselineError(f"基线文件 {path} 无法读取：{exc}") from None
        except ValueError as exc:
            raise BaselineError(f"基线文件 {path} 不是有效的 JSON：{exc}") from None
        if (
            not isinstance(doc, dict)
            or doc.get("schema") != SCHEMA
            or not isinstance(doc.get("findings"), dict)
        ):
            raise BaselineError(f"基线文件 {path} 不是 casereview 基线（用 --create-baseline 生成）")
        return cls(set(doc["findings"]), path)

    def apply(self, result: Any) -> int:
        """Drop the findings already in the baseline; returns how many were dropped."""
        kept = [f for f in result.findings if fingerprint(result, f) not in self.fingerprints]
        dropped = len(result.findings) - len(kept)
        if dropped:
            result.findings = kept
            result.notes.append(f"基线 {self.source.name} 中已有的 {dropped} 个问题未列出（--baseline）")
            self.hidden += dropped
        return dropped
