"""Chinese labels reports show instead of codes: fact names in a finding's values, file status,
score categories."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

STATUS_LABELS = {
    "reviewed": "已评查",
    "rejected": "无法评查",
    # result/score statuses of files the tool cannot fully judge (never 优秀)
    "unscorable": "无法评分",
    "open": "未结案",
    "not_closed": "未结案",
    "partial": "部分评查",
}

_HINT = re.compile(r"(?:[，,]\s*(?:如|例如)|[\s（(]).*$")


def _clean(label: str) -> str:
    """`程序类型 general/simple` → `程序类型`; `告知日期（未载明时无此字段）` → `告知日期`."""
    text = _HINT.sub("", label.strip())
    return text or label


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, str]:
    from ..derive.vocabulary import COMMON, KINDS

    labels: dict[str, str] = {}
    for fields in (COMMON, *KINDS.values()):
        for name, spec in fields.items():
            labels.setdefault(name, _clean(spec.label))
    return labels


def value_labels(book: Any = None) -> dict[str, str]:
    """Fact name → Chinese label, including benchmark circumstances (`f_<name>`) of the book."""
    labels = dict(_vocabulary())
    if book is not None:
        for name, label in circumstance_labels(book).items():
            labels.setdefault(name, label)
    return labels


def circumstance_labels(book: Any) -> dict[str, str]:
    """`f_<name>` → the label of each benchmark circumstance of the book (the first table's
    wording). Made once per book and kept with it in the rule-book cache (packs/bookcache.py):
    an HTML report otherwise imported and unpickled the benchmark tables for it before the
    review's workers could start (~0.03 s of serial start, nothing else of a review needs them)."""
    kept = getattr(book, "__dict__", {})
    labels = kept.get("_circumstance_labels")
    if labels is None:
        labels = {}
        for table in book.tables.of("benchmark"):
            for item in getattr(table, "items", []):
                for name, var in getattr(item, "variables", {}).items():
                    labels.setdefault(f"f_{name}", _clean(getattr(var, "label", "") or name))
        if hasattr(book, "__dict__"):
            book.__dict__["_circumstance_labels"] = labels
    return labels


def value_label(name: str, labels: dict[str, str]) -> str:
    if name in labels:
        return labels[name]
    if name.startswith("f_"):
        return name[2:]
    return name


def status_label(result: Any) -> str:
    """The file's status in Chinese (a score status such as 无法评分 wins over 已评查)."""
    score = getattr(result, "score", None)
    status = getattr(score, "status", None) if score is not None else None
    if status and status not in ("scored", "ok", "reviewed"):
        return STATUS_LABELS.get(str(status), str(status))
    return STATUS_LABELS.get(result.status, result.status)
