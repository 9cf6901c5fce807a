"""A finding's identity across runs: the same defect in the same case keeps its fingerprint when
lines move, messages are reworded or the file is re-exported elsewhere (SARIF
`partialFingerprints`, baselines, waivers)."""

from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import Any


def case_key(result: Any) -> str:
    """The case number when the file states one, else the file name."""
    return (result.case_number or "").strip() or PurePath(result.file).name


def fingerprint(result: Any, finding: Any) -> str:
    text = "\x1f".join((case_key(result), finding.code.upper(), finding.location.field or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
